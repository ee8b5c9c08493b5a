"""Open-data exports written next to the pages: catalogues, CSV, feeds, sitemap, the static JSON API.

:func:`units` is the build's hook into this package: the export files in groups made together, each with
the key of what it depends on (:mod:`generator.keys`), so a rebuild makes again only the groups whose key
changed; :func:`files` is every file of every unit. Every function here reads only the build's
``SiteIndex``, whose public views already leave private datasets out (and everything about them:
resources, discussions, reuse links). The list of files and their URLs is in ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import keys
from . import api, dcat, feeds, sitemap, tables
from .rdf import serialize_all


@dataclass(frozen=True)
class Unit:
    """Export files made together: ``make()`` yields ``(path relative to the site, bytes)``."""

    name: str
    key: Any
    make: Callable[[], Iterator[tuple[str, bytes]]]


def site_catalog(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """``catalog.{ttl,rdf,jsonld}`` at the root."""
    for fmt, data in serialize_all(dcat.CatalogWriter(index, urls).catalog(index.datasets)).items():
        yield f"catalog.{fmt}", data


def organization_catalog(index: Any, urls: Any, org: Any) -> Iterator[tuple[str, bytes]]:
    """``organizations/<org>/catalog.{ttl,rdf,jsonld}``."""
    datasets = index.datasets_of.get(("organization", org.slug), [])
    for fmt, data in serialize_all(dcat.CatalogWriter(index, urls).catalog(datasets, org)).items():
        yield f"organizations/{org.slug}/catalog.{fmt}", data


def _api(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    return api.site_files(api.Api(index, urls))


SITE_PARTS = {  # the site-wide files, in parts a pool can make in parallel
    "catalog": site_catalog,
    "tables": tables.site_files,
    "feeds": feeds.site_files,
    "api": _api,
    "sitemap": sitemap.files,
}


def _organization(index: Any, urls: Any, org: Any) -> Iterator[tuple[str, bytes]]:
    yield from organization_catalog(index, urls, org)
    yield from tables.organization_files(index, urls, org)
    yield from feeds.organization_files(index, urls, org)
    yield api.item_file(api.Api(index, urls), "organizations", org)


def units(index: Any, urls: Any) -> list[Unit]:
    """Every export unit: the site-wide files, then one unit per organization, dataset and reuse."""
    found = [Unit(f"site/{name}", index.content_digest, _bind(part, index, urls)) for name, part in SITE_PARTS.items()]
    for org in index.organizations:
        found.append(
            Unit(
                f"organizations/{org.slug}", keys.organization_scope(index, org), _bind(_organization, index, urls, org)
            )
        )
    for dataset in index.datasets:
        found.append(
            Unit(f"datasets/{dataset.slug}", keys.dataset_api(index, dataset), _item(index, urls, "datasets", dataset))
        )
    for reuse in index.reuses:
        found.append(Unit(f"reuses/{reuse.slug}", keys.reuse_api(index, reuse), _item(index, urls, "reuses", reuse)))
    return found


def _bind(function: Callable, *args: Any) -> Callable[[], Iterator[tuple[str, bytes]]]:
    return lambda: function(*args)


def _item(index: Any, urls: Any, kind: str, item: Any) -> Callable[[], Iterator[tuple[str, bytes]]]:
    return lambda: iter([api.item_file(api.Api(index, urls), kind, item)])


def files(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """Every export file of the site (``index`` is the build's SiteIndex, ``urls`` its Urls)."""
    for unit in units(index, urls):
        yield from unit.make()
