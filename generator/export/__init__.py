"""Open-data exports written next to the pages: catalogues, CSV, feeds, sitemap, the static JSON API.

:func:`units` is the build's hook into this package: the export files in groups made together, each with
the key of what it depends on (:mod:`generator.keys`), so a rebuild makes again only the groups whose key
changed; :func:`files` is every file of every unit. Every function here reads only the build's
``SiteIndex``, whose public views already leave private datasets out (and everything about them:
resources, discussions, reuse links), and the public APIs of :mod:`.public`. The list of files and their URLs
is in ``docs/exports.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import keys
from . import api, dcat, feeds, redirects, sitemap, tables
from .rdf import FORMATS, serialize_all


@dataclass(frozen=True)
class Unit:
    """Export files made together: ``make()`` yields ``(path relative to the site, bytes)``."""

    name: str
    key: Any  # a value, or a function computing it (see keys.value)
    make: Callable[[], Iterator[tuple[str, bytes]]]


CATALOG_PAGE = 100  # datasets per catalogue document: an edit rewrites one page, harvesters follow Hydra links


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` items hold ``total`` items (an empty list still has its one page)."""
    return max(1, -(-total // size))


def catalog_path(folder: str, number: int, fmt: str) -> str:
    """``catalog.ttl`` for the first page (the catalogue's address), ``catalog/<n>.ttl`` for the others."""
    return f"{folder}catalog.{fmt}" if number == 1 else f"{folder}catalog/{number}.{fmt}"


def catalog_page(
    index: Any, urls: Any, datasets: list, number: int, org: Any = None, services: list | None = None
) -> Iterator[tuple[str, bytes]]:
    """Page ``number`` of the catalogue of ``datasets`` (the site's, or ``org``'s), in every syntax.

    The public APIs (``services``, default: the site's or ``org``'s) are on the first page: they are few
    (data.gouv.fr lists hundreds of APIs for 50,000 datasets), and a harvester reads every page anyway.
    """
    folder = "" if org is None else f"organizations/{org.slug}/"
    count = page_count(len(datasets), CATALOG_PAGE)
    chunk = datasets[(number - 1) * CATALOG_PAGE : number * CATALOG_PAGE]
    if services is None:
        services = index.dataservices if org is None else index.dataservices_of.get(("organization", org.slug), [])
    writer = dcat.CatalogWriter(index, urls)
    nodes = writer.catalog(chunk, org, dated=datasets if number == 1 else [], services=services if number == 1 else [])
    extra = {}
    if count > 1:
        for fmt in FORMATS:
            url = functools.partial(_catalog_url, urls.base_url, folder, fmt)
            extra[fmt] = [dcat.page_view(url, number, count, len(datasets))]
    for fmt, data in serialize_all(nodes, extra=extra).items():
        yield catalog_path(folder, number, fmt), data


def _catalog_url(base: str, folder: str, fmt: str, number: int) -> str:
    return base + catalog_path(folder, number, fmt)


def catalog(
    index: Any, urls: Any, datasets: list, org: Any = None, services: list | None = None
) -> Iterator[tuple[str, bytes]]:
    """Every page of a catalogue (one, up to :data:`CATALOG_PAGE` datasets)."""
    for number in range(1, page_count(len(datasets), CATALOG_PAGE) + 1):
        yield from catalog_page(index, urls, datasets, number, org, services)


def _catalog_units(index: Any, urls: Any, services: list) -> Iterator[Unit]:
    datasets = index.datasets
    count = page_count(len(datasets), CATALOG_PAGE)
    dates = (
        min((d.created[:10] for d in datasets), default=""),
        max((d.last_modified[:10] for d in datasets), default=""),
    )
    for number in range(1, count + 1):
        chunk = datasets[(number - 1) * CATALOG_PAGE : number * CATALOG_PAGE]
        listed = services if number == 1 else []
        key = _bind(_catalog_key, index, len(datasets), dates if number == 1 else None, chunk, listed)
        yield Unit(f"site/catalog/{number}", key, _bind(catalog_page, index, urls, datasets, number, None, services))


def _catalog_key(index: Any, total: int, dates: tuple | None, chunk: list, services: list) -> Any:
    return (
        total,
        dates,
        tuple(keys.dataset_part(index, d) for d in chunk),
        tuple(keys.dataservice_part(index, s) for s in services),
    )


def _api_units(index: Any, urls: Any, services: list) -> Iterator[Unit]:
    counts = (len(index.datasets), index.resource_count, len(index.organizations), len(index.reuses), len(services))
    yield Unit("site/api", counts, lambda: api.site_files(api.Api(index, urls, services)))
    item_key = {
        "datasets": keys.dataset_summary,
        "organizations": keys.organization_summary,
        "reuses": keys.reuse_card,
        "dataservices": keys.dataservice_part,
    }
    for kind in api.LISTED:
        items = services if kind == "dataservices" else getattr(index, kind)
        count = page_count(len(items), api.PAGE_SIZE)
        for number in range(1, count + 1):
            chunk = items[(number - 1) * api.PAGE_SIZE : number * api.PAGE_SIZE]
            yield Unit(
                f"site/api/{kind}/{number}",
                _bind(_listing_key, index, item_key[kind], len(items), chunk),
                _bind(_listing_page, index, urls, kind, chunk, number, count, len(items)),
            )


def _listing_key(index: Any, item_key: Callable, total: int, chunk: list) -> Any:
    return (total, tuple(item_key(index, item) for item in chunk))


def _listing_page(index: Any, urls: Any, kind: str, chunk: list, number: int, count: int, total: int):
    maker = api.Api(index, urls)
    yield maker.listing_page(kind, [maker.summary(kind, item) for item in chunk], number, count, total)


def _organization(index: Any, urls: Any, org: Any, services: list) -> Iterator[tuple[str, bytes]]:
    """The files of one organization; ``services`` are its public APIs."""
    yield from catalog(index, urls, index.datasets_of.get(("organization", org.slug), []), org, services)
    yield from tables.organization_files(index, urls, org, services)
    yield from feeds.organization_files(index, urls, org)
    yield api.item_file(api.Api(index, urls, services), "organizations", org)


def _organization_key(index: Any, org: Any, services: list) -> Any:
    """An organization's files: its folder (its APIs' files are in it) and which datasets its APIs serve are public."""
    return (keys.organization_scope(index, org), tuple(keys.dataservice_part(index, s) for s in services))


def units(index: Any, urls: Any) -> list[Unit]:
    """Every export unit: the site-wide ones first (the longest tasks), then one per organization, dataset, reuse.

    The site-wide files are cut where their formats allow: the catalogue in pages, the API listings in their
    pages, so that an edit makes again one page of each, not the whole.
    """
    services = index.dataservices
    found = [
        *_catalog_units(index, urls, services),
        Unit("site/tables", index.everything, _bind(tables.site_files, index, urls, services)),
        Unit("site/feeds", index.everything, _bind(feeds.site_files, index, urls)),
        Unit("site/sitemap", _bind(keys.sitemap, index), _bind(sitemap.files, index, urls)),
        *_api_units(index, urls, services),
    ]
    if index.site.resource_redirects == "rules":
        found.append(Unit("site/redirects", _bind(redirects.key, index), _bind(redirects.files, index, urls)))
    for org in index.organizations:
        mine = index.dataservices_of.get(("organization", org.slug), [])
        key = _bind(_organization_key, index, org, mine)
        found.append(Unit(f"organizations/{org.slug}", key, _bind(_organization, index, urls, org, mine)))
    for dataset in index.datasets:
        key = _bind(keys.dataset, index, dataset)
        found.append(Unit(f"datasets/{dataset.slug}", key, _item(index, urls, "datasets", dataset)))
    for reuse in index.reuses:
        key = _bind(keys.reuse_api, index, reuse)
        found.append(Unit(f"reuses/{reuse.slug}", key, _item(index, urls, "reuses", reuse)))
    for service in services:
        key = _bind(keys.dataservice_api, index, service)
        found.append(Unit(f"dataservices/{service.slug}", key, _item(index, urls, "dataservices", service)))
    return found


def _bind(function: Callable, *args: Any) -> Callable[[], Any]:
    return lambda: function(*args)


def _item(index: Any, urls: Any, kind: str, item: Any) -> Callable[[], Iterator[tuple[str, bytes]]]:
    return lambda: iter([api.item_file(api.Api(index, urls), kind, item)])


def files(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    """Every export file of the site (``index`` is the build's SiteIndex, ``urls`` its Urls)."""
    for unit in units(index, urls):
        yield from unit.make()
