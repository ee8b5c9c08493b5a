"""What the dashboards show: the data behind ``/organizations/<org>/dashboard/`` and ``/dashboard/``.

The build asks this module for each dashboard's template context; everything here is computed from the
content (and, later, from committed metrics and link checks), never from the clock.
"""

from __future__ import annotations

from typing import Any


def organization_dashboard(index: Any, org: Any) -> dict[str, Any]:
    """Template context of an organization's dashboard, added to ``{"org": org}``."""
    return {}


def site_dashboard(index: Any) -> dict[str, Any]:
    """Template context of the site-wide dashboard (all organizations summed)."""
    return {}
