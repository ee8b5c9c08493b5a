"""``portal harvest``: run harvesters, print one line per job and each failed record."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import PortalError
from ..harvest import Job, run
from .common import CONTENT_OPTION, fail, main


@main.command()
@click.argument("target", required=False, metavar="[ORG[/NAME]]")
@CONTENT_OPTION
@click.option("--dry-run", is_flag=True, help="Fetch and compare, write nothing (not even the job log).")
@click.option("--due", is_flag=True, help="Only the active harvesters whose frequency says they should run now.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def harvest(target: str | None, content_dir: Path, dry_run: bool, due: bool, fmt: str) -> None:
    """Import remote catalogues (DCAT, CKAN, data.json) as datasets of their organization.

    Without TARGET every active harvester runs; ORG runs that organization's active harvesters; ORG/NAME runs
    that one, active or not. Exit 0 when every job is done, 1 when a job failed as a whole (nothing changed),
    3 when jobs finished but some records failed (done-errors: the others were harvested), 2 for usage.

    \b
    Example:
      portal harvest ville-exemple/catalogue --dry-run
    """
    try:
        jobs = run(content_dir, target, due=due, dry_run=dry_run)
    except PortalError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps([_as_json(job) for job in jobs], indent=2, ensure_ascii=False))
    else:
        if not jobs:
            click.echo("no harvester to run" + (" (none is due)" if due else ""))
        for job in jobs:
            click.echo(_as_text(job, content_dir))
    sys.exit(exit_code(jobs))


EXIT_DONE, EXIT_FAILED, EXIT_ITEM_ERRORS = 0, 1, 3


def exit_code(jobs: list[Job]) -> int:
    """1 when any job failed as a whole, else 3 when any record failed, else 0 (2 is for usage errors)."""
    if any(job.status == "failed" for job in jobs):
        return EXIT_FAILED
    return EXIT_ITEM_ERRORS if any(job.status == "done-errors" for job in jobs) else EXIT_DONE


def _as_text(job: Job, content_dir: Path) -> str:
    counts = ", ".join(f"{n} {what}" for what, n in job.counts.items() if n)
    lines = [f"{job.name}: {job.status}" + (f" ({counts})" if counts else "") + (" [dry run]" if job.dry_run else "")]
    if job.error:
        lines.append(f"  error: {job.error}")
    for item in job.items:
        if item.error:
            which = [v for v in (item.remote_uri, f'"{item.title}"' if item.title else None) if v]
            which = [v for v in which if v != item.remote_id]
            line = f"  {item.remote_id or '(no id)'}: {item.error}"
            lines.append(line + (f" ({', '.join(which)})" if which else ""))
    if job.path:
        lines.append(f"  job log: {(content_dir / job.path).as_posix()}")
    return "\n".join(lines)


def _as_json(job: Job) -> dict:
    data = job.as_data()
    data["organization"] = job.organization
    data["dry_run"] = job.dry_run
    data["job_log"] = job.path
    data["changed"] = sorted(job.changes)
    return data
