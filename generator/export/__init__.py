"""Open-data exports written next to the pages: catalogues, CSV, feeds, sitemap, the static JSON API.

:func:`files` is the build's one hook into this package: it yields ``(path, bytes)`` for every export
file, paths relative to the site root. Every function here reads only the build's ``SiteIndex``, whose
public views already leave private datasets out (and everything about them: resources, discussions,
reuse links). The list of files and their URLs is in ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import api, dcat, feeds, sitemap, tables
from .rdf import serialize_all


def catalogs(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """``catalog.{ttl,rdf,jsonld}`` at the root and in each organization's folder."""
    documents = serialize_all(dcat.CatalogWriter(index, urls).catalog(index.datasets))
    for fmt, data in documents.items():
        yield f"catalog.{fmt}", data
    for org in index.organizations:
        datasets = index.datasets_of.get(("organization", org.slug), [])
        for fmt, data in serialize_all(dcat.CatalogWriter(index, urls).catalog(datasets, org)).items():
            yield f"organizations/{org.slug}/catalog.{fmt}", data


def files(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """Every export file of the site (``index`` is the build's SiteIndex, ``urls`` its Urls)."""
    yield from catalogs(index, urls)
    yield from tables.files(index, urls)
    yield from feeds.files(index, urls)
    yield from api.files(index, urls)
    yield from sitemap.files(index, urls)
