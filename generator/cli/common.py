"""The ``portal`` group, and the options and error handling shared by every command module.

The group is defined here rather than in ``generator/cli/__init__.py`` so that the command modules, which
register on it, do not import the package that imports them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from .. import __version__, report
from ..errors import PortalError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal")
def main() -> None:
    """An open-data portal that lives in git."""


def usable_path(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A path the system can look up: a name too long for it, or a loop of symbolic links, is a usage error
    (exit 2) here rather than a traceback in whatever reads it later."""
    try:
        value.exists()
    except OSError as exc:
        raise click.BadParameter(f"{str(value)[:80]}...: {exc.strerror}") from exc
    return value


CONTENT_OPTION = click.option(
    "--content",
    "content_dir",
    callback=usable_path,
    type=click.Path(path_type=Path),
    default=Path("content"),
    show_default=True,
    help="The content folder.",
)


class AliasedOption(click.Option):
    """An option whose older spellings still work but only the first shows in --help."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        opts, self.opts = self.opts, self.opts[:1]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = opts


# the commands that work in a git repository take the content location under the same name as the others
# (--content); --repo, its former name, still works
REPO_OPTION = click.option(
    "--content",
    "--repo",
    "repo",
    cls=AliasedOption,
    callback=usable_path,
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    help="The content folder, or any folder of its git repository (default: the current folder).",
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
