"""``portal metrics ingest`` and ``portal links check``: the committed state behind the dashboards."""

from __future__ import annotations

from pathlib import Path

import click

from .. import linkcheck, metrics
from ..errors import ContentError, PortalError
from . import main
from .common import CONTENT_OPTION, fail


@main.group("metrics")
def metrics_group() -> None:
    """Audience figures from the web server's access logs."""


@metrics_group.command("ingest")
@CONTENT_OPTION
@click.option(
    "--window",
    type=click.IntRange(min=0),
    default=metrics.REPEAT_WINDOW,
    show_default=True,
    help="Seconds within which the same client hitting the same page again counts once.",
)
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
def ingest(content_dir: Path, window: int, logs: tuple[Path, ...]) -> None:
    """Count page views and downloads of LOGS (combined format, plain or .gz) into metrics/<YYYY-MM>.csv.

    \b
    Example:
      portal metrics ingest /var/log/nginx/access.log.1 /var/log/nginx/access.log.2.gz
    """
    try:
        result = metrics.ingest(content_dir, logs, window=window)
    except PortalError as exc:
        fail(exc)
    months = ", ".join(result.months) or "none"
    click.echo(
        f"{result.files} log(s), {result.lines} lines: {result.views} views and {result.downloads} downloads "
        f"counted; skipped {result.already_ingested} already ingested, {result.malformed} malformed, "
        f"{result.bots} bots, {result.errors} errors, {result.repeated} repeated, {result.ignored} other; "
        f"months written: {months}"
    )


@main.group("links")
def links_group() -> None:
    """Link checks of the resources' URLs."""


@links_group.command("check")
@CONTENT_OPTION
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--per-host", type=click.IntRange(min=1), default=4, show_default=True, help="Connections at a time per host."
)
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=64, show_default=True, help="Connections at a time in all."
)
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True, help="Retries of a failed URL.")
@click.option(
    "--backoff", type=click.FloatRange(min=0), default=0.5, show_default=True, help="First retry's delay (doubles)."
)
def check(content_dir: Path, timeout: float, per_host: int, concurrency: int, retries: int, backoff: float) -> None:
    """Check every public resource URL and write links/checks.csv.

    \b
    Example:
      portal links check --timeout 5 --per-host 2
    """
    try:
        checks = linkcheck.check(
            content_dir, timeout=timeout, per_host=per_host, concurrency=concurrency, retries=retries, backoff=backoff
        )
    except ContentError as exc:
        from .site import _report_content

        _report_content(exc)
    except PortalError as exc:
        fail(exc)
    broken = sum(1 for c in checks if not c.ok)
    click.echo(f"checked {len(checks)} resources: {len(checks) - broken} available, {broken} broken")
