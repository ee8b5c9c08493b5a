"""``portal check-roles`` and ``portal can``: the role rules applied to commits (see docs/roles.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import PortalError
from ..policy import check
from .common import CONTENT_OPTION, FORMAT_OPTION, REPO_OPTION, fail, main


@main.command("check-roles")
@click.option("--base", required=True, help="The pull request's base commit (an ancestor of head).")
@click.option("--head", default="HEAD", show_default=True, help="The last commit to check.")
@FORMAT_OPTION
@click.option("--actor", default=None, help="The username the CI platform authenticated: every commit must be theirs.")
@click.option("--require-signatures", is_flag=True, help="Every commit must be SSH-signed by a key of its author.")
@click.option(
    "--trusted-time",
    default=None,
    help="ISO 8601 time at which signing keys must be valid (default: now, the time of the check).",
)
@click.option("--explain", is_flag=True, help="Show every decision, allowed ones too, one line each.")
@REPO_OPTION
def check_roles(
    base: str,
    head: str,
    fmt: str,
    actor: str | None,
    require_signatures: bool,
    trusted_time: str | None,
    explain: bool,
    repo: Path,
) -> None:
    """Check that every commit of BASE..HEAD was made by someone allowed to make it.

    Exit 0 when every change is allowed, 1 on violations, 2 when the check cannot run.

    \b
    Example:
      portal check-roles --base origin/main --head HEAD --format github
    """
    try:
        when = check.parse_time(trusted_time) if trusted_time is not None else None
        options = check.Options(actor=actor, require_signatures=require_signatures, trusted_time=when)
        report = check.check_roles(repo, base, head, options)
    except PortalError as exc:
        fail(exc)
    click.echo(check.render(report, fmt, explain))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as out:
                out.write(check.markdown(report))
        except OSError as exc:
            click.echo(f"portal: cannot write the step summary: {exc}", err=True)
    sys.exit(0 if report.ok else 1)


_ACTIONS_HELP = "\b\nACTION and TARGET:\n" + "\n".join(f"  {name} {text}" for name, text in check.ACTIONS.items())


@main.command("can", epilog=_ACTIONS_HELP)
@click.argument("user")
@click.argument("action", type=click.Choice(list(check.ACTIONS)), metavar="ACTION")
@click.argument("target")
@CONTENT_OPTION
def can(user: str, action: str, target: str, content_dir: Path) -> None:
    """Would USER (username or email) be allowed ACTION on TARGET? One line per decision.

    A dry run against the content folder as it is now: the same rules check-roles applies to commits.
    Exit 0 when allowed, 1 when denied, 2 on usage errors.

    \b
    Example:
      portal can lucas add-member ville-exemple/zoe
    """
    try:
        decisions = check.can(content_dir, user, action, target)
    except PortalError as exc:
        fail(exc)
    for decision in decisions:
        click.echo(check.explain(decision, user))
    sys.exit(0 if all(d.allowed for d in decisions) else 1)
