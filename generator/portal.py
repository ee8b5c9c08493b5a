"""Content folder → validated :class:`~generator.model.Portal`: what every command that reads the whole
portal starts with (``portal build``, ``portal links check``, the dashboards' tests).

A module of its own, between the model and what uses it, so that :mod:`generator.linkcheck` can read the
portal the way the build does (refusing broken content) without importing the build.
"""

from __future__ import annotations

from pathlib import Path

from .cache import CHECKED, FileCache
from .errors import ContentError
from .model import Portal
from .validate import slim_kept, validate


class InvalidContent(ContentError):
    """Validation found problems: the build refuses to start. ``checked`` counts files as validate does."""

    def __init__(self, problems: list, checked: int):
        super().__init__(problems)
        self.checked = checked


def load_portal(content_dir: Path, jobs: int | None = None) -> tuple[Portal, Path]:
    """Validate and model the content; raise :class:`InvalidContent` with every problem when it is broken."""
    portal, content_dir, _ = read_portal(content_dir, jobs, None)
    return portal, content_dir


def read_portal(
    content_dir: Path, jobs: int | None, files: FileCache | None, models: dict | None = None
) -> tuple[Portal, Path, dict[str, bytes]]:
    """:func:`load_portal` with the build's caches (parsed ``files``, model objects by file: ``models``); also
    returns the digest of each content file (the keys of incremental builds read them)."""
    result = validate(content_dir, jobs=jobs, cache=files)
    if files is not None:  # and the slim copy that portal validate reads (a CI job restoring it validates fast)
        files.save()
        files.mirror(CHECKED, slim_kept)
    if not result.ok:
        raise InvalidContent(result.problems, len(result.entries) + len({p.file for p in result.problems}))
    digests = {e.location.path: e.doc.digest for e in result.entries if e.doc is not None}
    return Portal.from_entries(result.entries, models), result.content_dir, digests
