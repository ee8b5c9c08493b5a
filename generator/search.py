"""The static search index of the site, built once its dataset pages are written (Pagefind).

:func:`indexing` is a full build's hook: it receives the folder the pages are written to (before it is
swapped into place) and the build's SiteIndex, and writes the search bundle into ``<site>/pagefind/`` while
the rest of the site renders. A rebuild makes the shards whose pages changed with :func:`start` and
:func:`finish`, reading its staged pages over the live site's.

Design:

* **Pagefind** (https://pagefind.app, PyPI ``pagefind[bin]``, a Rust binary) indexes the built HTML. The
  index is split into small chunks fetched on demand: a search downloads the entry file, the language's
  WebAssembly (~70 kB), the chunks holding the words typed and the fragments of the results shown, never
  the whole index, so it stays cheap at 50,000 datasets.
* **Only dataset and API pages** are indexed (``datasets/<slug>/`` and ``dataservices/<slug>/`` in every
  language): their templates mark the main column with ``data-pagefind-body`` (title, tags, description; the
  resources table, reuses, served datasets and discussions are ``data-pagefind-ignore``) and carry the facets
  as ``data-pagefind-filter`` (type: datasets or APIs; organization, tag, license, high-value data; format
  and frequency for datasets, access for APIs) and the results' ``data-pagefind-meta`` (title, kind,
  organization).
* **One index per language**: Pagefind separates pages by their ``<html lang>`` and stems each language
  with its own Snowball stemmer (French and English are in the standard binary; the ``extended`` build only
  adds Chinese and Japanese segmentation). The search script loads the index of the page's language.
  :class:`Indexing` runs Pagefind once per language, one run after the other, into the one bundle: the
  same bytes as one run over every language, in less memory and time.
* The reading side is ``themes/default/static/search.js`` on the first page of the dataset listing: without
  JavaScript (or without an index) that page stays the plain listing the search forms lead to.
* **No public dataset** (a new portal): no index is built, and the listing page stays the plain listing.
* **Missing binary: the build goes on without search**, with a warning on the ``generator.search`` logger
  (the listing still works); an index that fails to build is an error, as a broken template is.
* **Shards** (:func:`plan`): at 50,000 datasets one Pagefind run per language takes ~75 s and ~3 GB, and
  Pagefind cannot update an index, so an edit would index the whole site again. The dataset pages are split
  into ``n`` shards (``n`` a power of two, about :data:`SHARD_SIZE` datasets each, at most
  :data:`MAX_SHARDS`; the shard of a page is a BLAKE2b hash of its slug mod ``n``, so a new dataset moves no
  other). Each shard is a bundle of its own in
  ``pagefind/<n>-<key>/``, named by a digest of its pages' keys (the build state's keys: nothing is read to
  key it), and ``pagefind/shards.json`` lists them; ``search.js`` opens the first and merges the others with
  Pagefind's ``mergeIndex`` (results and filter counts are combined across bundles; the WebAssembly loads
  once). An edit indexes its shard again, the other folders stay as they are. Pagefind runs one shard at a
  time, so a build's memory is one small shard's. A portal of one shard keeps the single bundle
  ``pagefind/`` of before, with a manifest naming it (``""``).
* **Search documents** (:func:`document`): a shard's Pagefind runs read, at each page's path in a staging
  folder outside the site, the page's ``<html>`` tag and its ``data-pagefind-body`` element without what
  ``data-pagefind-ignore="all"`` marks (resources, reuses, discussions): a fifth of a dataset page's bytes,
  the same bundle, about half Pagefind's CPU time. A portal of one shard indexes the site's pages as they are.
* Deterministic: same pages, same bundle bytes (checked by the byte-identical builds test). Pagefind 1.5
  writes its filter lists and the language metadata in hash-map order, which changes from run to run
  (Pagefind issue #638): :func:`canonicalize` sorts them and renames those files after their new content.
  The files of Pagefind's own UIs, which the site does not use, are removed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import Any

import cbor2

from .errors import PortalError

log = logging.getLogger(__name__)

BUNDLE = "pagefind"  # the output folder, relative to the site
ENTRY = "pagefind-entry.json"  # the bundle file that lists the languages
MANIFEST = "shards.json"  # in BUNDLE: the shard folders the reader merges
SHARD_SIZE = 2000  # datasets per shard, about: Pagefind indexes one in ~2 s and ~100 MB per language
MAX_SHARDS = 8  # past 8 * SHARD_SIZE datasets, shards grow instead: each shard costs a reader a word chunk
UNUSED = (  # Pagefind's ready-made interfaces: the site has its own (static/search.js)
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)


class SearchIndexError(PortalError):
    """Pagefind ran and failed."""

    exit_code = 1


def pagefind_binary() -> Path | None:
    """The Pagefind executable: ``$PAGEFIND_BINARY_PATH``, the PyPI packages' binary, or one on ``PATH``."""
    try:
        from pagefind.service import get_executable
    except ImportError:  # pragma: no cover - the pagefind package is a dependency
        found = os.environ.get("PAGEFIND_BINARY_PATH") or shutil.which("pagefind_extended") or shutil.which("pagefind")
        return Path(found) if found else None
    return get_executable()


INDEXED_FOLDERS = ("datasets", "dataservices")  # the pages indexed: datasets' and APIs'


def dataset_glob(languages: list[str] | tuple[str, ...], language: str) -> str:
    """The pages of one language to index: its dataset and API pages (``{datasets,dataservices}/*/index.html``,
    ``en/{datasets,dataservices}/…``)."""
    prefix = "" if language == languages[0] else f"{language}/"
    return f"{prefix}{{{','.join(INDEXED_FOLDERS)}}}/*/index.html"


INDEXED_TEMPLATES = ("dataset.html", "dataservice.html")  # the pages dataset_glob selects: a build renders them first


def page_item(rel: str, languages: list[str] | tuple[str, ...]) -> str | None:
    """What the page at ``rel`` (an output path) indexes: a dataset's slug, ``dataservices/<slug>`` for an API
    (a slug has no "/", so the two never meet), or None for a page not indexed. Every language of an item has
    the same name: its pages go to the same shard."""
    parts = rel.split("/")
    if len(parts) == 4 and parts[0] in languages[1:]:
        parts = parts[1:]
    if len(parts) != 3 or parts[0] not in INDEXED_FOLDERS or parts[2] != "index.html" or parts[1] == "r":
        return None
    return parts[1] if parts[0] == "datasets" else f"{parts[0]}/{parts[1]}"


def shard_size() -> int:
    """Datasets per shard: :data:`SHARD_SIZE`, or ``$PORTAL_SEARCH_SHARD_SIZE`` (tests shard a small portal)."""
    value = os.environ.get("PORTAL_SEARCH_SHARD_SIZE", "")
    return int(value) if value.isdigit() and int(value) > 0 else SHARD_SIZE


def shard_count(datasets: int, size: int) -> int:
    """The number of shards: the smallest power of two that keeps shards at ``size`` datasets or fewer, at
    most :data:`MAX_SHARDS`.

    A search fetches, from every shard, the index chunk that holds each word typed (~30-70 kB: Pagefind
    chunks by size), so each shard adds to what a reader downloads; past eight, a reader of a large portal
    would pay more than 1.5 times the single bundle (benchmarks/README.md). Past ``8 * size`` datasets the
    shards grow instead, and an edit indexes a larger shard.
    """
    count = 1
    while count * size < datasets and count < MAX_SHARDS:
        count *= 2
    return count


def shard_of(slug: str, count: int) -> int:
    """The shard of a dataset or API (:func:`page_item`): stable (a hash of its name), so adding one moves no
    other."""
    return int.from_bytes(hashlib.blake2b(slug.encode("utf-8", "surrogatepass"), digest_size=8).digest()) % count


@dataclass(frozen=True)
class Shard:
    """One Pagefind bundle: the dataset and API pages it indexes, and its folder under :data:`BUNDLE`."""

    folder: str  # "" for a portal of one shard (the bundle itself), else "<count>-<key>/"
    pages: tuple[str, ...]  # output paths, every language of each dataset or API
    key: str


def plan(pages: dict[str, bytes], languages: list[str] | tuple[str, ...], salt: bytes, size: int) -> list[Shard]:
    """The shards of the dataset and API pages among ``pages`` (output path -> key digest, the build state's).

    A shard's key digests its pages' keys and ``salt`` (the build's global key: generator, theme, languages),
    which say what its pages hold: keying a shard reads no file.
    """
    items: dict[str, list[str]] = {}
    for rel in pages:
        item = page_item(rel, languages)
        if item is not None:
            items.setdefault(item, []).append(rel)
    count = shard_count(len(items), size)
    groups: list[list[str]] = [[] for _ in range(count)]
    for item, rels in items.items():
        groups[shard_of(item, count)].extend(rels)
    shards = []
    for group in groups:
        if not group:
            continue
        h = hashlib.blake2b(salt + _PAGEFIND_VERSION.encode() + b"\0%d" % count, digest_size=12)
        for rel in sorted(group):
            h.update(rel.encode("utf-8", "surrogatepass") + b"\0" + pages[rel])
        key = h.hexdigest()
        shards.append(Shard("" if count == 1 else f"{count}-{key}/", tuple(sorted(group)), key))
    return shards


def plan_key(shards: list[Shard]) -> bytes:
    """The key of the whole index (the build state's ``search``): an index with the same key needs no run."""
    return hashlib.blake2b("\0".join(s.folder + s.key for s in shards).encode(), digest_size=16).digest()


def manifest(shards: list[Shard]) -> str:
    """The text of ``pagefind/shards.json``: the folders the reader opens (the first) and merges (the rest)."""
    return json.dumps({"shards": [s.folder for s in shards]}, separators=(",", ":"))


def _pagefind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pagefind")
    except Exception:  # noqa: BLE001 - not installed as a distribution: the binary found on PATH
        return ""


_PAGEFIND_VERSION = _pagefind_version()


def start(
    site_dir: Path,
    index: Any,
    bundle: Path | None = None,
    shards: list[Shard] | None = None,
    parallel: bool = False,
    newer: Path | None = None,
    *,
    scratch: Path,
) -> Indexing | None:
    """Start indexing the dataset pages already written under ``site_dir``; :func:`finish` waits for it.

    ``shards`` (from :func:`plan`): the bundles to make, into ``bundle/<folder>``; None makes the one bundle of
    every dataset page (``folder`` ""), as a portal of one shard has. Pagefind runs as a separate process, so
    a build starts it as soon as the dataset pages are written and renders the rest of the site meanwhile
    (Pagefind is about a third of a large build's CPU time). ``parallel``: the languages of a shard are
    indexed at the same time (:class:`Indexing`), for a rebuild that waits for a shard or two. ``newer`` (shards
    only): a folder whose pages replace the site's at the same paths, a rebuild's staged pages, indexed before
    they are moved into the site. ``scratch`` (used by shards): a folder outside the site where the shards'
    folders of search documents are made; the caller removes it, with them.
    """
    if not index.datasets:  # nothing to index (a new portal): Pagefind would fail; the listing says so
        return None
    binary = pagefind_binary()
    if binary is None:
        log.warning("pagefind is not installed: the site is built without its search index (pip install pagefind)")
        return None
    bundle = bundle if bundle is not None else site_dir / BUNDLE
    return Indexing(binary, site_dir, bundle, index.site.languages, shards, parallel, newer, scratch=scratch)


@contextlib.contextmanager
def indexing(site_dir: Path, index: Any, shards: list[Shard] | None, *, scratch: Path) -> Iterator[Indexing | None]:
    """Index ``site_dir``'s dataset pages into ``site_dir/pagefind/`` while the body runs (:func:`start`): the
    runs are waited for and their output made deterministic when it ends, stopped when it raises."""
    run = start(site_dir, index, shards=shards, scratch=scratch)
    try:
        yield run
    except BaseException:
        if run is not None:  # a page failed: stop the indexer before the temporary site is removed
            run.kill()
        raise
    finish(run)


def finish(indexing: Indexing | None, whole: bool = True) -> None:
    """Wait for the indexing :func:`start` began, then make its output deterministic.

    ``whole``: it made every shard of the index, so its manifest goes into the bundle too (a rebuild that
    made only the changed shards writes the manifest itself, once they are in place).
    """
    if indexing is None:
        return
    indexing.wait()
    for folder in indexing.folders:
        for name in UNUSED:
            (folder / name).unlink(missing_ok=True)
        canonicalize(folder)
    if whole:
        (indexing.bundle / MANIFEST).write_text(manifest(indexing.shards), encoding="utf-8")


class Indexing:
    """Pagefind over the dataset pages, one run per language and shard, one run after the other, in a thread.

    Why one run per language: Pagefind holds every page it indexes in memory until it writes, and a language's
    index never reads another language's pages (it splits them by ``<html lang>`` anyway). At 50,000 datasets a
    run over one language peaks at 65% of the memory of a run over both (3.1 GB), and the two runs take 26%
    less time (benchmarks/README.md). Shards divide that again by their number.
    A bundle is the same bytes: each run writes its language's files into the same folder (the names are
    prefixed with the language) and rewrites ``pagefind-entry.json`` with its language only, so
    :meth:`wait` writes the entry of all the languages. A shard's pages are staged as search documents
    (:func:`document`, at the pages' paths) in a folder made in ``scratch`` just before its runs, or all at
    once by a rebuild that starts the indexing (removed with ``scratch`` by the caller), which Pagefind reads
    as the site: the URLs are the same.

    ``parallel`` runs a shard's languages at the same time, each into a folder of its own whose files then
    move into the bundle in the languages' order (what the runs share, the scripts and the WebAssembly of no
    language, is the same bytes in each): the same bundle. Why: a rebuild after one edit waits for one shard,
    and a Pagefind run keeps only ~1.2 cores busy (10,000 pages of one language: 11.8 s alone; two languages
    side by side 16 s, one after the other 23.5 s). A full build keeps the runs sequential: they overlap its
    rendering, and memory is what limits it.
    """

    def __init__(
        self,
        binary: Path,
        site_dir: Path,
        bundle: Path,
        languages: list[str] | tuple[str, ...],
        shards: list[Shard] | None = None,
        parallel: bool = False,
        newer: Path | None = None,
        *,
        scratch: Path | None = None,
    ):
        sharded = bool(shards) and bool(shards[0].folder)
        if newer is not None and not sharded:
            raise ValueError("pages newer than the site's are indexed by shard")  # the one bundle reads the site
        if sharded and scratch is None:  # no default: the bundle's parent is the site itself in a full build
            raise ValueError("the shards' search documents need a scratch folder outside the site")
        self.bundle = bundle
        self._sources = (site_dir,) if newer is None else (newer, site_dir)
        self._parallel = parallel and len(languages) > 1
        self._binary, self._site, self._languages = binary, site_dir, languages
        self.shards = shards if shards is not None else [Shard("", (), "")]
        self.folders = [bundle / s.folder if s.folder else bundle for s in self.shards]
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen] = []
        self._stopped = False
        self._error: SearchIndexError | None = None
        self._entries: dict[Path, dict[str, Any]] = {}
        self._merges: list[tuple[Path, list[tuple[str, Path]]]] = []  # parallel runs' folders, moved in by wait()
        self._scratch = scratch
        staged: dict[int, Path] = {}  # shard position -> its staging folder, staged before the thread starts
        if newer is not None:
            # a rebuild's shards are staged here, in the caller's thread, before it renders on: a thread that
            # makes system calls per file while the caller computes waits for the interpreter's lock after
            # each (the switch interval), and started Pagefind seconds late
            try:
                for position, shard in enumerate(self.shards):
                    staged[position] = self._stage(shard)
            except OSError as exc:  # the documents written so far go with scratch
                raise SearchIndexError(f"pagefind could not index the site: {exc}") from exc
        self._thread = threading.Thread(target=self._run, args=(staged,), name="pagefind", daemon=True)
        self._thread.start()

    def _stage(self, shard: Shard) -> Path:
        """A staging folder of ``shard``'s search documents, which Pagefind reads as the site."""
        staging = Path(tempfile.mkdtemp(prefix="shard-", dir=self._scratch))
        _stage_pages(self._sources, staging, shard.pages)
        return staging

    def _command(self, site: Path, folder: Path, language: str) -> list[str]:
        glob = dataset_glob(self._languages, language)
        return [str(self._binary), "--site", str(site), "--output-path", str(folder), "--glob", glob, "--silent"]

    def _run(self, staged: dict[int, Path]) -> None:
        try:
            for position, (shard, folder) in enumerate(zip(self.shards, self.folders, strict=True)):
                if not shard.folder:  # the one bundle: the site's own dataset pages
                    if not self._index(self._site, folder):
                        return
                    continue
                staging = staged.get(position) or self._stage(shard)
                if not self._index(staging, folder):
                    return
        except (OSError, ValueError, KeyError) as exc:  # in this thread, it would only be printed: wait() raises it
            self._error = SearchIndexError(f"pagefind could not index the site: {exc}")

    def _index(self, site: Path, folder: Path) -> bool:
        """One run per language over ``site`` into ``folder``; False when stopped or failed."""
        if not self._parallel:
            return self._runs(site, folder, [(language, folder) for language in self._languages])
        outputs = [(language, folder.with_name(f"{folder.name}.{language}")) for language in self._languages]
        self._merges.append((folder, outputs))
        return self._runs(site, folder, outputs)

    def _merge(self) -> None:
        """Move the parallel runs' files into their bundles, in the languages' order, as the sequential runs
        overwrite them (in the caller's thread, for the reason given in ``__init__``)."""
        for folder, outputs in self._merges:
            for _, output in outputs:
                for path in sorted(output.rglob("*")):
                    if path.is_file():
                        target = folder / path.relative_to(output)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(path, target)

    def _clean(self) -> None:
        """Remove the parallel runs' folders (the staged documents go with ``scratch``: 12,500 files a shard
        at 50,000 datasets, whose deletion the caller hands to the detached ``rm``)."""
        for _, outputs in self._merges:
            for _, output in outputs:
                shutil.rmtree(output, ignore_errors=True)
        self._merges = []

    def _runs(self, site: Path, folder: Path, outputs: list[tuple[str, Path]]) -> bool:
        """Pagefind for each (language, output folder) of the bundle ``folder``: one after the other, or all at
        once when ``parallel``; False when stopped or failed."""
        batches = [outputs] if self._parallel else [[run] for run in outputs]
        for batch in batches:
            with self._lock:
                if self._stopped:
                    return False
                self._processes = [
                    subprocess.Popen(self._command(site, output, language), stdout=PIPE, stderr=PIPE, text=True)
                    for language, output in batch
                ]
            failed = ""
            for position, process in enumerate(self._processes):  # every one is waited for: no pipe left open
                out, err = process.communicate()
                if process.returncode != 0 and not failed:
                    failed = f"pagefind failed ({process.returncode}): {(err or out).strip()}"
                    for other in self._processes[position + 1 :]:
                        other.kill()
            if failed:
                self._error = SearchIndexError(failed)
                return False
            for _, output in batch:
                entry = json.loads((output / ENTRY).read_text(encoding="utf-8"))
                known = self._entries.get(folder, {})
                self._entries[folder] = {**entry, "languages": {**known.get("languages", {}), **entry["languages"]}}
        return True

    def kill(self) -> None:
        """Stop the indexing (a newer build supersedes it, or a page failed); :meth:`wait` then raises."""
        with self._lock:
            self._stopped = True
            for process in self._processes:  # the indexing thread waits for them
                if process.poll() is None:
                    process.kill()
        self._thread.join()
        self._clean()

    def wait(self) -> None:
        """Wait for the last run; move the parallel runs' files in; write the entry file of every language, in
        each bundle."""
        self._thread.join()
        try:
            if self._stopped:
                raise SearchIndexError("the search index was stopped before it was complete")
            if self._error is not None:
                raise self._error
            self._merge()
        finally:
            self._clean()
        for folder in self.folders:
            (folder / ENTRY).write_text(json.dumps(self._entries[folder], ensure_ascii=False), encoding="utf-8")


def _stage_pages(sources: tuple[Path, ...], staging: Path, pages: tuple[str, ...]) -> None:
    """Write the search :func:`document` of each of ``pages`` into ``staging`` at the same path, from the first
    of ``sources`` that has the page: a rebuild's staged pages, then the live site's.

    A staged page may move into the live site meanwhile (the rebuild commits while its shard is indexed): it
    is then found there, with the same bytes. What is written is a copy: whatever happens to the page after,
    Pagefind reads the bytes it was staged with.
    """
    made: set[Path] = set()
    for rel in pages:
        target = staging / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        for number, source in enumerate(sources, 1):
            try:
                page = (source / rel).read_bytes()
            except FileNotFoundError:
                if number == len(sources):
                    raise
                continue
            target.write_bytes(document(page))
            break


_BODY = b"data-pagefind-body"
_IGNORE_ALL = re.compile(rb"<([a-zA-Z][a-zA-Z0-9]*)\s[^<>]*?\bdata-pagefind-ignore=\"all\"[^<>]*>")


def document(page: bytes) -> bytes:
    """What Pagefind reads of an indexed page: its ``<html>`` tag (the language) and the element marked
    ``data-pagefind-body``, without the elements marked ``data-pagefind-ignore="all"`` (which Pagefind skips
    with their filters and metadata): about a fifth of a dataset page, and the same index.

    Why: Pagefind parses every byte of the pages it is given, and a dataset page's head, navigation, sidebar
    and resource table are four fifths of it; given these documents it indexes a shard in about half the CPU
    time, and writes the same bundle (tests/test_search_shards.py compares the two). The pages are the
    build's own templates: ``<`` and ``>`` in text are escaped, Markdown keeps no ``section`` or ``article``,
    and an attribute value holds no ``"``. Whenever the page is not shaped as expected (no ``<html>`` tag,
    no body element or more than one, an element left unclosed), the whole page is returned: slower, as
    exact.
    """
    html = re.search(rb"<html\b[^<>]*>", page)
    first = page.find(_BODY)
    if html is None or first < 0 or page.find(_BODY, first + 1) >= 0:
        return page
    opening = page.rfind(b"<", 0, first)
    name = re.match(rb"<([a-zA-Z][a-zA-Z0-9]*)\s", page[opening:first])
    end = _element_end(page, opening, name[1]) if name else None
    if end is None:
        return page
    body, kept, at = page[opening:end], [], 0
    for ignored in _IGNORE_ALL.finditer(body):
        if ignored.start() < at:  # inside an element already left out
            continue
        close = _element_end(body, ignored.start(), ignored[1])
        if close is None:
            return page
        kept.append(body[at : ignored.start()])
        at = close
    kept.append(body[at:])
    head = b'<!DOCTYPE html>%s<head><meta charset="utf-8"></head><body>' % html[0]
    return head + b"".join(kept) + b"</body></html>"


def _element_end(text: bytes, start: int, name: bytes) -> int | None:
    """The offset just past the end tag closing the element whose start tag is at ``start`` (elements of the
    same name nest); None when it is not closed."""
    depth = 0
    for tag in re.finditer(rb"<(/?)" + re.escape(name) + rb"(?=[\s/>])[^<>]*>", text[start:]):
        depth += -1 if tag[1] else 1
        if depth == 0:
            return start + tag.end()
    return None


# --- deterministic output -----------------------------------------------------------------------------------
# Pagefind's files are gzip("pagefind_dcd" + CBOR). The filter files hold [name, [[value, [page, ...]], ...]];
# the metadata file [version, chunks, [[filter name, filter file hash], ...], sorts, meta fields, ...].

_MAGIC = b"pagefind_dcd"
_META_FILTERS = 3  # [version, fragments, index chunks, filters, sorts, meta fields]


def canonicalize(bundle: Path) -> None:
    """Sort what Pagefind leaves in hash-map order; rename the filter and metadata files after their content."""
    entry_path = bundle / ENTRY
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language in entry["languages"].values():
        prefix = language["hash"].split("_")[0]
        meta_path = bundle / f"pagefind.{language['hash']}.pf_meta"
        meta = _read(meta_path)
        filters = {}  # old file hash -> canonical content
        for _name, old in meta[_META_FILTERS]:
            path = bundle / "filter" / f"{old}.pf_filter"
            name, values = _read(path)
            filters[old] = [name, sorted(([value, sorted(pages)] for value, pages in values), key=lambda x: x[0])]
            path.unlink()
        renamed = {}
        for old, canonical in filters.items():
            renamed[old] = f"{prefix}_{hashlib.sha256(cbor2.dumps(canonical)).hexdigest()[:7]}"
            _write(bundle / "filter" / f"{renamed[old]}.pf_filter", canonical)
        meta[_META_FILTERS] = sorted([name, renamed[old]] for name, old in meta[_META_FILTERS])
        language["hash"] = f"{prefix}_{hashlib.sha256(cbor2.dumps(meta)).hexdigest()[:10]}"
        meta_path.unlink()
        _write(bundle / f"pagefind.{language['hash']}.pf_meta", meta)
    entry["languages"] = dict(sorted(entry["languages"].items()))
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _read(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(_MAGIC):
        raise SearchIndexError(f"{path.name} is not a Pagefind file this version of portal understands")
    try:
        return cbor2.loads(raw[len(_MAGIC) :])
    except cbor2.CBORDecodeError as exc:
        raise SearchIndexError(f"{path.name} is not a Pagefind file this version of portal understands: {exc}") from exc


def _write(path: Path, value: Any) -> None:
    # cbor2's default encoding is Pagefind's (shortest integer heads, definite lengths): the same bytes
    path.write_bytes(gzip.compress(_MAGIC + cbor2.dumps(value), mtime=0))
