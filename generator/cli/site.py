"""``portal build`` and ``portal serve``: render the static site (see docs/site.md)."""

from __future__ import annotations
