"""Open-data exports written next to the pages: catalogues, CSV, feeds, sitemap, the static JSON API.

:func:`files` is the build's one hook into this package: it yields ``(path, bytes)`` for every export
file, paths relative to the site root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def files(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """Every export file of the site (``index`` is the build's SiteIndex, ``urls`` its Urls)."""
    return iter(())
