"""``portal metrics import|ingest`` and ``portal links check``: the committed state behind the dashboards."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .. import analytics, linkcheck, metrics
from ..errors import ContentError, PortalError, UsageError
from .common import CONTENT_OPTION, fail, main


@main.group("metrics")
def metrics_group() -> None:
    """Audience figures from access logs, CDN logs or analytics reports."""


WINDOW_OPTION = click.option(
    "--window",
    type=click.IntRange(min=0),
    default=metrics.REPEAT_WINDOW,
    show_default=True,
    help="Seconds within which the same client hitting the same page again counts once (logs).",
)
FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))


@metrics_group.command("import")
@CONTENT_OPTION
@click.option("--format", "fmt", type=click.Choice(analytics.FORMATS), required=True, help="What FILES are.")
@click.option("--month", type=click.DateTime(["%Y-%m"]), help="The month a report counts (YYYY-MM).")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day a report counts.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day a report counts.")
@WINDOW_OPTION
@FILES
def import_command(content_dir: Path, fmt: str, month, first, last, window: int, files: tuple[Path, ...]) -> None:
    """Count the page views and downloads of FILES into metrics/<YYYY-MM>.csv.

    Logs (combined, cloudfront, cloudflare; plain or .gz) are counted request by request and each line
    once; reports (matomo-pages, matomo-downloads, plausible, goatcounter) are taken as counted, and a
    period imported again replaces the earlier import. --month or --from/--to say which days a report
    counts when its file does not.

    \b
    Example:
      portal metrics import --format matomo-pages --month 2025-03 Actions.getPageUrls.json
    """
    try:
        period = _period(month, first, last)
        if fmt in analytics.LOG_FORMATS:
            if period is not None:
                raise UsageError("--month, --from and --to are for reports: logs carry their own dates")
            _echo_ingest(metrics.ingest(content_dir, files, window=window, fmt=fmt))
            return
        result = metrics.import_reports(content_dir, fmt, files, period)
    except PortalError as exc:
        fail(exc)
    replaced = f"; replaced the earlier import of {', '.join(result.replaced)}" if result.replaced else ""
    click.echo(
        f"{result.files} report(s), {result.rows} rows: {result.views} views and {result.downloads} downloads "
        f"counted for {', '.join(result.periods) or 'no period'}; {result.ignored} rows of other pages"
        f"{replaced}; months written: {', '.join(result.months) or 'none'}"
    )


def _period(month, first, last) -> tuple[dt.date, dt.date] | None:
    if month is not None:
        if first is not None or last is not None:
            raise UsageError("give --month, or --from and --to, not both")
        start = month.date()
        return start, analytics.month_end(start)
    if (first is None) != (last is None):
        raise UsageError("--from and --to go together")
    if first is None:
        return None
    if first > last:
        raise UsageError("--from is after --to")
    return first.date(), last.date()


@metrics_group.command("ingest")
@CONTENT_OPTION
@WINDOW_OPTION
@FILES
def ingest(content_dir: Path, window: int, files: tuple[Path, ...]) -> None:
    """Count page views and downloads of combined-format logs (same as import --format combined).

    \b
    Example:
      portal metrics ingest /var/log/nginx/access.log.1 /var/log/nginx/access.log.2.gz
    """
    try:
        result = metrics.ingest(content_dir, files, window=window)
    except PortalError as exc:
        fail(exc)
    _echo_ingest(result)


def _echo_ingest(result: metrics.IngestResult) -> None:
    months = ", ".join(result.months) or "none"
    click.echo(
        f"{result.files} log(s), {result.lines} lines: {result.views} views and {result.downloads} downloads "
        f"counted; skipped {result.already_ingested} already ingested, {result.malformed} malformed, "
        f"{result.bots} bots, {result.errors} errors, {result.repeated} repeated, {result.ignored} other; "
        f"months written: {months}"
    )


@main.group("links")
def links_group() -> None:
    """Link checks of the resources' and the APIs' URLs."""


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
    """Check every public resource URL and API URL and write links/checks.csv.

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
    apis = [c for c in checks if linkcheck.is_dataservice_check(c)]
    resources = [c for c in checks if not linkcheck.is_dataservice_check(c)]
    broken = sum(1 for c in resources if not c.ok)
    line = f"checked {len(resources)} resources: {len(resources) - broken} available, {broken} broken"
    if apis:
        broken = sum(1 for c in apis if not c.ok)
        line += f"; {len(apis)} API URLs: {len(apis) - broken} available, {broken} broken"
    click.echo(line)
