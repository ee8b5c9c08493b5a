"""Contributor commands: ``portal init``, ``user``, ``org``, ``member``, ``request``, ``dataset``, ``resource``,
``reuse``, ``discussion`` and ``whoami`` (see docs/contributing.md).

Each command acts as the current git identity (``git config user.email``) in the content repository holding
``--repo`` (default: the current folder), calls one action of :mod:`generator.edit`, and prints what changed.
Exit 0 done, 1 refused (a role rule, or the content would become invalid), 2 usage (not in a repository...).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import edit
from ..errors import ContentError, PortalError
from . import main
from .common import REPO_OPTION, fail

ROLE = click.Choice(["editor", "admin"])
LICENSES = [
    "etalab-2.0",
    "lov1",
    "odc-odbl",
    "odc-by",
    "odc-pddl",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc0-1.0",
    "other-open",
    "other-at",
    "other-pd",
    "other",
    "notspecified",
]
RESOURCE_TYPES = ["main", "documentation", "update", "api", "code", "other"]
REUSE_TYPES = ["api", "application", "idea", "news_article", "paper", "post", "visualization", "hardware"]


def _report(result: edit.Result) -> None:
    for line in result.summary:
        click.echo(line)
    for path in result.paths:
        click.echo(f"  changed: {path}")
    if result.commit:
        click.echo(f"committed {result.commit[:10]}: {result.message}")
    else:
        click.echo("not committed: review with git diff, then commit (or pass --commit)")


def _refuse(exc: PortalError) -> None:
    if isinstance(exc, edit.Denied):
        click.echo("portal: refused by the role rules (the same ones portal check-roles applies):", err=True)
        for line in str(exc).splitlines():
            click.echo(f"  {line}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(exc, ContentError):
        click.echo("portal: refused: the change would leave invalid content:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem.as_text()}", err=True)
        sys.exit(exc.exit_code)
    fail(exc)


def action(func: Callable[..., edit.Result]) -> Callable[..., None]:
    """A contributor command: ``--repo`` and ``--commit`` options, the workspace, errors and the report."""

    @REPO_OPTION
    @click.option("--commit", "commit", is_flag=True, help="Make one git commit of the change.")
    @functools.wraps(func)
    def command(repo: Path, commit: bool, **kwargs: Any) -> None:
        try:
            workspace = edit.Workspace.open(repo)
            result = func(workspace, commit=commit, **kwargs)
        except PortalError as exc:
            _refuse(exc)
        _report(result)

    return command


# ----------------------------------------------------------------------------------------------------- init


@main.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--title", help="The portal's title.")
@click.option("--base-url", help="Where the site is published, e.g. https://data.example.org/.")
@click.option("--language", "languages", multiple=True, type=click.Choice(["fr", "en"]), help="Repeatable.")
@click.option("--maintainer", help="Register yourself (your git email) under this username, as maintainer.")
@click.option("--name", help="Your full name, with --maintainer.")
@click.option("--commit", is_flag=True, help="Make the first commit.")
def init(folder: Path, title, base_url, languages, maintainer, name, commit: bool) -> None:
    """Create a content repository in FOLDER: site.yaml, CI workflows, pre-commit, a contributor README."""
    try:
        result = edit.init(folder, title, base_url, list(languages) or None, maintainer, name, commit)
    except PortalError as exc:
        _refuse(exc)
    _report(result)


# ----------------------------------------------------------------------------------------------------- user


@main.group()
def user() -> None:
    """Users: register yourself."""


@user.command("register")
@click.argument("username")
@click.option("--name", required=True, help="Your full name.")
@click.option("--about", default="", help="A few words about you (Markdown).")
@action
def user_register(ws: edit.Workspace, username: str, name: str, about: str, commit: bool) -> edit.Result:
    """Register USERNAME with your git email (the only command open to an unknown email)."""
    return edit.register(ws, username, name, about, commit=commit)


# ------------------------------------------------------------------------------------------------------ org


@main.group()
def org() -> None:
    """Organizations: create one (you become its admin), delete one."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The organization's name.")
@click.option("--description", default="", help="What it does (Markdown; default: the name).")
@click.option("--acronym", default="")
@click.option("--url", default="", help="Its website.")
@action
def org_create(ws, slug: str, name: str, description: str, acronym: str, url: str, commit: bool) -> edit.Result:
    """Create the organization SLUG, with you as its admin."""
    return edit.org_create(ws, slug, name, description, acronym, url, commit=commit)


@org.command("delete")
@click.argument("org_slug", metavar="ORG")
@action
def org_delete(ws, org_slug: str, commit: bool) -> edit.Result:
    """Delete ORG and everything under its folder (admins only)."""
    return edit.org_delete(ws, org_slug, commit=commit)


# --------------------------------------------------------------------------------------------------- member


@main.group()
def member() -> None:
    """Members of an organization: add, remove, change a role, leave."""


@member.command("add")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--role", type=ROLE, default="editor", show_default=True)
@action
def member_add(ws, org_slug: str, username: str, role: str, commit: bool) -> edit.Result:
    """Add USER to ORG (admins only)."""
    return edit.member_add(ws, org_slug, username, role, commit=commit)


@member.command("remove")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@action
def member_remove(ws, org_slug: str, username: str, commit: bool) -> edit.Result:
    """Remove USER from ORG (admins only; yourself: see leave)."""
    return edit.member_remove(ws, org_slug, username, commit=commit)


@member.command("set-role")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.argument("role", type=ROLE)
@action
def member_set_role(ws, org_slug: str, username: str, role: str, commit: bool) -> edit.Result:
    """Make USER admin or editor of ORG (admins only)."""
    return edit.member_set_role(ws, org_slug, username, role, commit=commit)


@member.command("leave")
@click.argument("org_slug", metavar="ORG")
@action
def member_leave(ws, org_slug: str, commit: bool) -> edit.Result:
    """Leave ORG (an organization keeps at least one admin)."""
    return edit.member_leave(ws, org_slug, commit=commit)


# -------------------------------------------------------------------------------------------------- request


@main.group()
def request() -> None:
    """Membership requests: ask to join, accept, refuse, withdraw."""


@request.command("create")
@click.argument("org_slug", metavar="ORG")
@click.option("--comment", required=True, help="Why you want to join (Markdown).")
@click.option("--role", type=ROLE, default=None, help="The role you ask for (default: editor).")
@action
def request_create(ws, org_slug: str, comment: str, role: str | None, commit: bool) -> edit.Result:
    """Ask to join ORG."""
    return edit.request_create(ws, org_slug, comment, role, commit=commit)


@request.command("accept")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--role", type=ROLE, default=None, help="Default: the role asked for, else editor.")
@action
def request_accept(ws, org_slug: str, username: str, role: str | None, commit: bool) -> edit.Result:
    """Accept USER's request: USER joins ORG in the same change (admins only)."""
    return edit.request_accept(ws, org_slug, username, role, commit=commit)


@request.command("refuse")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--comment", required=True, help="Why (the person reads it).")
@action
def request_refuse(ws, org_slug: str, username: str, comment: str, commit: bool) -> edit.Result:
    """Refuse USER's request to join ORG (admins only)."""
    return edit.request_refuse(ws, org_slug, username, comment, commit=commit)


@request.command("withdraw")
@click.argument("org_slug", metavar="ORG")
@action
def request_withdraw(ws, org_slug: str, commit: bool) -> edit.Result:
    """Withdraw your pending request to join ORG."""
    return edit.request_withdraw(ws, org_slug, commit=commit)


# ----------------------------------------------------------------------------------- dataset, resource, reuse


@main.group()
def dataset() -> None:
    """Datasets: publish one."""


@dataset.command("create")
@click.argument("args", nargs=-1, required=True, metavar="ORG|--personal SLUG")
@click.option("--personal", is_flag=True, help="Publish under your own name instead of an organization.")
@click.option("--title", required=True)
@click.option("--description", default="", help="Markdown (default: the title).")
@click.option("--license", "license_", type=click.Choice(LICENSES), default="notspecified", show_default=True)
@click.option("--frequency", default=None, help="Update frequency (monthly, annual... see the dataset schema).")
@click.option("--tag", "tags", multiple=True, help="Repeatable.")
@action
def dataset_create(ws, args, personal, title, description, license_, frequency, tags, commit) -> edit.Result:
    """Publish the dataset SLUG under ORG (editors and admins) or, with --personal, under your name."""
    owner, slug = _owner_and_slug(args, personal)
    return edit.dataset_create(
        ws, owner, slug, title, description, license_, frequency, tags, personal=personal, commit=commit
    )


def _owner_and_slug(args: tuple[str, ...], personal: bool) -> tuple[str | None, str]:
    if personal and len(args) == 1:
        return None, args[0]
    if not personal and len(args) == 2:
        return args[0], args[1]
    raise click.UsageError("give ORG SLUG, or --personal SLUG")


@main.group()
def resource() -> None:
    """Resources of a dataset: add a file or a link."""


@resource.command("add")
@click.argument("dataset_slug", metavar="DATASET")
@click.argument("source", metavar="FILE|URL")
@click.option("--url", default=None, help="With a FILE: the URL where it is published (required).")
@click.option("--title", default=None, help="Default: the file name.")
@click.option("--type", "type_", type=click.Choice(RESOURCE_TYPES), default="main", show_default=True)
@click.option("--format", "format_", default=None, help="Default: from the file name (csv, json...).")
@click.option("--description", default="")
@action
def resource_add(ws, dataset_slug, source, url, title, type_, format_, description, commit) -> edit.Result:
    """Add a resource to DATASET: a local FILE (size, sha256, mime and format read from it) or a URL."""
    return edit.resource_add(ws, dataset_slug, source, title, url, type_, format_, description, commit=commit)


@main.group()
def reuse() -> None:
    """Reuses: reference an application, a visualization, an article... built on datasets."""


@reuse.command("create")
@click.argument("args", nargs=-1, required=True, metavar="ORG|--personal SLUG")
@click.option("--personal", is_flag=True, help="Reference it under your own name.")
@click.option("--title", required=True)
@click.option("--url", required=True, help="Where the reuse is.")
@click.option("--dataset", "datasets", multiple=True, required=True, help="A dataset it uses (repeatable).")
@click.option("--type", "type_", type=click.Choice(REUSE_TYPES), default="application", show_default=True)
@click.option("--description", default="", help="Markdown (default: the title).")
@click.option("--topic", default=None)
@action
def reuse_create(ws, args, personal, title, url, datasets, type_, description, topic, commit) -> edit.Result:
    """Reference the reuse SLUG under ORG (editors and admins) or, with --personal, under your name."""
    owner, slug = _owner_and_slug(args, personal)
    return edit.reuse_create(
        ws, owner, slug, title, url, list(datasets), type_, description, topic, personal=personal, commit=commit
    )


# ----------------------------------------------------------------------------------------------- discussion


@main.group()
def discussion() -> None:
    """Discussions: open one about a dataset or a reuse, reply, close."""


@discussion.command("open")
@click.argument("subject")
@click.option("--title", required=True)
@click.option("--message", required=True, help="Markdown.")
@action
def discussion_open(ws, subject: str, title: str, message: str, commit: bool) -> edit.Result:
    """Open a discussion about SUBJECT (a dataset or reuse slug)."""
    return edit.discussion_open(ws, subject, title, message, commit=commit)


@discussion.command("reply")
@click.argument("discussion_id", metavar="ID")
@click.option("--message", required=True, help="Markdown.")
@action
def discussion_reply(ws, discussion_id: str, message: str, commit: bool) -> edit.Result:
    """Add a message to the discussion ID."""
    return edit.discussion_reply(ws, discussion_id, message, commit=commit)


@discussion.command("close")
@click.argument("discussion_id", metavar="ID")
@click.option("--message", default="", help="A last message (optional).")
@action
def discussion_close(ws, discussion_id: str, message: str, commit: bool) -> edit.Result:
    """Close the discussion ID (the owner's editors and admins, or its author)."""
    return edit.discussion_close(ws, discussion_id, message, commit=commit)


# --------------------------------------------------------------------------------------------------- whoami


@main.command("whoami")
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="A folder inside the content repository.",
)
def whoami(repo: Path) -> None:
    """Who you are here (git email -> user), your organizations and roles, and what waits for you."""
    try:
        found = edit.whoami(edit.Workspace.open(repo))
    except PortalError as exc:
        _refuse(exc)
    if found.username is None:
        click.echo(f"<{found.email}> is not registered: portal user register USERNAME --name 'Your Name'")
        return
    standing = " (maintainer)" if found.maintainer else " (bot)" if found.bot else ""
    click.echo(f"{found.username}{standing}: {found.name} <{found.email}>")
    if found.roles:
        click.echo("organizations:")
        for org_slug, role in found.roles.items():
            click.echo(f"  {org_slug}: {role}")
    else:
        click.echo("organizations: none (portal request create ORG, or portal org create SLUG)")
    for org_slug, status in found.my_requests:
        click.echo(f"your request to join {org_slug}: {status}")
    if found.requests_to_handle:
        click.echo("requests waiting for you:")
        for org_slug, username in found.requests_to_handle:
            click.echo(f"  {org_slug}: {username} (portal request accept|refuse {org_slug} {username})")
    if found.discussions_to_answer:
        click.echo("discussions awaiting an answer:")
        for discussion_id, owner, title in found.discussions_to_answer:
            click.echo(f"  {discussion_id} ({owner}): {title} (portal discussion reply {discussion_id})")
    if not (found.requests_to_handle or found.discussions_to_answer):
        click.echo("nothing waits for you")
