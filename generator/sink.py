"""Where a build's files go and how they reach the live site: only by renames, never half-written.

A :class:`Sink` writes rendered files into a new site folder or a staging folder (skipping, in an
incremental build, the files whose bytes the live site already has); :func:`commit` moves staged files into
the live site; :func:`swap` puts a whole new site in place of the previous one; :func:`replace_bundle` and
:func:`replace_shards` do the same for the search index. Old trees are deleted in the background when large
(:func:`discard`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from . import search
from .digests import digest
from .files import write_atomic


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


def copy_files(files: dict[str, Path], sink: Sink) -> dict[str, bytes]:
    """Copy the static files into ``sink``; returns each one's digest (the state keeps them)."""
    digests = {}
    for rel, source in files.items():
        data = source.read_bytes()
        digests[rel] = digest(data)
        sink.put(rel, data)
    return digests


@contextlib.contextmanager
def staging_folder(output: Path, kind: str) -> Iterator[Path]:
    """A temporary folder next to ``output`` (same disk: its files move in with renames), removed after use.

    What is left in it goes the way of a previous site (:func:`discard`): a search reindex leaves the ~100,000
    files of Pagefind's bundle that did not change, which take 25 s to delete at 50,000 datasets.
    """
    folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.{kind}-", dir=output.parent))
    try:
        yield folder
    finally:
        discard(folder)


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


def replace_bundle(output: Path, bundle: Path) -> None:
    """Move the files of a new search bundle that differ from the live ones into the live site."""
    live = output / search.BUNDLE
    new_files = (
        {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} if bundle.is_dir() else set()
    )
    old_files = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_file()} if live.is_dir() else set()
    changed = [rel for rel in sorted(new_files) if not _same_bytes(live / rel, (bundle / rel).read_bytes())]
    commit(bundle, live, changed, sorted(old_files - new_files))


def replace_shards(output: Path, bundle: Path, shards: list[search.Shard], trash: Path) -> None:
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


def swap(new: Path, output: Path) -> None:
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
    discard(old)


# past this many files a tree goes to a detached rm: the search shard a one-edit rebuild replaces at 50,000
# datasets (~13,000 files) took 1.4 s to delete in the build; a small portal's staging folders go at once
DETACHED_DELETE_FILES = 5_000


def discard(old: Path) -> None:
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
