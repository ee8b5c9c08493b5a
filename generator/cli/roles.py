"""``portal check-roles`` and ``portal can``: the role rules applied to commits (see docs/roles.md)."""

from __future__ import annotations
