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
* **Private datasets are never published**: no page, no listing, no count, no resource redirect, no
  discussion about them.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import dashboard, export, linkcheck, markdown, search
from . import quality as quality_mod
from .errors import ContentError, PortalError, UsageError
from .layout import classify
from .model import Dataset, Discussion, Organization, Portal, Reuse
from .render import Urls, default_theme, make_environment
from .validate import repo_root_of, validate

PER_PAGE = 20  # datasets or reuses per listing page
RESOURCES_PER_PAGE = 50  # resources shown per page of a dataset
HOME_LATEST = 6
PARALLEL_THRESHOLD = 4000  # pages; below this a process pool costs more than it saves


class InvalidContent(ContentError):
    """Validation found problems: the build refuses to start. ``checked`` counts files as validate does."""

    def __init__(self, problems: list, checked: int):
        super().__init__(problems)
        self.checked = checked


class BuildError(PortalError):
    """A page could not be rendered (a broken theme template, usually)."""

    exit_code = 1


@dataclass(frozen=True)
class Page:
    """One output file: ``path`` relative to its language's root (``datasets/roads/``: a folder's index)."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict, compare=False)
    language: str | None = None  # None: written once, at the root (resource redirects)
    translated: bool = True  # has a version in every language (for hreflang links)

    def output(self, urls: Urls) -> str:
        rel = urls.prefix(self.language) + self.path
        return rel + "index.html" if rel.endswith("/") or not rel else rel


@dataclass
class BuildResult:
    output: Path
    pages: int
    files: int
    seconds: float


class SiteIndex:
    """Derived views of the portal, built once in O(n): who owns what, what uses what, public subsets."""

    def __init__(self, portal: Portal, content_dir: Path):
        self.portal = portal
        self.site = portal.site
        self.content_dir = content_dir
        self.datasets: list[Dataset] = [d for d in portal.datasets.values() if not d.private]
        self.datasets.sort(key=lambda d: d.slug)
        public = {d.slug for d in self.datasets}
        self.public_slugs = public
        self.reuses: list[Reuse] = sorted(portal.reuses.values(), key=lambda r: r.slug)
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
        self.memberships: dict[str, list[tuple[Organization, str]]] = defaultdict(list)
        for org in self.organizations:
            for member in org.members:
                self.memberships[member.user].append((org, member.role))
        self.resource_count = sum(len(d.resources) for d in self.datasets)
        # a card shows a dataset's formats: computed once here, not by template filters on every card
        self.formats: dict[str, list[str]] = {d.slug: sorted({r.format for r in d.resources}) for d in self.datasets}
        self.reference_date = quality_mod.reference_date(self.datasets)
        self.link_checks = linkcheck.load(content_dir)
        self.latest = sorted(self.datasets, key=lambda d: (d.last_modified[:10], d.slug), reverse=True)[:HOME_LATEST]
        self.most_reused = sorted(
            (d for d in self.datasets if self.reuses_of_dataset.get(d.slug)),
            key=lambda d: (-len(self.reuses_of_dataset[d.slug]), d.slug),
        )[:HOME_LATEST]
        self.images = self._images(content_dir)
        root = repo_root_of(content_dir)
        try:
            self.content_in_repo = content_dir.relative_to(root).as_posix()
        except ValueError:  # pragma: no cover - content outside its repository
            self.content_in_repo = "content"

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


def _listing(base: str, template: str, items: list, key: str, per_page: int, extra: dict) -> Iterator[Page]:
    chunks = _paginate(items, per_page)
    for number, chunk in enumerate(chunks, start=1):
        path = base if number == 1 else f"{base}page/{number}/"
        yield Page(path, template, {**extra, key: chunk, "pager": _pager(base, number, len(chunks))})


def home_pages(index: SiteIndex) -> Iterator[Page]:
    yield Page("", "home.html", {"page_kind": "home"})
    yield Page("404.html", "404.html", {"page_kind": "404"})


def organization_pages(index: SiteIndex) -> Iterator[Page]:
    yield Page("organizations/", "organizations.html", {"organizations": index.organizations})
    for org in index.organizations:
        owner = ("organization", org.slug)
        base = f"organizations/{org.slug}/"
        extra = {
            "org": org,
            "reuses": index.reuses_of.get(owner, []),
            "discussions": index.discussions_of.get(owner, []),
            "dataset_count": len(index.datasets_of.get(owner, [])),
        }
        yield from _listing(base, "organization.html", index.datasets_of.get(owner, []), "datasets", PER_PAGE, extra)
        yield Page(f"{base}dashboard/", "dashboard.html", {"org": org, **dashboard.organization_dashboard(index, org)})
    yield Page("dashboard/", "site-dashboard.html", dashboard.site_dashboard(index))


def dataset_pages(index: SiteIndex, datasets: list[Dataset] | None = None) -> Iterator[Page]:
    yield from _listing("datasets/", "datasets.html", index.datasets, "datasets", PER_PAGE, {})
    for dataset in index.datasets if datasets is None else datasets:
        yield from dataset_detail_pages(index, dataset)


def dataset_detail_pages(index: SiteIndex, dataset: Dataset) -> Iterator[Page]:
    base = f"datasets/{dataset.slug}/"
    chunks = _paginate(_grouped(dataset), RESOURCES_PER_PAGE)
    context = {
        "dataset": dataset,
        "resources": chunks[0],
        "resource_pager": _pager(f"{base}resources/", 1, len(chunks)) if len(chunks) > 1 else None,
        "quality": index.quality(dataset),
        "reuses": index.reuses_of_dataset.get(dataset.slug, []),
        "discussions": index.discussions_about.get(("dataset", dataset.slug), []),
        "edit_url": index.edit_url(dataset.path),
    }
    yield Page(base, "dataset.html", context)
    if len(chunks) > 1:
        for number, chunk in enumerate(chunks, start=1):
            path = f"{base}resources/" if number == 1 else f"{base}resources/page/{number}/"
            pager = _pager(f"{base}resources/", number, len(chunks))
            yield Page(path, "resources.html", {"dataset": dataset, "resources": chunk, "pager": pager})


_TYPE_ORDER = {t: i for i, t in enumerate(["main", "api", "documentation", "update", "code", "other"])}


def _grouped(dataset: Dataset) -> list:
    """Resources in display order: by type (main first), then as listed in the file."""
    return sorted(dataset.resources, key=lambda r: _TYPE_ORDER.get(r.type, 99))


def redirect_pages(index: SiteIndex, datasets: list[Dataset] | None = None) -> Iterator[Page]:
    for dataset in index.datasets if datasets is None else datasets:
        for resource in dataset.resources:
            yield Page(
                f"datasets/r/{resource.id}/",
                "redirect.html",
                {"resource": resource, "dataset": dataset},
                language=None,
                translated=False,
            )


def reuse_pages(index: SiteIndex) -> Iterator[Page]:
    yield from _listing("reuses/", "reuses.html", index.reuses, "reuses", PER_PAGE, {})
    for reuse in index.reuses:
        datasets = [index.portal.datasets[s] for s in reuse.datasets if s in index.public_slugs]
        discussions = index.discussions_about.get(("reuse", reuse.slug), [])
        yield Page(
            f"reuses/{reuse.slug}/", "reuse.html", {"reuse": reuse, "datasets": datasets, "discussions": discussions}
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
                "reuses": index.reuses_of.get(owner, []),
            },
        )


PAGE_FUNCTIONS = [home_pages, organization_pages, dataset_pages, reuse_pages, user_pages]


def pages(index: SiteIndex) -> list[Page]:
    """Every page of the site in every language, in a stable order."""
    neutral = list(redirect_pages(index))
    translated = [page for function in PAGE_FUNCTIONS for page in function(index)]
    languages = index.site.languages
    # a page's translations sit next to each other: a worker renders its Markdown once (markdown's cache)
    return neutral + [Page(p.path, p.template, p.context, lang, p.translated) for p in translated for lang in languages]


# --- rendering ----------------------------------------------------------------------------------------------


class Renderer:
    """Renders pages with one Jinja environment per language, created on first use."""

    def __init__(self, index: SiteIndex, urls: Urls, theme_folder: Path | None):
        self.index = index
        self.urls = urls
        self.theme_folder = theme_folder
        self._envs: dict[str, jinja2.Environment] = {}

    def environment(self, language: str) -> jinja2.Environment:
        env = self._envs.get(language)
        if env is None:
            env = make_environment(language, self.urls, self.theme_folder)
            env.globals.update(site=self.index.site, index=self.index)
            self._envs[language] = env
        return env

    def render(self, page: Page) -> str:
        env = self.environment(page.language or self.urls.languages[0])
        try:
            template = env.get_template(page.template)
            return template.render(page.context, page=page)
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
            raise BuildError(f"cannot render {page.path or '/'} with {page.template}: {where}{exc}") from exc

    def write(self, pages_to_write: list[Page], dest: Path) -> None:
        made: set[Path] = set()
        for page in pages_to_write:
            target = dest / page.output(self.urls)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_text(self.render(page), encoding="utf-8")


_WORKER: tuple[Renderer, list[Page], Path] | None = None  # set in the parent before forking the pool


def _render_shard(shard: tuple[int, int]) -> int:
    assert _WORKER is not None
    renderer, all_pages, dest = _WORKER
    start, stop = shard
    renderer.write(all_pages[start:stop], dest)
    return stop - start


def markdown_texts(index: SiteIndex) -> list[str]:
    """Every Markdown text the site shows, once each, in a stable order."""
    texts: dict[str, None] = {index.site.description: None}
    for dataset in index.datasets:
        texts[dataset.description] = None
        texts.update((r.description, None) for r in dataset.resources if r.description)
    for item in (*index.reuses, *index.organizations):
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
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for shard, rendered in zip(shards, pool.map(_prerender_shard, shards), strict=True):
            markdown.remember(shard, rendered)


def _write_exports() -> int:
    assert _WORKER is not None
    renderer, _, dest = _WORKER
    return write_files(export.files(renderer.index, renderer.urls), dest)


def render_pages(renderer: Renderer, all_pages: list[Page], dest: Path, jobs: int | None) -> int:
    """Write every page, every export file and the search index under ``dest``; returns the export files.

    Small sites render in this process, then are indexed. Large ones render on a pool of forked workers, in
    an order that keeps every core busy: the exports run as one task of the pool, started first; the pages
    search indexes (dataset pages) come next, so the search indexer (a separate process) starts on them
    while the rest of the site renders.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(all_pages) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        renderer.write(all_pages, dest)
        exported = write_files(export.files(renderer.index, renderer.urls), dest)
        search.index_site(dest, renderer.index)
        return exported
    prerender_markdown(renderer.index, jobs)
    indexed = [p for p in all_pages if p.template == search.INDEXED_TEMPLATE]
    ordered = indexed + [p for p in all_pages if p.template != search.INDEXED_TEMPLATE]
    global _WORKER
    _WORKER = (renderer, ordered, dest)
    size = max(200, len(ordered) // (jobs * 8))
    first = [(i, min(i + size, len(indexed))) for i in range(0, len(indexed), size)]
    rest = [(i, min(i + size, len(ordered))) for i in range(len(indexed), len(ordered), size)]
    indexing = None
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            exports = pool.apply_async(_write_exports)
            for _ in pool.imap_unordered(_render_shard, first):
                pass
            indexing = search.start(dest, renderer.index)
            for _ in pool.imap_unordered(_render_shard, rest):
                pass
            exported = exports.get()
        search.finish(indexing)
        indexing = None
        return exported
    finally:
        _WORKER = None
        if indexing is not None:  # a page failed: stop the indexer before the temporary site is removed
            indexing[0].kill()
            indexing[0].wait()


def copy_files(index: SiteIndex, theme_folder: Path | None, dest: Path) -> int:
    """Static files of the stock theme (overridden by the portal's theme), logos and avatars."""
    copied = 0
    static_sources = [default_theme() / "static"]
    if theme_folder is not None:
        static_sources.append(theme_folder / "static")
    for source in static_sources:
        if source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                target = dest / "static" / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                copied += 1
    for rel in sorted(index.images.values()):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(index.content_dir / rel, target)
        copied += 1
    return copied


# --- the pipeline -------------------------------------------------------------------------------------------


def write_files(outputs: Iterator[tuple[str, bytes]], dest: Path) -> int:
    """Write ``(relative path, bytes)`` pairs under ``dest`` (the exports); returns how many."""
    count = 0
    for relative, data in outputs:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    return count


def load_portal(content_dir: Path, jobs: int | None = None) -> tuple[Portal, Path]:
    """Validate and model the content; raise :class:`ContentError` with every problem when it is broken."""
    result = validate(content_dir, jobs=jobs)
    if not result.ok:
        raise InvalidContent(result.problems, len(result.entries) + len({p.file for p in result.problems}))
    return Portal.from_entries(result.entries), result.content_dir


def build(
    content_dir: Path,
    output: Path,
    base_url: str | None = None,
    jobs: int | None = None,
) -> BuildResult:
    """Build the site of ``content_dir`` into ``output`` (see the module docstring for the guarantees)."""
    started = time.perf_counter()
    portal, content_dir = load_portal(Path(content_dir), jobs)
    urls = Urls.make(base_url or portal.site.base_url, portal.site.languages)
    theme_folder = content_dir / portal.site.theme if portal.site.theme else None
    if theme_folder is not None and not theme_folder.is_dir():
        raise UsageError(f"the theme folder {portal.site.theme!r} named in site.yaml does not exist")
    index = SiteIndex(portal, content_dir)
    all_pages = pages(index)
    output = Path(output).absolute()
    if output == content_dir or content_dir.is_relative_to(output):
        raise UsageError(f"the output folder {output} would replace the content")
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    try:
        files = render_pages(Renderer(index, urls, theme_folder), all_pages, temp, jobs)
        files += copy_files(index, theme_folder, temp)
        _swap(temp, output)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return BuildResult(output, len(all_pages), len(all_pages) + files, time.perf_counter() - started)


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
    """Delete the previous site, in the background when it is large.

    Deleting is the slowest file operation on some disks (ext4 mounted with ``discard`` trims every freed
    block: 48,000 files took 82 s here, longer than rendering them). The new site is already in place, so a
    large old tree is handed to a detached ``rm -rf`` that outlives the build; a small one goes at once.
    """
    rm = shutil.which("rm")
    if rm is not None and _more_files_than(old, DETACHED_DELETE_FILES):
        subprocess.Popen(
            [rm, "-rf", "--", str(old)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
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
