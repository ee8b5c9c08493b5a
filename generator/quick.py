"""Rebuilds driven by the changed paths: a warm builder (``portal serve``) applies an edit to its last build.

Why: at 50,000 datasets an incremental rebuild stats every file, models the whole portal again and computes
the keys of 476,000 pages (about 40 s) to find the dozen pages one edit changed. A file watcher already says
which files changed, and the last build knows, for each content path, which pages and export units read it:
their keys record what they read (:func:`generator.keys.page_key`). So an edited dataset file is checked
alone, applied to the last build's model in place, and only the outputs that read it get their keys computed
again; those whose key changed are rendered.

When this is sound: the edit must leave unchanged what the last build's indexes were made from, what
:func:`shape` returns (visibility, dates, resource ids; the owner and slug come from the path, which did not
change), so that every list, count, pager and page path stays as it was. The shape also covers what the
cross-file rules read of a dataset (:func:`generator.integrity.slim`: its resource ids), so the portal stays
valid when the file itself is. Anything else (a new, deleted or moved file, another kind of file, the theme,
a changed shape) returns None, and the builder runs its ordinary incremental build, which is always right.

The pages are in place when :func:`rebuild` returns. Export units and the search index follow in the
builder's background thread (the CSV tables and the search index cover the whole site: seconds at that
scale), which then saves the build state; until it has, a marker makes any other build of the folder a full
one (:meth:`generator.cache.BuildState.unsaved_marker`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache, dashboard, export, search
from .cache import stat_key
from .keys import Dependencies, page_key, unit_key
from .layout import classify
from .load import display_path, repo_root_of
from .model import Dataset
from .pages import Page, pages_of_dataset
from .portal import InvalidContent
from .render import Urls
from .renderer import Renderer, make_units
from .sink import Sink, commit, staging_folder
from .site_index import EVERYTHING, formats_of
from .validate import check_file

if TYPE_CHECKING:  # the builder drives this module: it imports quick, never the other way
    from .build import Builder


@dataclasses.dataclass
class Warm:
    """What a warm build made: the renderer (with its index and model), pages, units, who reads what."""

    renderer: Renderer
    pages: list[Page]
    positions: dict[str, int]  # output path -> position in pages
    page_deps: Dependencies
    units: list[export.Unit]
    unit_deps: Dependencies
    files: int


def shape(dataset: Dataset) -> tuple:
    """What the indexes, lists, counts and page paths of a build read of a dataset (besides owner and slug)."""
    return (dataset.private, dataset.created, dataset.last_modified, tuple(r.id for r in dataset.resources))


@dataclasses.dataclass
class _Edit:
    rel: str
    digest: bytes
    dataset: Dataset  # the object of the last build, updated in place
    new: Dataset


def rebuild(builder: Builder, warm: Warm, changed: Iterable[Path | str]) -> tuple[int, int] | None:
    """Apply ``changed`` to the last build, or return None when only an ordinary build can (see above).

    Returns the number of pages rendered (now or in the background) and of files written now; the builder
    makes its :class:`~generator.build.BuildResult` of them (this module does not import the builder)."""
    state = builder.state
    if state is None:
        return None
    index = warm.renderer.index
    edits = _read_edits(builder, index, changed)
    if edits is None or any(shape(edit.new) != shape(edit.dataset) for edit in edits):
        return None
    for edit in edits:
        _apply(builder, index, edit)
    owners = {edit.dataset.owner for edit in edits}
    if edits:
        index.refresh(owners)
        dashboard.forget(index, {slug for kind, slug in owners if kind == "organization"})
    try:
        fresh = _fresh_pages(warm, [edit.dataset for edit in edits if not edit.dataset.private])
    except KeyError:  # cannot happen with the shape unchanged; the ordinary build rebuilds from the model
        return None
    # what the keys recorded when they read these files: the files, their owners' folders, the whole content
    markers = {EVERYTHING, *(edit.rel for edit in edits), *(index.owner_path(owner) for owner in owners)}
    todo = {position for marker in markers for position in warm.page_deps.get(marker, ())} | fresh
    # the pages that read the whole content (the site dashboard sums every organization) follow in the
    # background: rendering them is O(portal), the rest is O(what shows the edited datasets)
    whole = set(warm.page_deps.get(EVERYTHING, ()))
    now, later = _changed_pages(warm, state, todo - whole), _changed_pages(warm, state, todo & whole)
    units = _changed_units(warm, state, markers)
    output = builder.output
    if now or later or units:
        cache.BuildState.unsaved_marker(index.content_dir, output).touch()
    written = _put(warm, state, output, now)
    if now or later or units or builder.search_owed:
        builder.in_background(functools.partial(_follow, builder, warm, state, later, units, written))
    rendered = len(now) + len(later)
    return rendered, len(written)


def _changed_pages(warm: Warm, state: cache.BuildState, positions: set[int]) -> list[tuple[Page, bytes]]:
    """The pages at ``positions`` whose key changed, with their new key digest."""
    urls = warm.renderer.urls
    found = []
    for position in sorted(positions):
        page = warm.pages[position]
        value = page_key(page)[0] if page.key is not None else os.urandom(16)
        if state.pages.get(page.output(urls)) != value:
            found.append((page, value))
    return found


def _put(warm: Warm, state: cache.BuildState, output: Path, pages: list[tuple[Page, bytes]]) -> list[str]:
    """Render ``pages`` into a staging folder, move those whose bytes changed into the live site."""
    if not pages:
        return []
    with staging_folder(output, "stage") as staging:
        sink = Sink(staging, live=output)
        warm.renderer.write([page for page, _ in pages], sink)
        written = sink.take()[1]
        commit(staging, output, written, [])
    urls = warm.renderer.urls
    state.pages.update((page.output(urls), value) for page, value in pages)
    return written


def _read_edits(builder: Builder, index: Any, changed: Iterable[Path | str]) -> list[_Edit] | None:
    """The changed files as edits of datasets the last build has, checked; None when one is anything else."""
    content_dir = index.content_dir
    repo_root = repo_root_of(content_dir)
    edits, problems = [], []
    for path in changed:
        path = Path(path).absolute()
        rel = _relative(path, content_dir)
        if rel is None:  # the theme, the translations
            return None
        if rel not in index.digests:
            if not os.path.lexists(path):
                continue  # a file that came and went (an editor's temporary file): the content is the same
            return None
        location = classify(rel)
        dataset = index.portal.datasets.get(location.slug) if location is not None else None
        if location is None or location.kind != "dataset" or dataset is None or dataset.path != rel:
            return None
        try:
            facts = os.lstat(path)
        except OSError:  # deleted
            return None
        if not stat.S_ISREG(facts.st_mode):  # now a link or a folder: validation says what is wrong
            return None
        key = stat_key(facts)
        doc = check_file(path, display_path(path, repo_root), location.schema)
        if doc.problems:
            problems += doc.problems
            continue
        if builder.files is not None:
            builder.files.put(rel, key, doc)
        if doc.digest != index.digests[rel]:
            new = Dataset.from_data(location.slug, location.owner, rel, doc.data)
            edits.append(_Edit(rel, doc.digest, dataset, new))
    if problems:
        raise InvalidContent(sorted(problems), len(edits) + len({p.file for p in problems}))
    return edits


def _relative(path: Path, content_dir: Path) -> str | None:
    """``path`` relative to the content folder, also when one of them was given through a symbolic link."""
    for candidate, folder in ((path, content_dir), (path.resolve(), content_dir.resolve())):
        if candidate.is_relative_to(folder):
            return candidate.relative_to(folder).as_posix()
    return None


def _apply(builder: Builder, index: Any, edit: _Edit) -> None:
    """Put the edit into the model object every page, unit and index of the last build holds."""
    for item in dataclasses.fields(Dataset):
        object.__setattr__(edit.dataset, item.name, getattr(edit.new, item.name))  # frozen for everyone else
    index.digests[edit.rel] = edit.digest
    if builder.models is not None:
        builder.models[edit.rel] = (edit.digest, edit.dataset)
    if edit.dataset.slug in index.formats:
        index.formats[edit.dataset.slug] = formats_of(edit.dataset)


def _fresh_pages(warm: Warm, datasets: list[Dataset]) -> set[int]:
    """Make again the pages of each dataset (their context holds its resources), in the same positions."""
    index, urls = warm.renderer.index, warm.renderer.urls
    found = {}
    for dataset in datasets:
        for page in pages_of_dataset(index, dataset):
            found[warm.positions[page.output(urls)]] = page
    for position, page in found.items():
        warm.pages[position] = page
    return set(found)


def _changed_units(warm: Warm, state: cache.BuildState, markers: set[str]) -> list[tuple[export.Unit, bytes]]:
    todo = {position for marker in markers for position in warm.unit_deps.get(marker, ())}
    found = []
    for position in sorted(todo):
        unit = warm.units[position]
        value = unit_key(unit)[0]
        if unit.name not in state.units or state.units[unit.name][0] != value:
            found.append((unit, value))
    return found


def _follow(
    builder: Builder,
    warm: Warm,
    state: cache.BuildState,
    later: list[tuple[Page, bytes]],
    units: list[tuple[export.Unit, bytes]],
    written: list[str],
) -> None:
    """In the background: site-wide pages, export units, the state (which removes the marker), the search index."""
    index, output, urls = warm.renderer.index, builder.output, warm.renderer.urls
    written = written + _put(warm, state, output, later)
    if units:
        with staging_folder(output, "stage") as staging:
            sink = Sink(staging, live=output)
            made = make_units([unit for unit, _ in units], sink)
            removed = sorted(
                {f for unit, _ in units for f in state.units.get(unit.name, (b"", []))[1]}
                - {f for files in made.values() for f in files}
            )
            commit(staging, output, sink.take()[1], removed)
        for unit, value in units:
            state.units[unit.name] = (value, made[unit.name])
    state.save(index.content_dir, output)
    if builder.search_owed or any(is_indexed(rel, urls) for rel in written):
        builder.reindex(index)


def is_indexed(rel: str, urls: Urls) -> bool:
    return search.page_item(rel, urls.languages) is not None
