"""``portal build`` and ``portal serve``: render the static site (see docs/site.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import report
from ..build import build as run_build
from ..build import describe
from ..errors import ContentError, PortalError
from ..publish import pages_base_url
from .common import CONTENT_OPTION, fail, main, usable_path

OUTPUT_OPTION = click.option(
    "--output",
    "output",
    callback=usable_path,
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("_site"),
    show_default=True,
    help="Where the site is written (replaced atomically).",
)
BASE_URL_OPTION = click.option(
    "--base-url", default=None, help="Public URL of the site, may include a sub-path (default: site.yaml's base_url)."
)
JOBS_OPTION = click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores)."
)


def _report_content(exc: ContentError) -> None:
    """Print validation problems exactly like ``portal validate`` does, then exit 1."""
    checked = getattr(exc, "checked", len({p.file for p in exc.problems}))
    click.echo(report.render(exc.problems, "text", checked))
    sys.exit(1)


@main.command()
@CONTENT_OPTION
@OUTPUT_OPTION
@BASE_URL_OPTION
@JOBS_OPTION
@click.option("--full", is_flag=True, help="Render every page again, ignoring the build cache (.portal-cache/).")
@click.option(
    "--pages-url",
    default=None,
    metavar="URL",
    help="The URL a Pages host publishes the site at ($CI_PAGES_URL, configure-pages' base_url): used as the base "
    "URL while site.yaml's base_url is still the placeholder portal init writes.",
)
def build(
    content_dir: Path, output: Path, base_url: str | None, jobs: int | None, full: bool, pages_url: str | None
) -> None:
    """Validate the content and render the static site (again only what changed, when it can).

    \b
    Example: portal build --output public --pages-url "$CI_PAGES_URL"
    """
    if base_url is None and pages_url is not None:
        base_url = pages_base_url(content_dir, pages_url)
    try:
        result = run_build(content_dir, output, base_url=base_url, jobs=jobs, full=full)
    except ContentError as exc:
        _report_content(exc)
    except PortalError as exc:
        fail(exc)
    click.echo(describe(result))


@main.command()
@CONTENT_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1.")
def serve(content_dir: Path, port: int) -> None:
    """Build into .portal-cache/serve/ (never build's output), serve on 127.0.0.1, rebuild on change.

    \b
    Example:
      portal serve --port 8080
    """
    from ..serve import serve as run_serve

    def log(message: str) -> None:
        click.echo(message, err=True)

    try:
        run_serve(content_dir, port=port, log=log)
    except PortalError as exc:
        fail(exc)
