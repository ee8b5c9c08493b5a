"""``portal validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import report
from ..errors import PortalError
from ..validate import validate as run_validate
from .common import CONTENT_OPTION, FORMAT_OPTION, fail, main


@main.command()
@CONTENT_OPTION
@FORMAT_OPTION
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
def validate(content_dir: Path, fmt: str, jobs: int | None) -> None:
    """Check every content file and the portal as a whole; report every problem.

    \b
    Example:
      portal validate --content content --format github
    """
    try:
        result = run_validate(content_dir, jobs=jobs, keep_data=False)
    except PortalError as exc:
        fail(exc)
    checked = len(result.entries) + len({p.file for p in result.problems})
    click.echo(report.render(result.problems, fmt, checked))
    sys.exit(0 if result.ok else 1)
