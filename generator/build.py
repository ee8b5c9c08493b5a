"""``portal build``: validate → model → index → pages → render into a temporary folder → atomic swap.

This module holds the :class:`Builder`, which drives those steps and keeps what a rebuild reuses; each step
lives in its own module, which imports none of the later ones nor this one:
:mod:`generator.portal` (content folder → validated model), :mod:`generator.site_index` (derived views),
:mod:`generator.pages` (the site as a list of :class:`~generator.pages.Page` values),
:mod:`generator.keys` (what each page and export unit shows, for incremental builds),
:mod:`generator.renderer` (pages and export units → files, on a pool of processes for large sites),
:mod:`generator.sink` (files → staging folder → live site, by renames). A warm builder (``portal serve``)
hands an edit it can apply in place to :mod:`generator.quick`.

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

import contextlib
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import cache, export, keys, quick, search
from .digests import key_digest, tree_digest
from .errors import ContentError, UsageError
from .load import gc_paused
from .pages import Page, pages, static_files
from .portal import read_portal
from .render import Urls
from .renderer import Renderer, frozen_heap, render_pages
from .sink import Sink, commit, copy_files, replace_bundle, replace_shards, staging_folder, swap
from .site_index import SiteIndex

LEFT_TO_EXIT: list[Any] = []  # what one-shot builds left to the process's end (leave_plans_to_exit)
_leave_plans = False


def leave_plans_to_exit() -> None:
    """Keep what each one-shot build planned (model, index, pages, keys: millions of objects) until the process
    ends, for a process that then ends with ``os._exit``: freeing them one by one takes seconds at 50,000
    datasets, and gives back nothing the end of the process does not. The console script calls this
    (:func:`generator.cli.run`); a library caller, which lives on, frees them."""
    global _leave_plans
    _leave_plans = True


@dataclass
class BuildResult:
    """What a build did (``portal build`` and ``portal serve`` print it with :func:`describe`)."""

    output: Path
    pages: int
    files: int
    seconds: float
    incremental: bool = False
    rendered: int = 0  # pages rendered (all of them in a full build)
    written: int = 0  # files written or replaced (a full build writes every file)
    removed: int = 0  # files of the previous site deleted (an incremental build)
    quick: bool = False  # driven by the changed paths a warm builder was given (generator.quick)


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
            warm = self.last
            try:
                done = quick.rebuild(self, warm, changed)
            except ContentError:
                raise  # found before anything changed: the last build still holds
            except BaseException:
                self.last = None  # a page failed after the model changed: the next build is an ordinary one
                raise
            if done is not None:
                rendered, written = done
                seconds = time.perf_counter() - started
                return BuildResult(self.output, len(warm.pages), warm.files, seconds, True, rendered, written, 0, True)
        self.last = None  # until this build is through
        # The plan allocates the model, the index, the page list and their keys: millions of objects without
        # cycles, which the collector would rescan at every full pass (at 50,000 datasets 24 of the 53 s of a
        # no-change rebuild). Paused while they are made, then frozen while the pages render (reference
        # counting still frees everything; what the rendering allocates is collected as usual).
        with gc_paused():
            plan, state, page_deps, unit_deps = self._plan(full)
            # frozen before the collector resumes: its first pass would otherwise scan the whole plan (1.8 s at
            # 50,000 datasets), which it allocated while paused
            frozen = contextlib.ExitStack()
            frozen.enter_context(frozen_heap())
        with frozen:
            result, state = self._full(plan) if state is None else self._incremental(plan, state)
        self.state = state
        if _leave_plans and not self.warm:
            LEFT_TO_EXIT.append((self, plan))
        if self.warm:
            renderer, all_pages, page_keys = plan.renderer, plan.pages, plan.page_keys
            positions = dict(zip(page_keys, range(len(all_pages)), strict=True))
            self.last = quick.Warm(renderer, all_pages, positions, page_deps, plan.units, unit_deps, result.files)
        result.seconds = time.perf_counter() - started
        return result

    def _plan(self, full: bool) -> tuple[_Plan, cache.BuildState | None, Any, Any]:
        """Read the portal and list what the site holds, with each page's and unit's key; the build state to
        compare them with (None: a full build); the keys' recorded dependencies (a warm builder's)."""
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
        jobs = self.jobs or os.cpu_count() or 1
        page_keys, page_deps, unit_keys, unit_deps = keys.all_keys(all_pages, units, urls, recording, jobs)
        plan = _Plan(renderer, all_pages, page_keys, units, unit_keys, statics, globals_key)
        return plan, state, page_deps, unit_deps

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
        """Index the live site's dataset pages again (:meth:`_reindexing`), after a rebuild put them in place.

        ``shards`` (:func:`_search_shards`): by default those of this builder's state, which a quick rebuild
        updated; the state is then saved with the index's key once it is done.
        """
        state = None
        if shards is None:  # a quick rebuild's, from the state it updated: the index is saved as made from it
            state = self.state
            assert state is not None
            shards = search.plan(state.pages, index.site.languages, state.globals, search.shard_size())
        with self._reindexing(index, shards):
            pass
        if state is not None and not self.search_owed:
            state.search = search.plan_key(shards)
            state.save(index.content_dir, self.output)

    @contextlib.contextmanager
    def _reindexing(self, index: SiteIndex, shards: list[search.Shard], newer: Path | None = None) -> Iterator[None]:
        """Index the dataset pages into a staging folder while the body runs, then put the new bundle in place.

        On a sharded site only the shards whose folder is not live yet are made, moved in, then the manifest is
        replaced and the folders it no longer names are removed. A site of one shard has its bundle made again
        and the files that changed replaced. ``newer`` (sharded sites): a rebuild's staging folder, whose pages
        are indexed in place of the live ones, so that the indexing overlaps the rest of the rebuild.
        A marker file says the index is owed until it is done, so that a build interrupted here (or stopped by
        a newer one, :meth:`_stop_background`) indexes again next time, even from another process.
        """
        output = self.output
        live = output / search.BUNDLE
        sharded = bool(shards) and shards[0].folder != ""
        todo = [s for s in shards if not (live / s.folder).is_dir()] if sharded else None
        marker = cache.BuildState.search_marker(index.content_dir, output)
        marker.touch()
        self.search_owed = True
        with staging_folder(output, "search") as staging:
            bundle = staging / "bundle"
            with self._lock:
                stopped = self._stopping
                started = None if stopped else search.start(output, index, bundle, todo, True, newer, scratch=staging)
                self._indexer = started
            try:
                try:
                    yield
                except BaseException:
                    if started is not None:
                        started.kill()
                    raise
                if stopped:
                    return
                search.finish(started, whole=not sharded)
            except search.SearchIndexError:
                if self._stopping:
                    return
                raise
            finally:
                self._indexer = None
            if sharded and started is not None:
                replace_shards(output, bundle, shards, staging / "old")
            else:
                replace_bundle(output, bundle)
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
            # the shards' search documents: outside the site, and deleted with this folder once it is in place
            with staging_folder(output, "documents") as documents, contextlib.ExitStack() as searching:
                indexing = search.indexing(temp, renderer.index, shards, scratch=documents)
                index_pages = functools.partial(searching.enter_context, indexing)
                done = render_pages(renderer, all_pages, units, sink, self.jobs, when_indexed=index_pages)
            static = copy_files(plan.statics, sink)
            swap(temp, output)
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
        shards = _search_shards(plan)
        search_key = search.plan_key(shards)  # the shards' keys: the global key, the dataset pages' keys
        reindex = search_key != state.search or self.search_owed
        # one-shot: the changed shards are indexed from the staged pages while the rest renders and commits
        # (a warm builder puts the pages in place first, and indexes in the background after)
        alongside = reindex and not self.warm and bool(shards) and shards[0].folder != ""
        with staging_folder(output, "stage") as staging, contextlib.ExitStack() as searching:
            sink = Sink(staging, live=output)
            index_pages = None
            if alongside:
                reindexing = self._reindexing(renderer.index, shards, newer=staging)
                index_pages = functools.partial(searching.enter_context, reindexing)
            done = render_pages(renderer, changed, redo, sink, self.jobs, when_indexed=index_pages)
            static = copy_files(plan.statics, sink)  # the sink writes only those that changed
            done.add(*sink.take())
            new_units = {name: (unit_keys[name], state.units[name][1]) for name in unit_keys if name in state.units}
            new_units.update({name: (unit_keys[name], files) for name, files in done.units.items()})
            keep = set(page_keys) | {f for _, files in new_units.values() for f in files} | set(plan.statics)
            before = set(state.pages) | {f for _, files in state.units.values() for f in files} | set(state.static)
            removed = sorted(before - keep)
            state.committing = True
            state.save(content_dir, output)
            commit(staging, output, done.written, removed)
            if reindex and self.warm:
                self.in_background(functools.partial(self.reindex, renderer.index, shards))
            elif reindex and not alongside:
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


def _memo(folder: Path, header: bytes, name: str) -> cache.Memo:
    return cache.Memo.load(folder / f"{name}.pickle", header)


def _search_shards(plan: _Plan) -> list[search.Shard]:
    """The search index's shards, keyed from the dataset pages' keys and the global key (no page is read)."""
    languages = plan.renderer.urls.languages
    return search.plan(plan.page_keys, languages, plan.globals_key, search.shard_size())


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
