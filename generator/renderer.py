"""Pages → files: the Jinja :class:`Renderer` and :func:`render_pages`, which renders a list of pages and export
units into a :class:`~generator.sink.Sink`, in this process or on a pool of forked workers.

Rendering a page depends only on its own value and on the shared :class:`~generator.site_index.SiteIndex`,
so the list can be cut into shards and rendered by a pool of processes (each builds its Jinja environments
once). :mod:`generator.render` holds what a template sees (environments, filters, URLs); this module runs it.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from . import export, markdown, search
from .errors import PortalError
from .pages import Page
from .render import Urls, make_environment
from .sink import Sink
from .site_index import SiteIndex

PARALLEL_THRESHOLD = 4000  # pages; below this a process pool costs more than it saves
# Tasks a pool worker runs before a fresh fork replaces it. A worker's reads of the parent's objects write
# their reference counts, so page by page it copies the shared heap (gc.freeze cannot prevent that), and what
# it allocates for a site-wide export stays with it: long-lived workers reach the parent's size each. At
# 10,000 datasets (benchmarks/bench_memory.py, one run each): 1,083 MiB peak and 87 s for workers that never
# recycle, 733 MiB and 71 s for 2 tasks, 834 MiB and 72 s for 4, 694 MiB but 102 s for 1.
WORKER_TASKS = 2


class BuildError(PortalError):
    """A page could not be rendered (a broken theme template, usually)."""

    exit_code = 1


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

    def prepare(self) -> None:
        """Load every template of every language now (a pool's workers, forked after, inherit them compiled)."""
        for language in self.urls.languages:
            env = self.environment(language)
            for name in env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml", ".txt"))):
                with contextlib.suppress(jinja2.TemplateError):  # reported when a page that uses it renders
                    env.get_template(name)

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


_FROZEN = 0  # frozen_heap() uses in progress, in any thread
_FROZEN_LOCK = threading.Lock()


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object of this process out of the garbage collector's reach while workers are forked.

    A forked worker shares the parent's memory until it writes to it; the collector's full passes write to
    every object it tracks, which would copy the whole portal (gigabytes at 50,000 datasets) into each
    worker. Frozen objects are never traversed: the workers keep sharing them. Nested uses (the builder
    freezes its plan for the whole rendering) unfreeze only when the outermost one ends.
    """
    global _FROZEN
    with _FROZEN_LOCK:
        gc.freeze()
        _FROZEN += 1
    try:
        yield
    finally:
        with _FROZEN_LOCK:
            _FROZEN -= 1
            if not _FROZEN:
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
    with frozen_heap(), multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=WORKER_TASKS) as pool:
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
    when_indexed: Callable[[], object] | None = None,
) -> Rendered:
    """Write pages and export units into ``sink``; ``when_indexed`` is called once the pages the search
    indexes (dataset and API pages) are written, before the rest: the caller starts the search indexer there
    (a separate process), which then reads them while the rest of the site renders.

    Small jobs run in this process. Large ones run on a pool of forked workers, in an order that keeps every
    core busy: the export units come first (the site-wide ones are the longest tasks); the indexed pages
    come next, then the rest.
    """
    jobs = jobs or os.cpu_count() or 1
    done = Rendered()
    work = len(all_pages) + 10 * len(units)
    indexed = [p for p in all_pages if p.template in search.INDEXED_TEMPLATES]
    ordered = indexed + [p for p in all_pages if p.template not in search.INDEXED_TEMPLATES]
    if jobs == 1 or work < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        renderer.write(indexed, sink)
        if when_indexed is not None:
            when_indexed()
        renderer.write(ordered[len(indexed) :], sink)
        made = make_units(units, sink)
        done.add(*sink.take(), made)
        return done
    if len(all_pages) >= PARALLEL_THRESHOLD:
        prerender_markdown(renderer.index, jobs)
    renderer.prepare()
    global _WORKER
    _WORKER = (renderer, ordered, units, sink)
    size = max(200, len(ordered) // (jobs * 8))
    first = [(i, min(i + size, len(indexed))) for i in range(0, len(indexed), size)]
    rest = [(i, min(i + size, len(ordered))) for i in range(len(indexed), len(ordered), size)]
    sites = sum(1 for u in units if u.name.startswith("site/"))  # units are listed site-wide ones first
    unit_size = max(50, (len(units) - sites) // (jobs * 4))
    unit_shards = [(i, i + 1) for i in range(sites)]
    unit_shards += [(i, min(i + unit_size, len(units))) for i in range(sites, len(units), unit_size)]
    try:
        with frozen_heap(), multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=WORKER_TASKS) as pool:
            exports = [pool.apply_async(_export_shard, (shard,)) for shard in unit_shards]
            for result in pool.imap_unordered(_render_shard, first):
                done.add(*result)
            if when_indexed is not None:
                when_indexed()
            for result in pool.imap_unordered(_render_shard, rest):
                done.add(*result)
            for result in exports:
                done.add(*result.get())
        return done
    finally:
        _WORKER = None
