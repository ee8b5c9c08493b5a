"""The build cache (``.portal-cache/`` next to the content folder): what lets a rebuild redo only what changed.

Three things are kept, all keyed by the *generator fingerprint* (a digest of the generator's code, schemas,
stock theme and translations: a new version of portal, or a local edit to it, invalidates everything):

* :class:`FileCache`: every YAML file already parsed and checked against its schema, by content-relative path,
  with the ``stat`` facts it had (size, mtime, ctime, inode) and the digest of its bytes. A file whose facts
  are unchanged is not read again; one whose facts changed but whose bytes did not (a fresh checkout, a
  cache restored by CI: every file time is new) is read but not parsed again. Like git's index, a file
  modified within :data:`RACY_SECONDS` of the cache being written is not trusted on its facts (its timestamp
  could hide a second write in the same tick): its bytes decide. With the documents, the problems the
  cross-file rules found, keyed by the digest of every file's path and bytes: a portal in which nothing changed
  is not checked as a whole again.
* The same cache with only what the cross-file rules read of each document (``checked/``, written by the
  build beside ``files/``, and by ``portal validate``): what ``portal validate`` loads, several times smaller.
* The build state of one output folder (:class:`BuildState`): the key of every page and export unit written
  there. A page whose key did not change is not rendered again; see :mod:`generator.keys` for the keys.

Both are pickles written atomically; a cache that cannot be read (another version, corrupted, truncated) is
treated as absent: the build is then a full one, never a wrong one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .digests import digest, key_digest, tree_digest
from .files import write_atomic
from .load import Document, repo_root_of
from .schemas import schemas_dir
from .themes import themes_dir

CACHE_DIR = ".portal-cache"
STAMP = ".portal-build"  # in the output folder: which saved build state wrote it (BuildState.digest)
RACY_SECONDS = 2.0
SHARDS = 32  # the file cache's documents are split so that one edited file rewrites 1/32 of them
FILES = "files"  # the build's file cache: whole documents
CHECKED = "checked"  # portal validate's: what the cross-file rules read of them (integrity.slim)


@functools.cache
def generator_fingerprint() -> str:
    """A digest of everything in the generator that shapes its output: code, schemas, stock theme, locales."""
    package = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    for folder in (package, schemas_dir(), themes_dir()):
        h.update(tree_digest(folder))
    return h.hexdigest()


def cache_dir(content_dir: Path) -> Path:
    return Path(content_dir).absolute().parent / CACHE_DIR


def _read_pickle(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None


def _write_pickle(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


StatKey = tuple[int, int, int, int]


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def shard_of(name: str) -> int:
    """Which of the :data:`SHARDS` files keeps ``name`` (the file cache's paths, the memo's names)."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % SHARDS  # stable from run to run, unlike hash()


class FileCache:
    """Parsed documents of one content folder by relative path, with the stat facts they were read with.

    The stat facts of every file are kept apart from the documents (``stats.pickle``; the documents in
    :data:`SHARDS` shards): a fresh clone gives every file new facts but the same bytes, and rewriting only the
    facts (a few MB) instead of every shard saved 3.3 s of a 50,000-dataset build after a fresh clone.
    """

    def __init__(self, folder: Path | None, content_dir: Path):
        self.folder = folder
        content_dir = Path(content_dir).absolute()
        # the paths shown in cached problems depend on the repository root
        self.header = (generator_fingerprint(), str(content_dir), str(repo_root_of(content_dir)))
        self.stats: dict[str, StatKey] = {}  # rel -> the stat facts its document was last seen with
        self.shards: list[dict[str, Any]] = [{} for _ in range(SHARDS)]  # rel -> (data, problems, digest)
        self.dirty: set[int] = set()
        self.keys: list[bytes] = [b""] * SHARDS  # each shard's paths and content digests (shard_key)
        self.stats_dirty = False
        self.saved_at = 0.0
        self.seen: set[str] = set()
        self.by_content = 0  # files recognised by their bytes rather than their stat facts, in this run
        # the cross-file rules' problems and the digest of the portal they were found in (all paths and bytes)
        self.integrity: tuple[bytes, tuple] | None = None
        self.integrity_changed = False

    @classmethod
    def load(cls, content_dir: Path, name: str = FILES) -> FileCache:
        cache = cls(cache_dir(content_dir) / name, content_dir)
        stored = _read_pickle(cache.folder / "header.pickle")
        if not isinstance(stored, dict) or stored.get("header") != cache.header:
            cache.dirty = set(range(SHARDS))
            return cache
        cache.saved_at = stored["saved_at"]
        cache.integrity = stored.get("integrity")
        stats = _read_pickle(cache.folder / "stats.pickle")
        keys = stored.get("keys")
        if not isinstance(stats, dict) or not isinstance(keys, list) or len(keys) != SHARDS:
            cache.dirty = set(range(SHARDS))
            return cache
        cache.stats, cache.keys = stats, keys
        for number in range(SHARDS):
            shard = _read_pickle(cache.folder / f"{number:02}.pickle")
            if not isinstance(shard, dict):
                cache.stats, cache.shards = {}, [{} for _ in range(SHARDS)]
                cache.dirty = set(range(SHARDS))
                return cache
            cache.shards[number] = shard
        return cache

    def get(self, rel: str, key: StatKey, abspath: Path | str, file: str) -> Document | None:
        """The document cached for ``rel`` (at ``abspath``, shown as ``file``) if the file is unchanged, else None.

        Unchanged means the same stat facts (not racily clean), or else the same bytes: a
        fresh checkout or a cache restored by CI gives every file new times, and re-reading the bytes (to
        compare their digest) costs a fraction of parsing and validating them again. A file recognised by its
        bytes is kept with its new stat facts.
        """
        self.seen.add(rel)
        found = self.shards[shard_of(rel)].get(rel)
        known = self.stats.get(rel)
        if found is None or known is None:
            return None
        if known != key or key[1] / 1e9 >= self.saved_at - RACY_SECONDS:  # racily clean: it may have changed
            if known[0] != key[0]:  # another size: changed
                return None
            try:
                with open(abspath, "rb") as handle:  # not a Path: 10 µs a file, a second at 90,000 files
                    raw = handle.read()
            except OSError:
                return None
            if digest(raw) != found[2]:
                return None
            self.stats[rel] = key
            self.stats_dirty = True
            self.by_content += 1
        data, problems, content_digest = found
        return Document(file=file, abspath=abspath, data=data, problems=list(problems), digest=content_digest)

    def put(self, rel: str, key: StatKey, document: Any) -> None:
        """Keep a checked document as plain values (they unpickle several times faster than objects), without
        its paths: the header's folders and ``rel`` give them, and at 90,000 files they were a third of it."""
        number = shard_of(rel)
        self.shards[number][rel] = (document.data, tuple(document.problems), document.digest)
        self.stats[rel] = key
        self.dirty.add(number)
        self.stats_dirty = True

    def remember_integrity(self, key: bytes, problems: list) -> None:
        """Keep the cross-file rules' ``problems`` for the portal whose digest is ``key``."""
        if self.integrity is None or self.integrity[0] != key:
            self.integrity = (key, tuple(problems))
            self.integrity_changed = True

    def save(self) -> set[int]:
        """Drop files not seen in this run, write the shards and the stat facts that changed, then the header
        (last); returns the numbers of the shards written."""
        if self.folder is None:
            return set()
        for number, shard in enumerate(self.shards):
            gone = [rel for rel in shard if rel not in self.seen]
            for rel in gone:
                del shard[rel]
                self.stats.pop(rel, None)
            if gone:
                self.dirty.add(number)
                self.stats_dirty = True
        self.seen = set()  # a warm builder's next run starts afresh
        written, self.dirty = self.dirty, set()
        stats, self.stats_dirty = self.stats_dirty, False
        if stats:
            self.saved_at = time.time()  # the facts are trusted when older than this (RACY_SECONDS)
        for number in written:
            self.keys[number] = shard_key(self.shards[number])
        if stats or written or self.integrity_changed:
            self._write(self.folder, written, lambda number: self.shards[number])
        self.integrity_changed = False
        return written

    def _write(self, folder: Path, numbers: set[int], shard: Callable[[int], dict]) -> None:
        header = folder / "header.pickle"
        header.unlink(missing_ok=True)  # a crash between files leaves no header: the cache is then ignored
        for number in sorted(numbers):
            _write_pickle(folder / f"{number:02}.pickle", shard(number))
        _write_pickle(folder / "stats.pickle", self.stats)
        stored = {"header": self.header, "saved_at": self.saved_at, "integrity": self.integrity, "keys": self.keys}
        _write_pickle(header, stored)

    def mirror(self, name: str, shrink: Callable[[str, tuple], tuple]) -> None:
        """Write this cache again as cache ``name``, each kept document passed through ``shrink(rel, kept)``.

        The build writes what ``portal validate`` reads this way (:data:`CHECKED`), so that a CI job which
        restores the build's cache validates from it. A shard of the copy is made again only when its key
        (:func:`shard_key`: its paths and content digests, on which its documents depend) is not this cache's:
        after a validation that saw the same edit, one shard or none. The stat facts and the time that tells
        whether they may be trusted (:data:`RACY_SECONDS`) are this cache's.
        """
        if self.folder is None:
            return
        folder = self.folder.parent / name
        stored = _read_pickle(folder / "header.pickle")
        same_header = isinstance(stored, dict) and stored.get("header") == self.header
        keys = stored.get("keys") if same_header else None
        if not isinstance(keys, list) or len(keys) != SHARDS:
            keys = [None] * SHARDS
        numbers = {number for number in range(SHARDS) if keys[number] != self.keys[number]}
        if not numbers and (stored["saved_at"], stored.get("integrity")) == (self.saved_at, self.integrity):
            return  # a copy of this very cache

        def shrunk(number: int) -> dict:
            return {rel: shrink(rel, kept) for rel, kept in self.shards[number].items()}

        self._write(folder, numbers, shrunk)


def shard_key(shard: dict[str, tuple]) -> bytes:
    """What a shard of documents depends on, given the cache's header: each path and the digest of its bytes."""
    return key_digest(sorted((rel, kept[2]) for rel, kept in shard.items()))


class Memo:
    """A persistent map ``name -> value``, each value kept with the digest of the key it was made from.

    For parts of an export that are costly to make and that an edit rarely changes (the CSV rows of each
    dataset: the site-wide tables are rebuilt from them). ``header`` ties the whole memo to what every value
    also depends on (the build's global key); a memo with another header is empty. Kept in :data:`SHARDS`
    files (``<path stem>-NN.pickle``), so that one edit rewrites one of them: the whole memo of 50,000
    datasets' rows took 2.1 s to write.
    """

    def __init__(self, path: Path, header: bytes):
        self.path = path
        self.header = header
        self.shards: list[dict[str, tuple[bytes, Any]]] = [{} for _ in range(SHARDS)]
        self.seen: set[str] = set()
        self.dirty: set[int] = set()

    def _file(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.stem}-{number:02}.pickle")

    @classmethod
    def load(cls, path: Path, header: bytes) -> Memo:
        memo = cls(path, header)
        for number in range(SHARDS):
            stored = _read_pickle(memo._file(number))
            ok = isinstance(stored, tuple) and len(stored) == 2 and stored[0] == header
            if ok and isinstance(stored[1], dict):
                memo.shards[number] = stored[1]
            else:
                memo.dirty.add(number)  # absent, damaged or of another header: written anew
        return memo

    def get(self, name: str, key: Any) -> Any:
        self.seen.add(name)
        found = self.shards[shard_of(name)].get(name)
        return found[1] if found is not None and found[0] == key_digest(key) else None

    def put(self, name: str, key: Any, value: Any) -> None:
        self.seen.add(name)
        number = shard_of(name)
        self.shards[number][name] = (key_digest(key), value)
        self.dirty.add(number)

    def save(self) -> None:
        """Write the shards that changed, without the values unused in this run."""
        for number, shard in enumerate(self.shards):
            gone = [name for name in shard if name not in self.seen]
            for name in gone:
                del shard[name]
            if gone or number in self.dirty:
                _write_pickle(self._file(number), (self.header, shard))
        self.dirty = set()


@dataclass
class BuildState:
    """What the last build wrote into one output folder, and the keys it was written from.

    ``pages`` maps each page's output path to its key digest; ``units`` maps each export unit (a group of
    export files made together) to its key digest and the files it wrote; ``static`` maps each copied file
    to its source digest; ``search`` is the key of the search index. ``committing`` is set while a
    rebuild moves files into place: a state found with it set means a rebuild was interrupted there, and the
    next build is a full one.

    Which output folder the state describes is told by a *stamp*: a digest of the state's keys, saved with it
    and written into the output as :data:`STAMP`. A folder whose stamp differs was replaced since (by another
    build, by hand) and gets a full build. A copy of the folder keeps its stamp: a CI job that restores the
    previous site and ``.portal-cache/`` from its cache (new inodes, new file times) builds incrementally. The
    stamp depends only on what was built, so two builds of the same content still write the same bytes.
    """

    fingerprint: str = ""
    output: str = ""
    stamp: str = ""
    globals: bytes = b""
    pages: dict[str, bytes] = field(default_factory=dict)
    units: dict[str, tuple[bytes, list[str]]] = field(default_factory=dict)
    static: dict[str, bytes] = field(default_factory=dict)
    search: bytes = b""
    search_files: list[str] = field(default_factory=list)
    committing: bool = False

    def digest(self) -> str:
        """The stamp: the keys of everything the output holds, in a stable order (not the search key, which
        a warm builder sets later, in the background, for the same files)."""
        h = hashlib.blake2b(self.fingerprint.encode() + b"\0" + self.globals, digest_size=16)
        for path, key in sorted(self.pages.items()):
            h.update(f"\0p{path}\0".encode("utf-8", "surrogatepass") + key)
        for name, (key, files) in sorted(self.units.items()):
            h.update(f"\0u{name}\0{'/'.join(files)}\0".encode("utf-8", "surrogatepass") + key)
        for path, key in sorted(self.static.items()):
            h.update(f"\0s{path}\0".encode("utf-8", "surrogatepass") + key)
        return h.hexdigest()

    @staticmethod
    def path(content_dir: Path, output: Path) -> Path:
        name = digest(str(Path(output).absolute()).encode()).hex()[:16]
        return cache_dir(content_dir) / f"build-{name}.pickle"

    @staticmethod
    def unsaved_marker(content_dir: Path, output: Path) -> Path:
        """A file present while the output holds files that the saved state does not know of.

        A warm builder's quick rebuild (:mod:`generator.quick`) moves pages into place before it saves the
        state (saving half a million keys takes a second); a build that finds the marker builds in full.
        """
        return BuildState.path(content_dir, output).with_suffix(".unsaved")

    @staticmethod
    def search_marker(content_dir: Path, output: Path) -> Path:
        """A file present while the output's search index is older than its pages (a reindex is owed)."""
        return BuildState.path(content_dir, output).with_suffix(".search")

    @classmethod
    def load(cls, content_dir: Path, output: Path) -> BuildState | None:
        """The state of ``output`` when it is still the folder that build wrote, else None."""
        if cls.unsaved_marker(content_dir, output).exists():
            return None
        state = _read_pickle(cls.path(content_dir, output))
        if not isinstance(state, cls) or state.committing or state.fingerprint != generator_fingerprint():
            return None
        if not state.describes(output):
            return None
        if cls.search_marker(content_dir, output).exists():
            state.search = b""  # no key matches: the search index is made again
        return state

    def describes(self, output: Path) -> bool:
        """Whether ``output`` is the folder this state was saved for, as that build left it (its stamp)."""
        try:
            stamp = (Path(output) / STAMP).read_bytes()
        except OSError:
            return False
        return self.output == str(Path(output).absolute()) and bool(self.stamp) and stamp == self.stamp.encode()

    def save(self, content_dir: Path, output: Path) -> None:
        self.fingerprint = generator_fingerprint()
        self.output = str(Path(output).absolute())
        if not self.committing:  # a committing state is never built from (load): the stamp it has will do
            self.stamp = self.digest()
        if not self.describes(output):  # a build that changed nothing writes nothing
            write_atomic(Path(output) / STAMP, self.stamp)
        _write_pickle(self.path(content_dir, output), self)
        self.unsaved_marker(content_dir, output).unlink(missing_ok=True)

    @staticmethod
    def forget(content_dir: Path, output: Path) -> None:
        """Before a full build: it makes everything anew, the search index too."""
        for path in (
            BuildState.path(content_dir, output),
            BuildState.unsaved_marker(content_dir, output),
            BuildState.search_marker(content_dir, output),
        ):
            path.unlink(missing_ok=True)
