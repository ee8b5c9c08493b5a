"""``portal validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import report
from ..cache import CHECKED, FileCache
from ..errors import PortalError
from ..validate import validate as run_validate
from .common import CONTENT_OPTION, FORMAT_OPTION, fail, main


@main.command()
@CONTENT_OPTION
@FORMAT_OPTION
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse the checks of files whose bytes are unchanged since the last build or validation "
    "(.portal-cache/ beside the content folder), and keep this run's.",
)
def validate(content_dir: Path, fmt: str, jobs: int | None, cache: bool) -> None:
    """Check every content file and the portal as a whole; report every problem.

    With the cache (the default), only the files whose bytes changed are checked again, and the cross-file
    rules run again only when a file changed: a fresh clone with .portal-cache/ restored validates in
    seconds. --no-cache checks everything and writes nothing.

    \b
    Example:
      portal validate --content content --format github
    """
    files = FileCache.load(content_dir, CHECKED) if cache and content_dir.is_dir() else None
    try:
        result = run_validate(content_dir, jobs=jobs, keep_data=False, cache=files)
    except PortalError as exc:
        fail(exc)
    if files is not None:
        try:
            files.save()
        except OSError as exc:  # a read-only checkout: the validation stands, only the next one is slower
            click.echo(f"portal: the validation cache was not saved ({exc.strerror}: {exc.filename})", err=True)
    checked = len(result.entries) + len({p.file for p in result.problems})
    click.echo(report.render(result.problems, fmt, checked))
    sys.exit(0 if result.ok else 1)
