"""The static search index of the site, built after the pages are written (Pagefind).

:func:`index_site` is the build's hook: it receives the folder the pages were written to (before it is
swapped into place) and the build's SiteIndex, and writes the search bundle into ``<site>/pagefind/``.

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
* Deterministic: same pages, same bundle bytes (checked by the byte-identical builds test). Pagefind 1.5
  writes its filter lists and the language metadata in hash-map order, which changes from run to run
  (Pagefind issue #638): :func:`canonicalize` sorts them and renames those files after their new content.
  The files of Pagefind's own UIs, which the site does not use, are removed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path
from subprocess import PIPE
from typing import Any

import cbor2

from .errors import PortalError

log = logging.getLogger(__name__)

BUNDLE = "pagefind"  # the output folder, relative to the site
ENTRY = "pagefind-entry.json"  # the bundle file that lists the languages
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


def index_site(site_dir: Path, index: Any) -> None:
    """Write the search index of the dataset pages under ``site_dir`` into ``site_dir/pagefind/``."""
    finish(start(site_dir, index))


def start(site_dir: Path, index: Any, bundle: Path | None = None) -> Indexing | None:
    """Start indexing the dataset pages already written under ``site_dir``; :func:`finish` waits for it.

    Pagefind runs as a separate process, so a build starts it as soon as the dataset pages are written and
    renders the rest of the site meanwhile (Pagefind is about a third of a large build's CPU time).
    """
    if not index.datasets:  # nothing to index (a new portal): Pagefind would fail; the listing says so
        return None
    binary = pagefind_binary()
    if binary is None:
        log.warning("pagefind is not installed: the site is built without its search index (pip install pagefind)")
        return None
    return Indexing(binary, site_dir, bundle if bundle is not None else site_dir / BUNDLE, index.site.languages)


def finish(indexing: Indexing | None) -> None:
    """Wait for the indexing :func:`start` began, then make its output deterministic."""
    if indexing is None:
        return
    indexing.wait()
    for name in UNUSED:
        (indexing.bundle / name).unlink(missing_ok=True)
    canonicalize(indexing.bundle)


class Indexing:
    """Pagefind over the dataset pages, one run per language, one run after the other, in a thread.

    Why one run per language: Pagefind holds every page it indexes in memory until it writes, and a language's
    index never reads another language's pages (it splits them by ``<html lang>`` anyway). At 50,000 datasets a
    run over one language peaks at 65% of the memory of a run over both (3.1 GB), and the two runs take 26%
    less time (benchmarks/README.md).
    The bundle is the same bytes: each run writes its language's files into the same folder (the names are
    prefixed with the language) and rewrites ``pagefind-entry.json`` with its language only, so
    :meth:`wait` writes the entry of all the languages.
    """

    def __init__(self, binary: Path, site_dir: Path, bundle: Path, languages: list[str] | tuple[str, ...]):
        self.bundle = bundle
        self._commands = [
            [
                str(binary),
                "--site",
                str(site_dir),
                "--output-path",
                str(bundle),
                "--glob",
                dataset_glob(languages, language),
                "--silent",
            ]
            for language in languages
        ]
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self._error: SearchIndexError | None = None
        self._entry: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, name="pagefind", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for command in self._commands:
                with self._lock:
                    if self._stopped:
                        return
                    self._process = subprocess.Popen(command, stdout=PIPE, stderr=PIPE, text=True)
                out, err = self._process.communicate()
                if self._process.returncode != 0:
                    status = self._process.returncode
                    self._error = SearchIndexError(f"pagefind failed ({status}): {(err or out).strip()}")
                    return
                entry = json.loads((self.bundle / ENTRY).read_text(encoding="utf-8"))
                languages = {**self._entry.get("languages", {}), **entry["languages"]}
                self._entry = {**entry, "languages": languages}
        except (OSError, ValueError, KeyError) as exc:  # in this thread, it would only be printed: wait() raises it
            self._error = SearchIndexError(f"pagefind could not index the site: {exc}")

    def kill(self) -> None:
        """Stop the indexing (a newer build supersedes it, or a page failed); :meth:`wait` then raises."""
        with self._lock:
            self._stopped = True
            if self._process is not None:
                self._process.kill()
        self._thread.join()

    def wait(self) -> None:
        """Wait for the last run; write the entry file of every language."""
        self._thread.join()
        if self._stopped:
            raise SearchIndexError("the search index was stopped before it was complete")
        if self._error is not None:
            raise self._error
        (self.bundle / ENTRY).write_text(json.dumps(self._entry, ensure_ascii=False), encoding="utf-8")


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
