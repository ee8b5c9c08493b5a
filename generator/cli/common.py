"""Options and error handling shared by every command module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from .. import report
from ..errors import PortalError

CONTENT_OPTION = click.option(
    "--content",
    "content_dir",
    type=click.Path(path_type=Path),
    default=Path("content"),
    show_default=True,
    help="The content folder.",
)
REPO_OPTION = click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="A folder inside the content repository.",
)
FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(report.FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)


def fail(exc: PortalError) -> NoReturn:
    """Print a library error as one line and exit with its code: the only place errors meet Click."""
    click.echo(f"portal: {exc}", err=True)
    sys.exit(exc.exit_code)
