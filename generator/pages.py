"""The site as data: a list of :class:`Page` values (output path, template, context, key), one small function
per kind of page, and the static files that go with them.

Nothing here renders or writes: the list is what :mod:`generator.renderer` renders, what the keys
(:mod:`generator.keys`) compare between builds, and what a quick rebuild (:mod:`generator.quick`) makes again
for one dataset (:func:`pages_of_dataset`).

**Private datasets and APIs are never published**: no page, no listing, no count, no resource redirect, no
discussion about them; an API's page links only the public datasets it serves (the lists come from the
:class:`~generator.site_index.SiteIndex`, which holds public items only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import dashboard, export, keys, linkcheck
from .model import Dataservice, Dataset, Organization
from .render import Urls
from .site_index import SiteIndex
from .themes import default_theme

PER_PAGE = 20  # datasets, APIs or reuses per listing page
RESOURCES_PER_PAGE = 50  # resources shown per page of a dataset


@dataclass(frozen=True)
class Page:
    """One output file: ``path`` relative to its language's root (``datasets/roads/``: a folder's index)."""

    path: str
    template: str
    context: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict, compare=False)
    language: str | None = None  # None: written once, at the root (resource redirects)
    translated: bool = True  # has a version in every language (for hreflang links)
    # what the page shows (generator.keys), computed when called (a warm build computes some again after an
    # edit); None: always rendered
    key: Any = field(default=None, compare=False)

    def values(self) -> dict[str, Any]:
        """The template context (computed now when it is costly: dashboards, quality)."""
        return self.context() if callable(self.context) else self.context

    def output(self, urls: Urls) -> str:
        rel = urls.prefix(self.language) + self.path
        return rel + "index.html" if rel.endswith("/") or not rel else rel


def _paginate(items: list, per_page: int) -> list[list]:
    return [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]


def _pager(base: str, number: int, count: int) -> dict[str, Any]:
    """Page ``number`` of ``count``: the links a pager shows (first, last, two on each side, gaps as None).

    Only that window is computed: listing every page on every page would be quadratic in the listing's
    length (2,500 pages of datasets at data.gouv.fr's scale).
    """

    def page_path(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    shown = sorted({1, count, *range(max(1, number - 2), min(count, number + 2) + 1)})
    window: list[tuple[int, str] | None] = []
    for n in shown:
        if window and window[-1] is not None and n > window[-1][0] + 1:
            window.append(None)  # a gap
        window.append((n, page_path(n)))
    return {
        "number": number,
        "count": count,
        "window": window,
        "previous": page_path(number - 1) if number > 1 else None,
        "next": page_path(number + 1) if number < count else None,
    }


def _listing(base: str, template: str, items: list, key: str, per_page: int, extra: dict, page_key) -> Iterator[Page]:
    """The pages of a paginated listing; ``page_key(chunk, pager)`` is the key of one page."""
    chunks = _paginate(items, per_page)
    for number, chunk in enumerate(chunks, start=1):
        path = base if number == 1 else f"{base}page/{number}/"
        pager = _pager(base, number, len(chunks))
        yield Page(path, template, {**extra, key: chunk, "pager": pager}, key=functools.partial(page_key, chunk, pager))


def home_pages(index: SiteIndex) -> Iterator[Page]:
    yield Page("", "home.html", {"page_kind": "home"}, key=index.everything)
    yield Page("404.html", "404.html", {"page_kind": "404"}, key=())


def organization_pages(index: SiteIndex) -> Iterator[Page]:
    yield Page(
        "organizations/",
        "organizations.html",
        {"organizations": index.organizations},
        key=functools.partial(keys.organizations, index),
    )
    for org in index.organizations:
        owner = ("organization", org.slug)
        base = f"organizations/{org.slug}/"
        extra = {
            "org": org,
            "reuses": index.reuses_of.get(owner, []),
            "discussions": index.discussions_of.get(owner, []),
            "dataservices": index.dataservices_of.get(owner, []),
            "dataset_count": len(index.datasets_of.get(owner, [])),
        }

        def page_key(chunk: list, pager: dict, org: Organization = org) -> Any:
            return keys.organization(index, org, chunk, pager)

        yield from _listing(
            base, "organization.html", index.datasets_of.get(owner, []), "datasets", PER_PAGE, extra, page_key
        )
        yield Page(
            f"{base}dashboard/",
            "dashboard.html",
            functools.partial(_organization_dashboard, index, org),
            key=functools.partial(keys.organization_scope, index, org),
        )
    yield Page(
        "dashboard/",
        "site-dashboard.html",
        functools.partial(dashboard.site_dashboard, index),
        key=index.everything,
    )


def _organization_dashboard(index: SiteIndex, org: Organization) -> dict[str, Any]:
    return {"org": org, **dashboard.organization_dashboard(index, org)}


def dataset_pages(index: SiteIndex, datasets: list[Dataset] | None = None) -> Iterator[Page]:
    total = len(index.datasets)
    yield from _listing(
        "datasets/",
        "datasets.html",
        index.datasets,
        "datasets",
        PER_PAGE,
        {},
        lambda chunk, pager: keys.listing(index, chunk, total, pager),
    )
    for dataset in index.datasets if datasets is None else datasets:
        yield from dataset_detail_pages(index, dataset)


def dataset_detail_pages(index: SiteIndex, dataset: Dataset) -> Iterator[Page]:
    base = f"datasets/{dataset.slug}/"
    count = export.page_count(len(dataset.resources), RESOURCES_PER_PAGE)
    yield Page(
        base,
        "dataset.html",
        functools.partial(_dataset_context, index, dataset),
        key=functools.partial(keys.dataset, index, dataset),
    )
    if count > 1:
        part = functools.partial(keys.dataset_part, index, dataset)
        chunks = _paginate(_grouped(dataset), RESOURCES_PER_PAGE)
        for number, chunk in enumerate(chunks, start=1):
            path = f"{base}resources/" if number == 1 else f"{base}resources/page/{number}/"
            pager = _pager(f"{base}resources/", number, len(chunks))
            yield Page(path, "resources.html", {"dataset": dataset, "resources": chunk, "pager": pager}, key=part)


def _dataset_context(index: SiteIndex, dataset: Dataset) -> dict[str, Any]:
    base = f"datasets/{dataset.slug}/"
    chunks = _paginate(_grouped(dataset), RESOURCES_PER_PAGE)
    return {
        "dataset": dataset,
        "resources": chunks[0],
        "resource_pager": _pager(f"{base}resources/", 1, len(chunks)) if len(chunks) > 1 else None,
        "quality": index.quality(dataset),
        "reuses": index.reuses_of_dataset.get(dataset.slug, []),
        "dataservices": index.dataservices_of_dataset.get(dataset.slug, []),
        "discussions": index.discussions_about.get(("dataset", dataset.slug), []),
        "edit_url": index.edit_url(dataset.path),
    }


def dataservice_pages(index: SiteIndex) -> Iterator[Page]:
    """The listing of the public APIs (paged and sorted as the datasets') and a page per public API."""
    total = len(index.dataservices)
    yield from _listing(
        "dataservices/",
        "dataservices.html",
        index.dataservices,
        "dataservices",
        PER_PAGE,
        {},
        lambda chunk, pager: keys.dataservice_listing(index, chunk, total, pager),
    )
    for api in index.dataservices:
        yield Page(
            f"dataservices/{api.slug}/",
            "dataservice.html",
            functools.partial(_dataservice_context, index, api),
            key=functools.partial(keys.dataservice, index, api),
        )


def _dataservice_context(index: SiteIndex, api: Dataservice) -> dict[str, Any]:
    return {
        "dataservice": api,
        "datasets": index.public_datasets(api),
        "quality": index.dataservice_quality(api),
        "link_anomalies": linkcheck.dataservice_anomalies(api, index.link_checks),
        "edit_url": index.edit_url(api.path),
    }


_TYPE_ORDER = {t: i for i, t in enumerate(["main", "api", "documentation", "update", "code", "other"])}


def _grouped(dataset: Dataset) -> list:
    """Resources in display order: by type (main first), then as listed in the file."""
    return sorted(dataset.resources, key=lambda r: _TYPE_ORDER.get(r.type, 99))


def redirect_pages(index: SiteIndex, datasets: list[Dataset] | None = None) -> Iterator[Page]:
    """A page per resource, unless the host applies redirect rules instead (:mod:`generator.export.redirects`)."""
    if index.site.resource_redirects == "rules":
        return
    for dataset in index.datasets if datasets is None else datasets:
        for resource in dataset.resources:
            yield Page(
                f"datasets/r/{resource.id}/",
                "redirect.html",
                {"resource": resource, "dataset": dataset},
                language=None,
                translated=False,
                key=functools.partial(keys.redirect, resource),
            )


def reuse_pages(index: SiteIndex) -> Iterator[Page]:
    total = len(index.reuses)
    yield from _listing(
        "reuses/",
        "reuses.html",
        index.reuses,
        "reuses",
        PER_PAGE,
        {},
        lambda chunk, pager: keys.reuse_listing(index, chunk, total, pager),
    )
    for reuse in index.reuses:
        datasets = index.public_datasets(reuse)
        discussions = index.discussions_about.get(("reuse", reuse.slug), [])
        yield Page(
            f"reuses/{reuse.slug}/",
            "reuse.html",
            {"reuse": reuse, "datasets": datasets, "discussions": discussions},
            key=functools.partial(keys.reuse, index, reuse, datasets, discussions),
        )


def user_pages(index: SiteIndex) -> Iterator[Page]:
    for username in sorted(index.portal.users):
        owner = ("user", username)
        yield Page(
            f"users/{username}/",
            "user.html",
            {
                "user": index.portal.users[username],
                "memberships": index.memberships.get(username, []),
                "datasets": index.datasets_of.get(owner, []),
                "dataservices": index.dataservices_of.get(owner, []),
                "reuses": index.reuses_of.get(owner, []),
            },
            key=functools.partial(keys.user, index, username),
        )


PAGE_FUNCTIONS = [home_pages, organization_pages, dataset_pages, dataservice_pages, reuse_pages, user_pages]


def pages(index: SiteIndex) -> list[Page]:
    """Every page of the site in every language, in a stable order."""
    neutral = list(redirect_pages(index))
    translated = [page for function in PAGE_FUNCTIONS for page in function(index)]
    return neutral + _in_languages(translated, index.site.languages)


def pages_of_dataset(index: SiteIndex, dataset: Dataset) -> list[Page]:
    """The pages a public dataset has for itself: its page and resource pages in every language, redirects."""
    neutral = list(redirect_pages(index, [dataset]))
    return neutral + _in_languages(list(dataset_detail_pages(index, dataset)), index.site.languages)


def _in_languages(translated: list[Page], languages: list[str]) -> list[Page]:
    # a page's translations sit next to each other: a worker renders its Markdown once (markdown's cache)
    return [Page(p.path, p.template, p.context, lang, p.translated, p.key) for p in translated for lang in languages]


def static_files(index: SiteIndex, theme_folder: Path | None) -> dict[str, Path]:
    """Static files of the stock theme (overridden by the portal's theme), logos and avatars: output -> source."""
    found: dict[str, Path] = {}
    static_sources = [default_theme() / "static"]
    if theme_folder is not None:
        static_sources.append(theme_folder / "static")
    for source in static_sources:
        if source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                found["static/" + path.relative_to(source).as_posix()] = path
    for rel in sorted(index.images.values()):
        found[rel] = index.content_dir / rel
    return found
