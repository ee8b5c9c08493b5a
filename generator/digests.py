"""Content digests (BLAKE2b, 128 bits): of bytes, of keys, of folders.

Here rather than in :mod:`generator.cache`, their main user: :mod:`generator.load` digests every file it
reads, and the cache keeps parsed files of the loader's type, so both import this module and not each other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def digest(data: bytes) -> bytes:
    """The content digest used everywhere in the cache (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def key_digest(key: Any) -> bytes:
    """The digest of a key made of tuples, strings, numbers, bytes and None (``repr`` is stable for those)."""
    return digest(repr(key).encode("utf-8", "surrogatepass"))


def tree_digest(folder: Path, skip: tuple[str, ...] = ("__pycache__",)) -> bytes:
    """The digest of every file under ``folder`` (paths and bytes), in a stable order."""
    h = hashlib.blake2b(digest_size=16)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not (set(p.parts) & set(skip))):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0")
            h.update(digest(path.read_bytes()))
    return h.digest()
