"""Writing files so that a reader, or a crash, sees either the old file or the new one, never a mix; deleting
large trees without waiting for the disk."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8 encoded, written as is: no newline translation) to ``path`` atomically.

    A temporary file in the same folder is written, flushed to disk and renamed over the target (a rename
    within one file system is atomic); the folder is synced so the rename itself survives a power cut. An
    existing file keeps its permissions; a new one is 0644. On any failure the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
