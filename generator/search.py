"""The static search index of the site, built after the pages are written.

:func:`index_site` is the build's hook: it receives the folder the pages were written to (before it is
swapped into place) and the build's SiteIndex, and writes whatever the search needs into that folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def index_site(site_dir: Path, index: Any) -> None:
    """Write the search index of the pages under ``site_dir``."""
