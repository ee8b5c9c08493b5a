"""``portal build``: validate → model → index → pages → render into a temporary folder → atomic swap.

The site is a list of :class:`Page` values (output path, template, context), produced by one small function
per kind of page (:func:`pages`). Rendering a page depends only on its own value and on the shared
:class:`SiteIndex`, so the list can be cut into shards and rendered by a pool of processes (each builds
its Jinja environments once), and a later cache can skip pages whose inputs did not change.

Guarantees:

* **Refuses broken content.** Validation problems raise :class:`~generator.errors.ContentError` before
  anything is written.
* **Atomic.** Output goes to a temporary folder next to the destination, swapped in by renames only when
  every page rendered; a failed build removes its temporary folder and leaves the previous site untouched.
* **Deterministic.** No wall-clock time anywhere: dates come from the content; pages, lists and files are
  produced in sorted order; two builds of the same content are byte-identical.
* **Private datasets and APIs are never published**: no page, no listing, no count, no resource redirect, no
  discussion about them; an API's page links only the public datasets it serves.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import cache, dashboard, export, keys, linkcheck, markdown, search
from . import quality as quality_mod
from .digests import digest, key_digest, tree_digest
from .errors import ContentError, PortalError, UsageError
from .files import write_atomic
from .layout import classify
from .load import repo_root_of
from .model import Dataservice, Dataset, Discussion, Organization, Portal, Reuse
from .portal import read_portal
from .render import Urls, make_environment
from .themes import default_theme

PER_PAGE = 20  # datasets, APIs or reuses per listing page
RESOURCES_PER_PAGE = 50  # resources shown per page of a dataset
HOME_LATEST = 6
PARALLEL_THRESHOLD = 4000  # pages; below this a process pool costs more than it saves
EVERYTHING = "*"  # what a key reads when it reads the whole content (SiteIndex.everything)


class BuildError(PortalError):
    """A page could not be rendered (a broken theme template, usually)."""

    exit_code = 1


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


@dataclass
class BuildResult:
    output: Path
    pages: int
    files: int
    seconds: float
    incremental: bool = False
    rendered: int = 0  # pages rendered (all of them in a full build)
    written: int = 0  # files written or replaced (a full build writes every file)
    removed: int = 0  # files of the previous site deleted (an incremental build)
    quick: bool = False  # driven by the changed paths a warm builder was given (generator.quick)


def _data_files(content_dir: Path) -> list[str]:
    """Content files that are not YAML but that pages show: metrics and link checks."""
    found = []
    for folder in ("metrics", "links"):
        if (content_dir / folder).is_dir():
            found += sorted(f"{folder}/{p.name}" for p in (content_dir / folder).iterdir() if p.is_file())
    return found


class SiteIndex:
    """Derived views of the portal, built once in O(n): who owns what, what uses what, public subsets."""

    def __init__(self, portal: Portal, content_dir: Path, digests: dict[str, bytes] | None = None):
        self.portal = portal
        self.site = portal.site
        self.content_dir = content_dir
        self.datasets: list[Dataset] = [d for d in portal.datasets.values() if not d.private]
        self.datasets.sort(key=lambda d: d.slug)
        public = {d.slug for d in self.datasets}
        self.public_slugs = public
        self.reuses: list[Reuse] = sorted(portal.reuses.values(), key=lambda r: r.slug)
        self.dataservices: list[Dataservice] = sorted(
            (a for a in portal.dataservices.values() if not a.private), key=lambda a: a.slug
        )
        self.dataservices_of: dict[tuple[str, str], list[Dataservice]] = defaultdict(list)
        self.dataservices_of_dataset: dict[str, list[Dataservice]] = defaultdict(list)
        for api in self.dataservices:
            self.dataservices_of[api.owner].append(api)
            for slug in api.datasets:
                if slug in public:
                    self.dataservices_of_dataset[slug].append(api)
        self.organizations: list[Organization] = sorted(portal.organizations.values(), key=lambda o: o.slug)
        self.datasets_of: dict[tuple[str, str], list[Dataset]] = defaultdict(list)
        for dataset in self.datasets:
            self.datasets_of[dataset.owner].append(dataset)
        self.reuses_of: dict[tuple[str, str], list[Reuse]] = defaultdict(list)
        self.reuses_of_dataset: dict[str, list[Reuse]] = defaultdict(list)
        for reuse in self.reuses:
            self.reuses_of[reuse.owner].append(reuse)
            for slug in reuse.datasets:
                if slug in public:
                    self.reuses_of_dataset[slug].append(reuse)
        self.discussions_of: dict[tuple[str, str], list[Discussion]] = defaultdict(list)
        self.discussions_about: dict[tuple[str, str], list[Discussion]] = defaultdict(list)
        for discussion in sorted(portal.discussions.values(), key=lambda d: (d.messages[0].posted, d.id)):
            if discussion.subject_type == "dataset" and discussion.subject not in public:
                continue
            self.discussions_of[discussion.owner].append(discussion)
            self.discussions_about[(discussion.subject_type, discussion.subject)].append(discussion)
        # by organization, in content order: dashboards and keys ask for one organization's (5,000 of them)
        self.requests_of: dict[str, list] = defaultdict(list)
        for request in portal.requests:
            self.requests_of[request.organization].append(request)
        self.harvesters_of: dict[str, list] = defaultdict(list)
        for harvester in portal.harvesters:
            self.harvesters_of[harvester.organization].append(harvester)
        self.memberships: dict[str, list[tuple[Organization, str]]] = defaultdict(list)
        for org in self.organizations:
            for member in org.members:
                self.memberships[member.user].append((org, member.role))
        self.resource_count = sum(len(d.resources) for d in self.datasets)
        self.formats: dict[str, list[str]] = {d.slug: formats_of(d) for d in self.datasets}
        self.reference_date = quality_mod.reference_date(self.datasets)
        self.link_checks = linkcheck.load(content_dir)
        self.latest = sorted(self.datasets, key=lambda d: (d.last_modified[:10], d.slug), reverse=True)[:HOME_LATEST]
        self.most_reused = sorted(
            (d for d in self.datasets if self.reuses_of_dataset.get(d.slug)),
            key=lambda d: (-len(self.reuses_of_dataset[d.slug]), d.slug),
        )[:HOME_LATEST]
        self.images = self._images(content_dir)
        self.memo: Callable[[str], cache.Memo] | None = None  # the build's memos (export.tables uses one)
        # while a warm build computes keys: the content paths each key reads (see generator.quick)
        self.reads: list[str] | None = None
        self._digests(content_dir, digests or {})
        root = repo_root_of(content_dir)
        try:
            self.content_in_repo = content_dir.relative_to(root).as_posix()
        except ValueError:  # pragma: no cover - content outside its repository
            self.content_in_repo = "content"

    def _digests(self, content_dir: Path, digests: dict[str, bytes]) -> None:
        """Content digests for the keys of incremental builds (:mod:`generator.keys`), by file and folder."""
        self.digests = dict(digests)
        for rel in (*sorted(self.images.values()), *_data_files(content_dir)):
            self.digests[rel] = digest((content_dir / rel).read_bytes())
        self._paths = sorted(self.digests)
        self.content_digest = self._digest_of(self._paths)
        folders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for rel in self._paths:
            parts = rel.split("/", 2)
            if len(parts) == 3 and parts[0] in ("organizations", "users"):
                folders[("organization" if parts[0] == "organizations" else "user", parts[1])].append(rel)
        self.folders = {owner: self._digest_of(paths) for owner, paths in folders.items()}
        self.links_digest = key_digest([(r, self.digests[r]) for r in self._paths if r.startswith("links/")])
        self.metrics_digest = key_digest([(r, self.digests[r]) for r in self._paths if r.startswith("metrics/")])

    def _digest_of(self, paths: list[str]) -> bytes:
        return digest(b"".join(b"%s\0%s" % (rel.encode(), self.digests[rel]) for rel in paths))

    def refresh(self, owners: set[tuple[str, str]]) -> None:
        """The digests of the whole content and of ``owners``' folders again, after edits of existing files.

        A warm builder's quick rebuild (:mod:`generator.quick`) calls it: the set of files is the same, so
        only the digests of what holds the edited files are computed again.
        """
        self.content_digest = self._digest_of(self._paths)
        for owner in owners:
            prefix = self.owner_path(owner)
            start = bisect.bisect_left(self._paths, prefix)
            stop = bisect.bisect_left(self._paths, prefix + "\U0010ffff", start)
            self.folders[owner] = self._digest_of(self._paths[start:stop])

    def file(self, path: str) -> tuple[str, bytes]:
        """A content file as keys see it: its path and its digest."""
        if self.reads is not None:
            self.reads.append(path)
        return (path, self.digests.get(path, b""))

    def folder_digest(self, owner: tuple[str, str]) -> bytes:
        if self.reads is not None:
            self.reads.append(self.owner_path(owner))  # the same string as the owner's content folder
        return self.folders.get(owner, b"")

    def everything(self) -> bytes:
        """The digest of the whole content, for the outputs that show a little of everything (home, totals)."""
        if self.reads is not None:
            self.reads.append(EVERYTHING)
        return self.content_digest

    def owner_key(self, owner: tuple[str, str]) -> tuple:
        kind, slug = owner
        path = f"organizations/{slug}/organization.yaml" if kind == "organization" else f"users/{slug}.yaml"
        return (self.file(path), self.images.get(owner))

    def public_datasets(self, item: Reuse | Dataservice) -> list[Dataset]:
        """The datasets a reuse uses or an API serves that the site shows (private ones are left out)."""
        return [self.portal.datasets[slug] for slug in item.datasets if slug in self.public_slugs]

    def user_name(self, username: str) -> str | None:
        if self.reads is not None:
            self.reads.append(f"users/{username}.yaml")
        user = self.portal.users.get(username)
        return user.name if user is not None else None

    @functools.cached_property
    def dashboard_reference_date(self) -> Any:
        return dashboard.reference_date(self)

    @staticmethod
    def _images(content_dir: Path) -> dict[tuple[str, str], str]:
        """``("organization", slug)`` or ``("user", name)`` -> its logo/avatar file, content-relative."""
        found: dict[tuple[str, str], str] = {}
        for pattern in ("organizations/*/logo.*", "users/*/avatar.*"):
            for path in sorted(content_dir.glob(pattern)):
                location = classify(path.relative_to(content_dir).as_posix())
                if location is not None and location.kind in ("logo", "avatar") and location.owner:
                    found.setdefault(location.owner, location.path)
        return found

    def quality(self, dataset: Dataset) -> quality_mod.Quality:
        return quality_mod.quality(dataset, self.reference_date, self.link_checks)

    def dataservice_quality(self, api: Dataservice) -> quality_mod.Quality:
        return quality_mod.dataservice_quality(api, self.public_slugs, self.link_checks)

    def edit_url(self, path: str) -> str | None:
        """The repository's web editor for a content file (GitHub/Gitea/Forgejo style), or None."""
        if not self.site.repository:
            return None
        return f"{self.site.repository.rstrip('/')}/edit/{self.site.branch}/{self.content_in_repo}/{path}"

    def image(self, owner: tuple[str, str]) -> str | None:
        """The output path of an owner's logo or avatar file (same as in the content), if any."""
        return self.images.get(owner)

    def owner_name(self, owner: tuple[str, str]) -> str:
        kind, slug = owner
        if kind == "organization":
            return self.portal.organizations[slug].name
        return self.portal.users[slug].name

    def owner_path(self, owner: tuple[str, str]) -> str:
        kind, slug = owner
        return f"organizations/{slug}/" if kind == "organization" else f"users/{slug}/"


# --- the pages, as data ------------------------------------------------------------------------------------


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


def formats_of(dataset: Dataset) -> list[str]:
    """The formats a dataset card shows, computed once per build (not by template filters on every card)."""
    return sorted({r.format for r in dataset.resources})


# --- rendering ----------------------------------------------------------------------------------------------


class Renderer:
    """Renders pages with one Jinja environment per language, created on first use."""

    def __init__(
        self,
        index: SiteIndex,
        urls: Urls,
        theme_folder: Path | None,
        environments: dict[str, jinja2.Environment] | None = None,
        bytecode: Path | None = None,
    ):
        self.index = index
        self.bytecode = bytecode
        self.urls = urls
        self.theme_folder = theme_folder
        # a warm Builder passes the environments of its previous build (same theme, site and URLs): their
        # compiled templates are reused, and Jinja reloads a template whose file changed
        self._envs = environments if environments is not None else {}
        for env in self._envs.values():
            env.globals.update(site=index.site, index=index)

    def environment(self, language: str) -> jinja2.Environment:
        env = self._envs.get(language)
        if env is None:
            folder = self.bytecode / language if self.bytecode is not None else None
            env = make_environment(language, self.urls, self.theme_folder, folder)
            env.globals.update(site=self.index.site, index=self.index)
            self._envs[language] = env
        return env

    def render(self, page: Page) -> str:
        env = self.environment(page.language or self.urls.languages[0])
        try:
            template = env.get_template(page.template)
            return template.render(page.values(), page=page)
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
            raise BuildError(f"cannot render {page.path or '/'} with {page.template}: {where}{exc}") from exc

    def write(self, pages_to_write: list[Page], sink: Sink) -> None:
        for page in pages_to_write:
            sink.put(page.output(self.urls), self.render(page).encode("utf-8"))


class Sink:
    """Where rendered files go: a new site folder, or (incremental builds) a staging folder.

    With ``live`` set, a file whose bytes equal the live site's file is not written at all, and the paths of
    the files written are kept in ``written``: that list is what the commit moves into the live site.
    """

    def __init__(self, dest: Path, live: Path | None = None):
        self.dest = dest
        self.live = live
        self.written: list[str] = []
        self.count = 0
        self._made: set[Path] = set()

    def put(self, rel: str, data: bytes) -> None:
        if self.live is not None:
            if _same_bytes(self.live / rel, data):
                return
            self.written.append(rel)
        target = self.dest / rel
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        target.write_bytes(data)
        self.count += 1

    def take(self) -> tuple[int, list[str]]:
        """What was written since the last call (a pool task's result)."""
        done = (self.count, self.written)
        self.count, self.written = 0, []
        return done


def _same_bytes(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data`` (a missing file does not)."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


# set in the parent before forking the pool: the renderer, the pages, the export units, the sink
_WORKER: tuple[Renderer, list[Page], list[export.Unit], Sink] | None = None


def _render_shard(shard: tuple[int, int]) -> tuple[int, list[str]]:
    assert _WORKER is not None
    renderer, all_pages, _, sink = _WORKER
    start, stop = shard
    renderer.write(all_pages[start:stop], sink)
    return sink.take()


def _export_shard(shard: tuple[int, int]) -> tuple[int, list[str], dict[str, list[str]]]:
    assert _WORKER is not None
    _, _, units, sink = _WORKER
    made = make_units(units[shard[0] : shard[1]], sink)
    return (*sink.take(), made)


def make_units(units: list[export.Unit], sink: Sink) -> dict[str, list[str]]:
    """Make export units into ``sink``; returns the files of each unit (the state keeps them)."""
    made: dict[str, list[str]] = {}
    for unit in units:
        paths = made[unit.name] = []
        for rel, data in unit.make():
            sink.put(rel, data)
            paths.append(rel)
    return made


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object of this process out of the garbage collector's reach while workers are forked.

    A forked worker shares the parent's memory until it writes to it; the collector's full passes write to
    every object it tracks, which would copy the whole portal (gigabytes at 50,000 datasets) into each
    worker. Frozen objects are never traversed: the workers keep sharing them.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def markdown_texts(index: SiteIndex) -> list[str]:
    """Every Markdown text the site shows, once each, in a stable order."""
    texts: dict[str, None] = {index.site.description: None}
    for dataset in index.datasets:
        texts[dataset.description] = None
        texts.update((r.description, None) for r in dataset.resources if r.description)
    for item in (*index.dataservices, *index.reuses, *index.organizations):
        texts[item.description] = None
    texts.update((user.about, None) for user in index.portal.users.values() if user.about)
    for discussions in index.discussions_of.values():
        for discussion in discussions:
            texts.update((message.content, None) for message in discussion.messages)
    return list(texts)


def _prerender_shard(texts: list[str]) -> list[tuple[str, str]]:
    return markdown.prerender(texts)


def prerender_markdown(index: SiteIndex, jobs: int) -> None:
    """Render every Markdown text of the site once, on the pool, into this process's cache.

    Done before the page workers fork, so they inherit every text already rendered: otherwise each worker
    would parse again the descriptions of every card it shows (Markdown is the costliest step per page).
    """
    texts = markdown_texts(index)
    size = max(100, len(texts) // (jobs * 8))
    shards = [texts[i : i + size] for i in range(0, len(texts), size)]
    with frozen_heap(), multiprocessing.get_context("fork").Pool(jobs) as pool:
        for shard, rendered in zip(shards, pool.map(_prerender_shard, shards), strict=True):
            markdown.remember(shard, rendered)


@dataclass
class Rendered:
    """What :func:`render_pages` wrote: counts, the paths (incremental builds) and each unit's files."""

    count: int = 0
    written: list[str] = field(default_factory=list)
    units: dict[str, list[str]] = field(default_factory=dict)

    def add(self, count: int, written: list[str], units: dict[str, list[str]] | None = None) -> None:
        self.count += count
        self.written += written
        self.units.update(units or {})


def render_pages(
    renderer: Renderer,
    all_pages: list[Page],
    units: list[export.Unit],
    sink: Sink,
    jobs: int | None,
    search_site: Path | None = None,
    search_shards: list[search.Shard] | None = None,
) -> Rendered:
    """Write pages and export units into ``sink``; with ``search_site``, index the search there too (its
    ``search_shards``).

    Small jobs run in this process. Large ones run on a pool of forked workers, in an order that keeps every
    core busy: the export units come first (the site-wide ones are the longest tasks); the pages the search
    indexes (dataset pages) come next, so the search indexer (a separate process) starts on them while the
    rest of the site renders.
    """
    jobs = jobs or os.cpu_count() or 1
    done = Rendered()
    work = len(all_pages) + 10 * len(units)
    if jobs == 1 or work < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        renderer.write(all_pages, sink)
        made = make_units(units, sink)
        done.add(*sink.take(), made)
        if search_site is not None:
            search.index_site(search_site, renderer.index, search_shards)
        return done
    if len(all_pages) >= PARALLEL_THRESHOLD:
        prerender_markdown(renderer.index, jobs)
    indexed = [p for p in all_pages if p.template in search.INDEXED_TEMPLATES]
    ordered = indexed + [p for p in all_pages if p.template not in search.INDEXED_TEMPLATES]
    global _WORKER
    _WORKER = (renderer, ordered, units, sink)
    size = max(200, len(ordered) // (jobs * 8))
    first = [(i, min(i + size, len(indexed))) for i in range(0, len(indexed), size)]
    rest = [(i, min(i + size, len(ordered))) for i in range(len(indexed), len(ordered), size)]
    sites = sum(1 for u in units if u.name.startswith("site/"))  # units are listed site-wide ones first
    unit_size = max(50, (len(units) - sites) // (jobs * 4))
    unit_shards = [(i, i + 1) for i in range(sites)]
    unit_shards += [(i, min(i + unit_size, len(units))) for i in range(sites, len(units), unit_size)]
    indexing = None
    try:
        with frozen_heap(), multiprocessing.get_context("fork").Pool(jobs) as pool:
            exports = [pool.apply_async(_export_shard, (shard,)) for shard in unit_shards]
            for result in pool.imap_unordered(_render_shard, first):
                done.add(*result)
            if search_site is not None:
                indexing = search.start(search_site, renderer.index, shards=search_shards)
            for result in pool.imap_unordered(_render_shard, rest):
                done.add(*result)
            for result in exports:
                done.add(*result.get())
        search.finish(indexing)
        indexing = None
        return done
    finally:
        _WORKER = None
        if indexing is not None:  # a page failed: stop the indexer before the temporary site is removed
            indexing.kill()


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


def copy_files(files: dict[str, Path], sink: Sink) -> dict[str, bytes]:
    """Copy the static files into ``sink``; returns each one's digest (the state keeps them)."""
    digests = {}
    for rel, source in files.items():
        data = source.read_bytes()
        digests[rel] = digest(data)
        sink.put(rel, data)
    return digests


# --- the pipeline -------------------------------------------------------------------------------------------


class Builder:
    """Builds one content folder into one output folder, again and again, redoing only what changed.

    ``portal build`` makes one per run (the caches come from ``.portal-cache/``); ``portal serve`` keeps one
    for its whole session, so its caches stay in memory between rebuilds.
    """

    def __init__(
        self,
        content_dir: Path,
        output: Path,
        base_url: str | None = None,
        jobs: int | None = None,
        warm: bool = False,
    ):
        self.content_dir = Path(content_dir)
        # warm (serve's choice): the parsed files stay in memory between rebuilds; after an incremental rebuild
        # the pages are in place at once and the search index follows in a background thread (Pagefind reads
        # every dataset page: seconds on a large portal). A one-shot build frees the parsed files instead.
        self.warm = warm
        self._searching: threading.Thread | None = None  # the background work of the last rebuild (warm)
        self._lock = threading.Lock()
        self._indexer: search.Indexing | None = None  # the Pagefind runs of that work, while they run
        self._stopping = False
        self.search_owed = False  # the live search index is older than the pages (a reindex stopped or failed)
        self.output = Path(output).absolute()
        self.base_url = base_url
        self.jobs = jobs
        self.files: cache.FileCache | None = None
        self.models: dict | None = {} if warm else None  # model objects by file (Portal.from_entries)
        self.state: cache.BuildState | None = None
        self.environments: tuple[bytes, dict[str, jinja2.Environment]] | None = None  # by global key
        self.last: Any = None  # warm: what the last build made, for rebuilds driven by changed paths (quick)

    def build(self, full: bool = False, changed: Iterable[Path | str] | None = None) -> BuildResult:
        """Build the site (see the module docstring for the guarantees); ``full`` ignores the build state.

        ``changed`` (a warm builder's, from a file watcher): the paths changed since the last build. When they
        are all edits that :mod:`generator.quick` can apply to the last build's model, only the outputs that
        depend on them are made again, without reading the rest of the content.
        """
        started = time.perf_counter()
        self._stop_background()
        if changed is not None and not full and self.last is not None:
            from . import quick  # quick builds on this module

            try:
                result = quick.rebuild(self, self.last, changed)
            except ContentError:
                raise  # found before anything changed: the last build still holds
            except BaseException:
                self.last = None  # a page failed after the model changed: the next build is an ordinary one
                raise
            if result is not None:
                result.seconds = time.perf_counter() - started
                return result
        self.last = None  # until this build is through
        if not self.content_dir.is_dir():
            raise UsageError(f"no content folder at {self.content_dir} (pass --content DIR)")
        if self.files is None:
            self.files = cache.FileCache.load(self.content_dir)
        portal, content_dir, digests = read_portal(self.content_dir, self.jobs, self.files, self.models)
        if not self.warm:
            self.files = None  # saved already; the model holds what the build needs
        urls = Urls.make(self.base_url or portal.site.base_url, portal.site.languages)
        theme_folder = content_dir / portal.site.theme if portal.site.theme else None
        if theme_folder is not None and not theme_folder.is_dir():
            raise UsageError(f"the theme folder {portal.site.theme!r} named in site.yaml does not exist")
        output = self.output
        if output == content_dir or content_dir.is_relative_to(output):
            raise UsageError(f"the output folder {output} would replace the content")
        index = SiteIndex(portal, content_dir, digests)
        all_pages = pages(index)
        memo_folder = cache.BuildState.path(content_dir, self.output).with_suffix("")
        units = export.units(index, urls)
        globals_key = key_digest(
            keys.global_key(
                cache.generator_fingerprint(),
                tree_digest(theme_folder) if theme_folder is not None else b"",
                portal.site,
                urls.base_url,
                urls.languages,
                sorted(portal.zones.items()),
            )
        )
        index.memo = functools.partial(_memo, memo_folder, globals_key)
        if self.environments is None or self.environments[0] != globals_key:
            self.environments = (globals_key, {})
        bytecode = cache.cache_dir(content_dir) / "templates" / cache.generator_fingerprint()[:16]
        renderer = Renderer(index, urls, theme_folder, self.environments[1], bytecode)
        statics = static_files(index, theme_folder)
        state = None if full else (self.state or cache.BuildState.load(content_dir, output))
        if state is not None and not state.describes(output):
            state = None  # the folder was removed or replaced since (by another build, by hand)
        self.state = None  # until this build is through
        recording = index if self.warm else None
        page_keys, page_deps = _page_keys(all_pages, urls, recording)
        unit_keys, unit_deps = _unit_keys(units, recording)
        plan = _Plan(renderer, all_pages, page_keys, units, unit_keys, statics, globals_key)
        result, state = self._full(plan) if state is None else self._incremental(plan, state)
        self.state = state
        if self.warm:
            from . import quick

            positions = dict(zip(page_keys, range(len(all_pages)), strict=True))
            self.last = quick.Warm(renderer, all_pages, positions, page_deps, units, unit_deps, result.files)
        result.seconds = time.perf_counter() - started
        return result

    def wait_for_search(self) -> None:
        """Wait for what a previous rebuild left running in the background (``warm``): search index, exports."""
        if self._searching is not None:
            self._searching.join()
            self._searching = None

    def _stop_background(self) -> None:
        """A new build supersedes the search index the last one was still making: stop Pagefind, owe the index.

        At 50,000 datasets Pagefind reads for minutes; a second edit in ``portal serve`` would otherwise wait
        for the index of the first. The rest of the background work (exports, state) is short and completes.
        """
        if self._searching is None:
            return
        with self._lock:
            self._stopping = True
            if self._indexer is not None:
                self._indexer.kill()
        try:
            self.wait_for_search()
        finally:
            self._stopping = False

    def in_background(self, work: Callable[[], None]) -> None:
        """Run ``work`` in this builder's background thread (a warm builder's, after the pages are in place)."""

        def run() -> None:
            try:
                work()
            except Exception:  # logged: the pages are in place, and the next rebuild tries again
                search.log.exception("the background part of the last rebuild failed")

        self._searching = threading.Thread(target=run, daemon=True)
        self._searching.start()

    def reindex(self, index: SiteIndex, shards: list[search.Shard] | None = None) -> None:
        """Index the live site's dataset pages into a staging folder, then put the new bundle files in place.

        ``shards`` (:func:`_search_shards`; by default those of this builder's state, which a quick rebuild
        updated): on a sharded site only the shards whose folder is not live yet are made, moved in, then the
        manifest is replaced and the folders it no longer names are removed. A site of one shard has its
        bundle made again and the files that changed replaced. A marker file says the index is owed until it
        is done, so that a build interrupted here (or stopped by a newer one, :meth:`_stop_background`)
        indexes again next time, even from another process.
        """
        output = self.output
        state = None
        if shards is None:  # a quick rebuild's, from the state it updated: the index is saved as made from it
            state = self.state
            assert state is not None
            shards = search.plan(state.pages, index.site.languages, state.globals, search.shard_size())
        live = output / search.BUNDLE
        sharded = bool(shards) and shards[0].folder != ""
        todo = [s for s in shards if not (live / s.folder).is_dir()] if sharded else None
        marker = cache.BuildState.search_marker(index.content_dir, output)
        marker.touch()
        self.search_owed = True
        with staging_folder(output, "search") as staging:
            bundle = staging / "bundle"
            with self._lock:
                if self._stopping:
                    return
                started = search.start(output, index, bundle, todo)
                self._indexer = started
            try:
                search.finish(started, whole=not sharded)
            except search.SearchIndexError:
                if self._stopping:
                    return
                raise
            finally:
                self._indexer = None
            if sharded and started is not None:
                _replace_shards(output, bundle, shards, staging / "old")
            else:
                _replace_bundle(output, bundle)
            if state is not None:
                state.search = search.plan_key(shards)
                state.save(index.content_dir, output)
            self.search_owed = False
            marker.unlink(missing_ok=True)

    # --- a full build: a new folder, swapped in -------------------------------------------------------------

    def _full(self, plan: _Plan) -> tuple[BuildResult, cache.BuildState]:
        renderer, all_pages, units = plan.renderer, plan.pages, plan.units
        output, content_dir = self.output, renderer.index.content_dir
        output.parent.mkdir(parents=True, exist_ok=True)
        cache.BuildState.forget(content_dir, output)
        temp = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
        shards = _search_shards(plan)
        try:
            sink = Sink(temp)
            done = render_pages(renderer, all_pages, units, sink, self.jobs, search_site=temp, search_shards=shards)
            static = copy_files(plan.statics, sink)
            _swap(temp, output)
            self.search_owed = False
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        state = cache.BuildState(
            globals=plan.globals_key,
            pages=plan.page_keys,
            units={u.name: (plan.unit_keys[u.name], done.units[u.name]) for u in units},
            static=static,
            search=search.plan_key(shards),
        )
        state.save(content_dir, output)
        files = done.count + len(static)
        return BuildResult(output, len(all_pages), files, 0.0, False, len(all_pages), files, 0), state

    # --- an incremental build: changed files staged, then moved into the live folder ------------------------

    def _incremental(self, plan: _Plan, state: cache.BuildState) -> tuple[BuildResult, cache.BuildState]:
        renderer, all_pages, page_keys, units, unit_keys = (
            plan.renderer,
            plan.pages,
            plan.page_keys,
            plan.units,
            plan.unit_keys,
        )
        output, content_dir = self.output, renderer.index.content_dir
        same = state.globals == plan.globals_key
        changed = [
            page
            for page, (out, key) in zip(all_pages, page_keys.items(), strict=True)
            if not same or state.pages.get(out) != key
        ]
        redo = [
            u for u in units if not same or u.name not in state.units or state.units[u.name][0] != unit_keys[u.name]
        ]
        with staging_folder(output, "stage") as staging:
            sink = Sink(staging, live=output)
            done = render_pages(renderer, changed, redo, sink, self.jobs)
            static = copy_files(plan.statics, sink)  # the sink writes only those that changed
            done.add(*sink.take())
            new_units = {name: (unit_keys[name], state.units[name][1]) for name in unit_keys if name in state.units}
            new_units.update({name: (unit_keys[name], files) for name, files in done.units.items()})
            keep = set(page_keys) | {f for _, files in new_units.values() for f in files} | set(plan.statics)
            before = set(state.pages) | {f for _, files in state.units.values() for f in files} | set(state.static)
            removed = sorted(before - keep)
            shards = _search_shards(plan)
            search_key = search.plan_key(shards)  # the shards' keys: the global key, the dataset pages' keys
            reindex = search_key != state.search or self.search_owed
            state.committing = True
            state.save(content_dir, output)
            commit(staging, output, done.written, removed)
            if reindex and self.warm:
                self.in_background(functools.partial(self.reindex, renderer.index, shards))
            elif reindex:
                self.reindex(renderer.index, shards)
        state = cache.BuildState(
            globals=plan.globals_key,
            pages=page_keys,
            units=new_units,
            static=static,
            search=search_key,
        )
        state.save(content_dir, output)
        rendered = len(changed)
        return BuildResult(
            output, len(all_pages), len(keep), 0.0, True, rendered, len(done.written), len(removed)
        ), state


@dataclass
class _Plan:
    """What one build makes: pages and export units with their key digests, static files, the global key."""

    renderer: Renderer
    pages: list[Page]
    page_keys: dict[str, bytes]  # output path -> key digest, in the order of pages
    units: list[export.Unit]
    unit_keys: dict[str, bytes]  # unit name -> key digest
    statics: dict[str, Path]
    globals_key: bytes


@contextlib.contextmanager
def staging_folder(output: Path, kind: str) -> Iterator[Path]:
    """A temporary folder next to ``output`` (same disk: its files move in with renames), removed after use.

    What is left in it goes the way of a previous site (:func:`_discard`): a search reindex leaves the ~100,000
    files of Pagefind's bundle that did not change, which take 25 s to delete at 50,000 datasets.
    """
    folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.{kind}-", dir=output.parent))
    try:
        yield folder
    finally:
        _discard(folder)


def _memo(folder: Path, header: bytes, name: str) -> cache.Memo:
    return cache.Memo.load(folder / f"{name}.pickle", header)


Dependencies = dict[str, list[int]]  # content path (or folder, or EVERYTHING) -> positions of what reads it


def _page_keys(
    all_pages: list[Page], urls: Urls, recording: SiteIndex | None = None
) -> tuple[dict[str, bytes], Dependencies | None]:
    """Each page's output path -> the digest of its key (translations share the digest of their page).

    With ``recording`` (a warm build's index), also which pages read each content path: the positions in
    ``all_pages`` that a later edit of that path may change (:mod:`generator.quick`).
    """
    found: dict[str, bytes] = {}
    memo: dict[tuple[int, str], tuple[bytes, list[str]]] = {}
    deps: Dependencies | None = defaultdict(list) if recording is not None else None
    reads: list[str] = []
    for position, page in enumerate(all_pages):
        if page.key is None:  # no key: always rendered again
            found[page.output(urls)] = os.urandom(16)
            continue
        ident = (id(page.key), page.path)
        known = memo.get(ident)
        if known is None:
            value, reads = page_key(page, recording)
            memo[ident] = (value, reads)
        else:
            value, reads = known
        if deps is not None:
            for path in reads:
                deps[path].append(position)
        found[page.output(urls)] = value  # each language's file is compared with its own stored key
    return found, deps


def page_key(page: Page, recording: SiteIndex | None = None) -> tuple[bytes, list[str]]:
    """The digest of a page's key, and (``recording``) the content paths it read."""
    return _recorded(recording, lambda: (page.template, page.path, keys.value(page.key)))


def _unit_keys(
    units: list[export.Unit], recording: SiteIndex | None = None
) -> tuple[dict[str, bytes], Dependencies | None]:
    """Each unit's name -> the digest of its key; with ``recording``, which units read each content path."""
    found: dict[str, bytes] = {}
    deps: Dependencies | None = defaultdict(list) if recording is not None else None
    for position, unit in enumerate(units):
        found[unit.name], reads = unit_key(unit, recording)
        if deps is not None:
            for path in reads:
                deps[path].append(position)
    return found, deps


def unit_key(unit: export.Unit, recording: SiteIndex | None = None) -> tuple[bytes, list[str]]:
    return _recorded(recording, lambda: keys.value(unit.key))


def _recorded(recording: SiteIndex | None, key: Callable[[], Any]) -> tuple[bytes, list[str]]:
    if recording is None:
        return key_digest(key()), []
    recording.reads = []
    try:
        value = key_digest(key())
        return value, list(dict.fromkeys(recording.reads))
    finally:
        recording.reads = None


def _search_shards(plan: _Plan) -> list[search.Shard]:
    """The search index's shards, keyed from the dataset pages' keys and the global key (no page is read)."""
    languages = plan.renderer.urls.languages
    return search.plan(plan.page_keys, languages, plan.globals_key, search.shard_size())


def is_indexed(rel: str, urls: Urls) -> bool:
    return search.page_item(rel, urls.languages) is not None


def commit(staging: Path, output: Path, written: list[str], removed: list[str]) -> None:
    """Move the staged files into the live site (one rename each), then delete what the site no longer has."""
    made: set[Path] = set()
    for rel in written:
        target = output / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        os.replace(staging / rel, target)
    folders = set()
    for rel in removed:
        (output / rel).unlink(missing_ok=True)
        folders.add((output / rel).parent)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder != output and folder.is_relative_to(output):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent


def _replace_bundle(output: Path, bundle: Path) -> None:
    """Move the files of a new search bundle that differ from the live ones into the live site."""
    live = output / search.BUNDLE
    new_files = (
        {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} if bundle.is_dir() else set()
    )
    old_files = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_file()} if live.is_dir() else set()
    changed = [rel for rel in sorted(new_files) if not _same_bytes(live / rel, (bundle / rel).read_bytes())]
    commit(bundle, live, changed, sorted(old_files - new_files))


def _replace_shards(output: Path, bundle: Path, shards: list[search.Shard], trash: Path) -> None:
    """Move the new shard folders of ``bundle`` into the live bundle, replace the manifest, then move what it
    no longer names into ``trash``: a reader holding the previous manifest finds its folders until then."""
    live = output / search.BUNDLE
    live.mkdir(parents=True, exist_ok=True)
    for shard in shards:
        if (bundle / shard.folder).is_dir():
            os.replace(bundle / shard.folder, live / shard.folder)
    write_atomic(live / search.MANIFEST, search.manifest(shards))
    keep = {search.MANIFEST} | {shard.folder.rstrip("/") for shard in shards}
    trash.mkdir(exist_ok=True)
    for entry in sorted(live.iterdir()):
        if entry.name not in keep:
            os.replace(entry, trash / entry.name)


def describe(result: BuildResult) -> str:
    """One line saying what a build did."""
    if not result.incremental:
        return f"built {result.pages} pages ({result.files} files) in {result.output} in {result.seconds:.1f} s"
    return (
        f"rebuilt {result.output} in {result.seconds:.2f} s: {result.rendered} of {result.pages} pages rendered, "
        f"{result.written} files written, {result.removed} removed"
        + ("; exports and search index follow in the background" if result.quick else "")
    )


def build(
    content_dir: Path,
    output: Path,
    base_url: str | None = None,
    jobs: int | None = None,
    full: bool = False,
) -> BuildResult:
    """Build the site of ``content_dir`` into ``output``, incrementally when ``.portal-cache/`` allows it."""
    return Builder(content_dir, output, base_url, jobs).build(full=full)


def _swap(new: Path, output: Path) -> None:
    """Put ``new`` in place of ``output`` with renames, then remove the previous site."""
    os.chmod(new, 0o755)  # mkdtemp makes it private; a site is meant to be read
    if not output.exists():
        new.rename(output)
        return
    old = output.parent / f".{output.name}.old-{os.getpid()}-{time.monotonic_ns()}"  # unique: an rm may still run
    output.rename(old)
    try:
        new.rename(output)
    except BaseException:
        old.rename(output)
        raise
    _discard(old)


DETACHED_DELETE_FILES = 20_000


def _discard(old: Path) -> None:
    """Delete the previous site (or a staging folder), in the background when it is large.

    Deleting is the slowest file operation on some disks (ext4 mounted with ``discard`` trims every freed
    block: 48,000 files took 82 s here, longer than rendering them). The new site is already in place, so a
    large old tree is handed to a detached ``rm -rf`` that outlives the build; a small one goes at once.
    """
    rm, sh = shutil.which("rm"), shutil.which("sh")
    if rm is not None and sh is not None and _more_files_than(old, DETACHED_DELETE_FILES):
        # through a shell that puts rm in the background and exits: rm is then nobody's child, so no process
        # of ours is left to reap it (a long-lived ``portal serve`` would collect zombies)
        subprocess.run(
            [sh, "-c", '"$0" -rf -- "$1" &', rm, str(old)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    else:
        shutil.rmtree(old, ignore_errors=True)


def _more_files_than(folder: Path, limit: int) -> bool:
    seen = 0
    for _, _, names in os.walk(folder):
        seen += len(names)
        if seen > limit:
            return True
    return False
