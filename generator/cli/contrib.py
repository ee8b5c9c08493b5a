"""Contributor commands: ``portal init``, ``user``, ``org``, ``member``, ``request``, ``dataset``, ``resource``,
``reuse``, ``discussion``, ``harvester`` and ``whoami`` (see docs/contributing.md).

Each command acts as the author git would write on the commit it makes (``git var GIT_AUTHOR_IDENT``) in the
content repository holding ``--content`` (default: the current folder), calls one function of
:mod:`generator.edit`, and prints what changed or what it read. Exit 0 done, 1 refused (a role rule, a
precondition, or the content would become invalid), 2 usage (bad argument, not in a repository...).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import edit
from ..errors import ContentError, PortalError
from ..schemas import subschema
from .common import REPO_OPTION, fail, main, usable_path

ROLE = click.Choice(["editor", "admin"])


def _enum(kind: str, *path: str | int) -> list[str]:
    """The values a schema allows at ``path``: help texts and choices read them from the one source."""
    found = subschema(kind, path)
    return list(found[0].get("enum", [])) if found else []


LICENSES = _enum("dataset", "license")
FREQUENCIES = _enum("dataset", "frequency")
RESOURCE_TYPES = _enum("dataset", "resources", 0, "type")
ACCESS_TYPES = _enum("dataservice", "access_type")
DESCRIPTION_FORMATS = _enum("dataservice", "endpoint_description", "format")
REUSE_TYPES = _enum("reuse", "type")
TOPICS = _enum("reuse", "topic")
BACKENDS = _enum("harvester", "backend")
HARVEST_FREQUENCIES = _enum("harvester", "frequency")
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output."
)
EDITOR = click.option(
    "-e", "--editor", "use_editor", is_flag=True, help="Write the Markdown text in your editor (git's: core.editor)."
)


def _choice(values: list[str], what: str) -> dict[str, Any]:
    """A Choice option whose help lists every value (they are also shown by click on a wrong one)."""
    return {"type": click.Choice(values), "help": f"{what}: {', '.join(values)}."}


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
    """A contributor command: ``--content`` and ``--commit`` options, the workspace, errors and the report."""

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


def reader(func: Callable[..., Any]) -> Callable[..., None]:
    """A command that reads: ``--content`` and ``--format``; the function returns items, or one item."""

    @REPO_OPTION
    @FORMAT
    @functools.wraps(func)
    def command(repo: Path, fmt: str, **kwargs: Any) -> None:
        try:
            found = func(edit.Workspace.open(repo, identity=False), **kwargs)
        except PortalError as exc:
            _refuse(exc)
        _print(found, fmt)

    return command


def _print(found: Any, fmt: str) -> None:
    if fmt == "json":
        data = [_jsonable(x) for x in found] if isinstance(found, list) else _jsonable(found)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    elif isinstance(found, edit.Item):
        click.echo(f"# content/{found.path}")
        click.echo(found.text, nl=not found.text.endswith("\n"))
    elif isinstance(found, dict):
        for key, value in found.items():
            nested = isinstance(value, (dict, list))
            click.echo(f"{key}: {json.dumps(value, ensure_ascii=False, default=str) if nested else value}")
    elif not found:
        click.echo("none")
    else:
        for entry in found:
            click.echo(_line(entry))


def _jsonable(value: Any) -> Any:
    return value.as_dict() if isinstance(value, edit.Item) else value


def _line(entry: Any) -> str:
    if isinstance(entry, edit.Item):
        owner = f"  ({entry.owner})" if entry.owner else ""
        return f"{entry.name}{owner}  {entry.title}"
    return "  ".join(str(v) for v in entry.values())


def _markdown(ws: edit.Workspace, use_editor: bool, current: Any, given: str | None) -> str | None:
    """The Markdown text to write: ``given``, or with --editor what the person writes in git's editor (starting
    from ``current``); an empty text aborts, as git commit does."""
    if not use_editor:
        return given
    text = click.edit(str(given or current or ""), editor=edit.git_editor(ws.root), extension=".md")
    if text is None or not text.strip():
        raise edit.EditError("aborted: the text is empty (nothing was changed)")
    return text.strip() + "\n" if "\n" in text.strip() else text.strip()


def _show_and_list(
    group: click.Group,
    kind: str,
    name: str,
    owner: str | None,
    examples: tuple[str, str],
    commands: tuple[str, ...] = ("show", "list"),
) -> None:
    """The ``show NAME`` and ``list [OWNER]`` commands of a kind of content (``name``, ``owner``: metavars)."""
    what = "organization" if kind == "organization" else kind
    show_help = (
        f"Show the {what} {name}: its file as written (--format json: its data).\n\n\b\nExample:\n  {examples[0]}"
    )

    @click.command("show", help=show_help)
    @click.argument("item_name", metavar=name)
    @reader
    def show(ws: edit.Workspace, item_name: str) -> edit.Item:
        return edit.show(ws, kind, item_name)

    if owner is None:
        list_help = f"List the {what}s.\n\n\b\nExample:\n  {examples[1]}"
    else:
        list_help = f"List the {what}s (of one {owner}).\n\n\b\nExample:\n  {examples[1]}"

    @click.command("list", help=list_help)
    @click.argument("owner_name", required=False, metavar=f"[{owner}]" if owner else "")
    @reader
    def listing(ws: edit.Workspace, owner_name: str | None) -> list[edit.Item]:
        return edit.items(ws, kind, owner_name)

    for command in (show, listing):
        if command.name in commands:
            group.add_command(command)


# ----------------------------------------------------------------------------------------------------- init


@main.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), callback=usable_path)
@click.option("--title", help="The portal's title.")
@click.option("--base-url", help="Where the site is published, e.g. https://data.example.org/.")
@click.option("--language", "languages", multiple=True, type=click.Choice(["fr", "en"]), help="fr or en; repeatable.")
@click.option("--maintainer", help="The first maintainer's username (default: from your git email).")
@click.option("--name", help="The first maintainer's full name (default: your git user.name).")
@click.option("--email", help="The first maintainer's email (default: your git email).")
@click.option(
    "--bot", default=edit.BOT_USERNAME, show_default=True, help="The username the scheduled workflows commit as."
)
@click.option("--bot-email", default=edit.BOT_EMAIL, show_default=True, help="The bot's commit email.")
@click.option("--commit", is_flag=True, help="Make the first commit.")
def init(folder: Path, title, base_url, languages, maintainer, name, email, bot, bot_email, commit: bool) -> None:
    """Create a content repository in FOLDER: site.yaml, CI workflows, pre-commit, a contributor README, the
    first maintainer (you, by default) and the bot user, each with a user file.

    \b
    Example:
      portal init mon-portail --title "Mon portail" --language fr --commit
    """
    try:
        if maintainer is None and sys.stdin.isatty():
            suggested = edit.first_maintainer(folder if folder.is_dir() else Path("."), None, name, email)
            maintainer = click.prompt("First maintainer's username", default=suggested[0])
        result = edit.init(
            folder, title, base_url, list(languages) or None, maintainer, name, commit, email, bot, bot_email
        )
    except PortalError as exc:
        _refuse(exc)
    _report(result)


# ----------------------------------------------------------------------------------------------------- user


@main.group()
def user() -> None:
    """Users: register yourself, show, list, edit or delete your user."""


@user.command("register")
@click.argument("username")
@click.option("--name", required=True, help="Your full name.")
@click.option("--about", default="", help="A few words about you (Markdown).")
@action
def user_register(ws: edit.Workspace, username: str, name: str, about: str, commit: bool) -> edit.Result:
    """Register USERNAME with your git email (the only command open to an unknown email).

    \b
    Example:
      portal user register lucas --name "Lucas Bernard" --commit
    """
    return edit.register(ws, username, name, about, commit=commit)


@user.command("show")
@click.argument("username", required=False, metavar="[USER]")
@reader
def user_show(ws: edit.Workspace, username: str | None) -> edit.Item:
    """Show USER's file (default: yours).

    \b
    Example:
      portal user show lucas --format json
    """
    return edit.show(ws, "user", username or ws.me)


_show_and_list(user, "user", "USER", None, ("", "portal user list"), ("list",))


@user.command("edit")
@click.option("--name", default=None, help="Your full name.")
@click.option("--about", default=None, help="A few words about you (Markdown).")
@EDITOR
@click.option("--add-email", "add_emails", multiple=True, help="Another email git may know you by (repeatable).")
@click.option("--remove-email", "remove_emails", multiple=True, help="An email to remove (repeatable).")
@action
def user_edit(ws, name, about, use_editor, add_emails, remove_emails, commit) -> edit.Result:
    """Edit your user file (only yours: rule user-edit).

    \b
    Example:
      portal user edit --about "Transport data at Ville d'Exemple" --add-email lucas@ville.example.org
    """
    about = _markdown(ws, use_editor, ws.data(f"users/{ws.me}.yaml").get("about"), about)
    return edit.user_edit(ws, {"name": name, "about": about}, add_emails, remove_emails, commit=commit)


@user.command("delete")
@action
def user_delete(ws, commit) -> edit.Result:
    """Delete your user file and your personal content (refused while you are a member or author somewhere).

    \b
    Example:
      portal member leave ville-exemple && portal user delete --commit
    """
    return edit.delete_item(ws, "user", ws.me, commit=commit)


# ------------------------------------------------------------------------------------------------------ org


@main.group()
def org() -> None:
    """Organizations: create (you become its admin), show, list, edit, delete."""


@org.command("create")
@click.argument("slug")
@click.option("--name", default=None, help="The organization's name (required).")
@click.option("--description", default="", help="What it does (Markdown; default: the name).")
@click.option("--acronym", default="", help="A short name.")
@click.option("--url", default="", help="Its website.")
@action
def org_create(ws, slug: str, name: str, description: str, acronym: str, url: str, commit: bool) -> edit.Result:
    """Create the organization SLUG, with you as its admin.

    \b
    Example:
      portal org create ville-de-test --name "Ville de Test" --commit
    """
    return edit.org_create(ws, slug, name, description, acronym, url, commit=commit)


_show_and_list(org, "organization", "ORG", None, ("portal org show ville-exemple", "portal org list --format json"))


@org.command("edit")
@click.argument("org_slug", metavar="ORG")
@click.option("--name", default=None, help="The organization's name.")
@click.option("--description", default=None, help="What it does (Markdown).")
@EDITOR
@click.option("--acronym", default=None, help="A short name.")
@click.option("--url", default=None, help="Its website.")
@action
def org_edit(ws, org_slug, name, description, use_editor, acronym, url, commit) -> edit.Result:
    """Edit ORG's profile (admins only).

    \b
    Example:
      portal org edit ville-exemple --url https://www.ville-exemple.fr/
    """
    current = ws.data(edit.locate(ws, "organization", org_slug)).get("description")
    description = _markdown(ws, use_editor, current, description)
    fields = {"name": name, "description": description, "acronym": acronym, "url": url}
    return edit.edit_item(ws, "organization", org_slug, fields, commit=commit)


@org.command("delete")
@click.argument("org_slug", metavar="ORG")
@action
def org_delete(ws, org_slug: str, commit: bool) -> edit.Result:
    """Delete ORG and everything under its folder (admins only).

    \b
    Example:
      portal org delete ville-de-test --commit
    """
    return edit.org_delete(ws, org_slug, commit=commit)


# --------------------------------------------------------------------------------------------------- member


@main.group()
def member() -> None:
    """Members of an organization: list, add, remove, change a role, leave."""


@member.command("list")
@click.argument("org_slug", metavar="ORG")
@reader
def member_list(ws, org_slug: str) -> list[dict]:
    """List ORG's members and their roles.

    \b
    Example:
      portal member list ville-exemple
    """
    return edit.member_list(ws, org_slug)


@member.command("add")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--role", type=ROLE, default="editor", show_default=True, help="editor or admin.")
@action
def member_add(ws, org_slug: str, username: str, role: str, commit: bool) -> edit.Result:
    """Add USER to ORG (admins only).

    \b
    Example:
      portal member add ville-exemple lucas --role editor --commit
    """
    return edit.member_add(ws, org_slug, username, role, commit=commit)


@member.command("remove")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@action
def member_remove(ws, org_slug: str, username: str, commit: bool) -> edit.Result:
    """Remove USER from ORG (admins only; yourself: see leave).

    \b
    Example:
      portal member remove ville-exemple lucas --commit
    """
    return edit.member_remove(ws, org_slug, username, commit=commit)


@member.command("set-role")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.argument("role", type=ROLE)
@action
def member_set_role(ws, org_slug: str, username: str, role: str, commit: bool) -> edit.Result:
    """Make USER admin or editor of ORG (admins only).

    \b
    Example:
      portal member set-role ville-exemple lucas admin --commit
    """
    return edit.member_set_role(ws, org_slug, username, role, commit=commit)


@member.command("leave")
@click.argument("org_slug", metavar="ORG")
@action
def member_leave(ws, org_slug: str, commit: bool) -> edit.Result:
    """Leave ORG (an organization keeps at least one admin).

    \b
    Example:
      portal member leave ville-exemple --commit
    """
    return edit.member_leave(ws, org_slug, commit=commit)


# -------------------------------------------------------------------------------------------------- request


@main.group()
def request() -> None:
    """Membership requests: ask to join, list, show, accept, refuse, reopen, withdraw."""


@request.command("create")
@click.argument("org_slug", metavar="ORG")
@click.option("--comment", required=True, help="Why you want to join (Markdown).")
@click.option("--role", type=ROLE, default=None, help="The role you ask for: editor (default) or admin.")
@action
def request_create(ws, org_slug: str, comment: str, role: str | None, commit: bool) -> edit.Result:
    """Ask to join ORG (again: changes the comment of your pending request).

    \b
    Example:
      portal request create ville-exemple --comment "Je publie les données de transport." --commit
    """
    return edit.request_create(ws, org_slug, comment, role, commit=commit)


@request.command("list")
@click.argument("org_slug", required=False, metavar="[ORG]")
@click.option("--status", type=click.Choice(["pending", "accepted", "refused"]), default=None, help="Only these.")
@reader
def request_list(ws, org_slug: str | None, status: str | None) -> list[edit.Item]:
    """List the membership requests (of ORG).

    \b
    Example:
      portal request list ville-exemple --status pending
    """
    found = edit.items(ws, "request", org_slug)
    return [item for item in found if status is None or item.data.get("status") == status]


@request.command("show")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@reader
def request_show(ws, org_slug: str, username: str) -> edit.Item:
    """Show USER's request to join ORG.

    \b
    Example:
      portal request show ville-exemple lucas
    """
    return edit.show(ws, "request", f"{org_slug}/{username}")


@request.command("accept")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--role", type=ROLE, default=None, help="editor or admin (default: the role asked for, else editor).")
@action
def request_accept(ws, org_slug: str, username: str, role: str | None, commit: bool) -> edit.Result:
    """Accept USER's request: USER joins ORG in the same change (admins only).

    \b
    Example:
      portal request accept ville-exemple lucas --commit
    """
    return edit.request_accept(ws, org_slug, username, role, commit=commit)


@request.command("refuse")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@click.option("--comment", required=True, help="Why (the person reads it).")
@action
def request_refuse(ws, org_slug: str, username: str, comment: str, commit: bool) -> edit.Result:
    """Refuse USER's request to join ORG (admins only).

    \b
    Example:
      portal request refuse ville-exemple lucas --comment "Réservé aux agents." --commit
    """
    return edit.request_refuse(ws, org_slug, username, comment, commit=commit)


@request.command("reopen")
@click.argument("org_slug", metavar="ORG")
@click.argument("username", metavar="USER")
@action
def request_reopen(ws, org_slug: str, username: str, commit: bool) -> edit.Result:
    """Put USER's refused request to join ORG back to pending (admins only), so USER may ask again.

    \b
    Example:
      portal request reopen ville-exemple lucas --commit
    """
    return edit.request_reopen(ws, org_slug, username, commit=commit)


@request.command("withdraw")
@click.argument("org_slug", metavar="ORG")
@action
def request_withdraw(ws, org_slug: str, commit: bool) -> edit.Result:
    """Withdraw your pending request to join ORG.

    \b
    Example:
      portal request withdraw ville-exemple --commit
    """
    return edit.request_withdraw(ws, org_slug, commit=commit)


# ----------------------------------------------------------------------------------- dataset, resource, reuse


def _owner_and_slug(args: tuple[str, ...], personal: bool) -> tuple[str | None, str]:
    if personal and len(args) == 1:
        return None, args[0]
    if not personal and len(args) == 2:
        return args[0], args[1]
    raise click.UsageError("give ORG SLUG, or --personal SLUG")


def _move_target(to: str | None, personal: bool) -> str | None:
    if personal == (to is not None):
        raise click.UsageError("give either --to ORG or --personal")
    return to


@main.group()
def dataset() -> None:
    """Datasets: publish, show, list, edit, move, delete."""


@dataset.command("create")
@click.argument("args", nargs=-1, required=True, metavar="ORG SLUG | --personal SLUG")
@click.option("--personal", is_flag=True, help="Publish under your own name instead of an organization.")
@click.option("--title", required=True, help="The dataset's title.")
@click.option("--description", default="", help="Markdown (default: the title).")
@click.option("--license", "license_", default="notspecified", show_default=True, **_choice(LICENSES, "License"))
@click.option("--frequency", default=None, **_choice(FREQUENCIES, "Update frequency"))
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@action
def dataset_create(ws, args, personal, title, description, license_, frequency, tags, commit) -> edit.Result:
    """Publish the dataset SLUG under ORG (editors and admins) or, with --personal, under your name.

    \b
    Example:
      portal dataset create ville-exemple velos --title "Stations de vélos" --license etalab-2.0 --commit
    """
    owner, slug = _owner_and_slug(args, personal)
    return edit.dataset_create(
        ws, owner, slug, title, description, license_, frequency, tags, personal=personal, commit=commit
    )


_show_and_list(
    dataset,
    "dataset",
    "SLUG",
    "ORG|USER",
    ("portal dataset show velos --format json", "portal dataset list ville-exemple"),
)


@dataset.command("edit")
@click.argument("slug")
@click.option("--title", default=None, help="The new title.")
@click.option("--description", default=None, help="The new description (Markdown).")
@EDITOR
@click.option("--license", "license_", default=None, **_choice(LICENSES, "License"))
@click.option("--frequency", default=None, **_choice(FREQUENCIES, "Update frequency"))
@click.option("--tag", "tags", multiple=True, help="The new tags (repeatable: replaces the list).")
@action
def dataset_edit(ws, slug, title, description, use_editor, license_, frequency, tags, commit) -> edit.Result:
    """Edit the dataset SLUG (its organization's editors and admins, or you for a personal one).

    \b
    Example:
      portal dataset edit velos --frequency monthly --tag mobilite --tag velo --commit
    """
    current = ws.data(edit.locate(ws, "dataset", slug)).get("description")
    description = _markdown(ws, use_editor, current, description)
    fields = {"title": title, "description": description, "license": license_, "frequency": frequency}
    fields["tags"] = list(tags) or None
    return edit.edit_item(ws, "dataset", slug, fields, commit=commit)


@dataset.command("move")
@click.argument("slug")
@click.option("--to", "to", default=None, metavar="ORG", help="The organization it moves to.")
@click.option("--personal", is_flag=True, help="Move it to your own name.")
@action
def dataset_move(ws, slug: str, to: str | None, personal: bool, commit: bool) -> edit.Result:
    """Move the dataset SLUG, with its discussions, to another organization or your personal space (you need
    the right to publish in both places).

    \b
    Example:
      portal dataset move velos --to metropole-exemple --commit
    """
    return edit.move_item(ws, "dataset", slug, _move_target(to, personal), personal, commit=commit)


@dataset.command("delete")
@click.argument("slug")
@action
def dataset_delete(ws, slug: str, commit: bool) -> edit.Result:
    """Delete the dataset SLUG and its discussions (refused while a reuse refers to it).

    \b
    Example:
      portal dataset delete velos --commit
    """
    return edit.delete_item(ws, "dataset", slug, commit=commit)


@main.group()
def resource() -> None:
    """Resources of a dataset: add a file or a link, list, show, edit, remove."""


@resource.command("add")
@click.argument("dataset_slug", metavar="DATASET")
@click.argument("source", metavar="FILE|URL")
@click.option("--url", default=None, help="With a FILE: the URL where it is published (required).")
@click.option("--title", default=None, help="Default: the file name.")
@click.option("--type", "type_", default="main", show_default=True, **_choice(RESOURCE_TYPES, "Type"))
@click.option("--format", "format_", default=None, help="Default: from the file name (csv, json...).")
@click.option("--description", default="", help="Markdown.")
@action
def resource_add(ws, dataset_slug, source, url, title, type_, format_, description, commit) -> edit.Result:
    """Add a resource to DATASET: a local FILE (size, sha256, mime and format read from it) or a URL.

    \b
    Example:
      portal resource add velos stations.csv --url https://files.example.org/velos/stations.csv --commit
    """
    return edit.resource_add(ws, dataset_slug, source, title, url, type_, format_, description, commit=commit)


@resource.command("list")
@click.argument("dataset_slug", metavar="DATASET")
@reader
def resource_list(ws, dataset_slug: str) -> list[dict]:
    """List DATASET's resources: id, format, title, URL.

    \b
    Example:
      portal resource list velos
    """
    keys = ("id", "format", "title", "url")
    return [{k: r.get(k) for k in keys} for r in edit.resources(ws, dataset_slug)]


@resource.command("show")
@click.argument("dataset_slug", metavar="DATASET")
@click.argument("resource_id", metavar="ID")
@reader
def resource_show(ws, dataset_slug: str, resource_id: str) -> dict:
    """Show one resource of DATASET (ID: its id, or the start of it).

    \b
    Example:
      portal resource show velos 3f2a --format json
    """
    return edit.resource(ws, dataset_slug, resource_id)


@resource.command("edit")
@click.argument("dataset_slug", metavar="DATASET")
@click.argument("resource_id", metavar="ID")
@click.option("--title", default=None, help="The new title.")
@click.option("--url", default=None, help="The new URL.")
@click.option("--type", "type_", default=None, **_choice(RESOURCE_TYPES, "Type"))
@click.option("--format", "format_", default=None, help="The format (csv, json...).")
@click.option("--description", default=None, help="Markdown.")
@EDITOR
@action
def resource_edit(ws, dataset_slug, resource_id, title, url, type_, format_, description, use_editor, commit):
    """Edit one resource of DATASET (ID: its id, or the start of it).

    \b
    Example:
      portal resource edit velos 3f2a --title "Stations (2024)" --commit
    """
    description = _markdown(
        ws, use_editor, edit.resource(ws, dataset_slug, resource_id).get("description"), description
    )
    fields = {"title": title, "url": url, "type": type_, "format": format_, "description": description}
    return edit.resource_edit(ws, dataset_slug, resource_id, fields, commit=commit)


@resource.command("remove")
@click.argument("dataset_slug", metavar="DATASET")
@click.argument("resource_id", metavar="ID")
@action
def resource_remove(ws, dataset_slug: str, resource_id: str, commit: bool) -> edit.Result:
    """Remove one resource from DATASET (ID: its id, or the start of it).

    \b
    Example:
      portal resource remove velos 3f2a --commit
    """
    return edit.resource_remove(ws, dataset_slug, resource_id, commit=commit)


@main.group()
def dataservice() -> None:
    """APIs (data services: an API serving datasets, with its base URL and technical description): create,
    show, list, edit, delete."""


@dataservice.command("create")
@click.argument("args", nargs=-1, required=True, metavar="ORG SLUG | --personal SLUG")
@click.option("--personal", is_flag=True, help="Publish it under your own name.")
@click.option("--title", required=True, help="Its title.")
@click.option("--base-url", "base_url", required=True, help="The root URL of the API, where its calls start.")
@click.option("--access", "access_type", default="open", show_default=True, **_choice(ACCESS_TYPES, "Access"))
@click.option("--request-url", default=None, help="Where to ask for access (open_with_account, restricted).")
@click.option("--description-url", default=None, help="Its OpenAPI document, WMS GetCapabilities... URL.")
@click.option("--description-format", default=None, **_choice(DESCRIPTION_FORMATS, "Format of --description-url"))
@click.option("--dataset", "datasets", multiple=True, help="A dataset it serves (repeatable).")
@click.option("--license", default=None, **_choice(LICENSES, "License"))
@click.option("--description", default="", help="Markdown (default: the title).")
@action
def dataservice_create(
    ws,
    args,
    personal,
    title,
    base_url,
    access_type,
    request_url,
    description_url,
    description_format,
    datasets,
    license,
    description,
    commit,
) -> edit.Result:
    """Publish the API SLUG under ORG (editors and admins) or, with --personal, under your name.

    \b
    Example:
      portal dataservice create ville-exemple api-velos --title "API vélos" --base-url https://api.example.org/
    """
    owner, slug = _owner_and_slug(args, personal)
    if (description_url is None) != (description_format is None):
        raise click.UsageError("give --description-url and --description-format together")
    described = (description_url, description_format) if description_url else None
    return edit.dataservice_create(
        ws,
        owner,
        slug,
        title,
        base_url,
        access_type,
        description,
        list(datasets),
        described,
        request_url,
        license,
        personal=personal,
        commit=commit,
    )


_show_and_list(
    dataservice,
    "dataservice",
    "SLUG",
    "ORG|USER",
    ("portal dataservice show api-velos", "portal dataservice list --format json"),
)


@dataservice.command("edit")
@click.argument("slug")
@click.option("--title", default=None, help="The new title.")
@click.option("--description", default=None, help="Markdown.")
@EDITOR
@click.option("--base-url", "base_url", default=None, help="The root URL of the API.")
@click.option("--access", "access_type", default=None, **_choice(ACCESS_TYPES, "Access"))
@click.option("--request-url", default=None, help="Where to ask for access.")
@click.option("--license", default=None, **_choice(LICENSES, "License"))
@click.option("--dataset", "datasets", multiple=True, help="The datasets it serves (repeatable: replaces the list).")
@action
def dataservice_edit(
    ws, slug, title, description, use_editor, base_url, access_type, request_url, license, datasets, commit
) -> edit.Result:
    """Edit the API SLUG (the comments and layout of its file stay as written).

    \b
    Example:
      portal dataservice edit api-velos --access restricted --request-url https://example.org/acces --commit
    """
    current = ws.data(edit.locate(ws, "dataservice", slug)).get("description")
    fields = {"title": title, "description": _markdown(ws, use_editor, current, description)}
    fields |= {"base_api_url": base_url, "access_type": access_type, "authorization_request_url": request_url}
    fields |= {"license": license, "datasets": list(datasets) or None}
    return edit.edit_item(ws, "dataservice", slug, fields, commit=commit)


@dataservice.command("delete")
@click.argument("slug")
@action
def dataservice_delete(ws, slug: str, commit: bool) -> edit.Result:
    """Delete the API SLUG.

    \b
    Example:
      portal dataservice delete api-velos --commit
    """
    return edit.delete_item(ws, "dataservice", slug, commit=commit)


@main.group()
def reuse() -> None:
    """Reuses (an application, a visualization, an article... built on datasets): create, show, list, edit,
    move, delete."""


@reuse.command("create")
@click.argument("args", nargs=-1, required=True, metavar="ORG SLUG | --personal SLUG")
@click.option("--personal", is_flag=True, help="Reference it under your own name.")
@click.option("--title", required=True, help="Its title.")
@click.option("--url", required=True, help="Where the reuse is.")
@click.option("--dataset", "datasets", multiple=True, required=True, help="A dataset it uses (repeatable).")
@click.option("--type", "type_", default="application", show_default=True, **_choice(REUSE_TYPES, "Type"))
@click.option("--description", default="", help="Markdown (default: the title).")
@click.option("--topic", default=None, **_choice(TOPICS, "Topic"))
@action
def reuse_create(ws, args, personal, title, url, datasets, type_, description, topic, commit) -> edit.Result:
    """Reference the reuse SLUG under ORG (editors and admins) or, with --personal, under your name.

    \b
    Example:
      portal reuse create --personal carte-velos --title "Carte" --url https://carte.example.org/ --dataset velos
    """
    owner, slug = _owner_and_slug(args, personal)
    return edit.reuse_create(
        ws, owner, slug, title, url, list(datasets), type_, description, topic, personal=personal, commit=commit
    )


_show_and_list(reuse, "reuse", "SLUG", "ORG|USER", ("portal reuse show carte-velos", "portal reuse list --format json"))


@reuse.command("edit")
@click.argument("slug")
@click.option("--title", default=None, help="The new title.")
@click.option("--description", default=None, help="Markdown.")
@EDITOR
@click.option("--url", default=None, help="Where the reuse is.")
@click.option("--type", "type_", default=None, **_choice(REUSE_TYPES, "Type"))
@click.option("--topic", default=None, **_choice(TOPICS, "Topic"))
@click.option("--dataset", "datasets", multiple=True, help="The datasets it uses (repeatable: replaces the list).")
@action
def reuse_edit(ws, slug, title, description, use_editor, url, type_, topic, datasets, commit) -> edit.Result:
    """Edit the reuse SLUG.

    \b
    Example:
      portal reuse edit carte-velos --url https://carte.example.org/v2/ --commit
    """
    description = _markdown(ws, use_editor, ws.data(edit.locate(ws, "reuse", slug)).get("description"), description)
    fields = {"title": title, "description": description, "url": url, "type": type_, "topic": topic}
    fields["datasets"] = list(datasets) or None
    return edit.edit_item(ws, "reuse", slug, fields, commit=commit)


@reuse.command("move")
@click.argument("slug")
@click.option("--to", "to", default=None, metavar="ORG", help="The organization it moves to.")
@click.option("--personal", is_flag=True, help="Move it to your own name.")
@action
def reuse_move(ws, slug: str, to: str | None, personal: bool, commit: bool) -> edit.Result:
    """Move the reuse SLUG, with its discussions, to an organization or your personal space.

    \b
    Example:
      portal reuse move carte-velos --to ville-exemple --commit
    """
    return edit.move_item(ws, "reuse", slug, _move_target(to, personal), personal, commit=commit)


@reuse.command("delete")
@click.argument("slug")
@action
def reuse_delete(ws, slug: str, commit: bool) -> edit.Result:
    """Delete the reuse SLUG and its discussions.

    \b
    Example:
      portal reuse delete carte-velos --commit
    """
    return edit.delete_item(ws, "reuse", slug, commit=commit)


# ----------------------------------------------------------------------------------------------- discussion


@main.group()
def discussion() -> None:
    """Discussions: open one about a dataset or a reuse, reply, close, reopen, list, show."""


@discussion.command("open")
@click.argument("subject")
@click.option("--title", required=True, help="What it is about.")
@click.option("--message", default=None, help="Markdown (without it, your editor opens, as git commit does).")
@action
def discussion_open(ws, subject: str, title: str, message: str | None, commit: bool) -> edit.Result:
    """Open a discussion about SUBJECT (a dataset or reuse slug).

    \b
    Example:
      portal discussion open velos --title "Horaires faux" --message "La station 12 ferme à 20 h."
    """
    message = _markdown(ws, message is None, "", message)
    return edit.discussion_open(ws, subject, title, message, commit=commit)


@discussion.command("reply")
@click.argument("discussion_id", metavar="ID")
@click.option("--message", default=None, help="Markdown (without it, your editor opens, as git commit does).")
@action
def discussion_reply(ws, discussion_id: str, message: str | None, commit: bool) -> edit.Result:
    """Add a message to the discussion ID.

    \b
    Example:
      portal discussion reply horaires-faux-20240601 --message "Corrigé, merci." --commit
    """
    message = _markdown(ws, message is None, "", message)
    return edit.discussion_reply(ws, discussion_id, message, commit=commit)


@discussion.command("close")
@click.argument("discussion_id", metavar="ID")
@click.option("--message", default="", help="A last message (optional, Markdown).")
@action
def discussion_close(ws, discussion_id: str, message: str, commit: bool) -> edit.Result:
    """Close the discussion ID (the owner's editors and admins, or its author).

    \b
    Example:
      portal discussion close horaires-faux-20240601 --message "Corrigé." --commit
    """
    return edit.discussion_close(ws, discussion_id, message, commit=commit)


@discussion.command("reopen")
@click.argument("discussion_id", metavar="ID")
@action
def discussion_reopen(ws, discussion_id: str, commit: bool) -> edit.Result:
    """Reopen the closed discussion ID (the owner's editors and admins, or its author).

    \b
    Example:
      portal discussion reopen horaires-faux-20240601 --commit
    """
    return edit.discussion_reopen(ws, discussion_id, commit=commit)


_show_and_list(discussion, "discussion", "ID", None, ("portal discussion show horaires-faux-20240601", ""), ("show",))


@discussion.command("list")
@click.argument("owner", required=False, metavar="[ORG|USER]")
@click.option("--open", "only_open", is_flag=True, help="Only the open ones.")
@reader
def discussion_list(ws, owner: str | None, only_open: bool) -> list[edit.Item]:
    """List the discussions (of one organization or user).

    \b
    Example:
      portal discussion list ville-exemple --open
    """
    found = edit.items(ws, "discussion", owner)
    return [item for item in found if not only_open or item.data.get("closed") is None]


# ------------------------------------------------------------------------------------------------ harvester


@main.group()
def harvester() -> None:
    """Harvesters of an organization (admins): create, show, list, edit, delete. portal harvest runs them."""


@harvester.command("create")
@click.argument("name", metavar="ORG/NAME")
@click.option("--backend", required=True, **_choice(BACKENDS, "Kind of remote catalogue"))
@click.option("--url", required=True, help="The catalogue's URL (DCAT document, CKAN site root, data.json).")
@click.option("--title", default="", help="What is harvested (default: NAME).")
@click.option("--frequency", default="weekly", show_default=True, **_choice(HARVEST_FREQUENCIES, "How often"))
@click.option("--inactive", is_flag=True, help="Configure it without scheduling it.")
@action
def harvester_create(ws, name: str, backend, url, title, frequency, inactive: bool, commit: bool) -> edit.Result:
    """Configure the harvester NAME of ORG (admins only).

    \b
    Example:
      portal harvester create ville-exemple/geo --backend dcat --url https://geo.example.org/dcat.ttl --commit
    """
    org_slug, _, slug = name.partition("/")
    return edit.harvester_create(ws, org_slug, slug, backend, url, title, frequency, not inactive, commit=commit)


_show_and_list(
    harvester, "harvester", "ORG/NAME", "ORG", ("portal harvester show ville-exemple/geo", "portal harvester list")
)


@harvester.command("edit")
@click.argument("name", metavar="ORG/NAME")
@click.option("--title", default=None, help="What is harvested.")
@click.option("--url", default=None, help="The catalogue's URL.")
@click.option("--backend", default=None, **_choice(BACKENDS, "Kind of remote catalogue"))
@click.option("--frequency", default=None, **_choice(HARVEST_FREQUENCIES, "How often"))
@click.option("--active/--inactive", default=None, help="Scheduled or not.")
@action
def harvester_edit(ws, name: str, title, url, backend, frequency, active, commit: bool) -> edit.Result:
    """Edit the harvester ORG/NAME (admins only).

    \b
    Example:
      portal harvester edit ville-exemple/geo --frequency daily --commit
    """
    fields = {"title": title, "url": url, "backend": backend, "frequency": frequency, "active": active}
    return edit.edit_item(ws, "harvester", name, fields, commit=commit)


@harvester.command("delete")
@click.argument("name", metavar="ORG/NAME")
@action
def harvester_delete(ws, name: str, commit: bool) -> edit.Result:
    """Delete the harvester ORG/NAME (admins only; its datasets stay).

    \b
    Example:
      portal harvester delete ville-exemple/geo --commit
    """
    return edit.delete_item(ws, "harvester", name, commit=commit)


# --------------------------------------------------------------------------------------------------- whoami


@main.command("whoami")
@REPO_OPTION
@FORMAT
def whoami(repo: Path, fmt: str) -> None:
    """Who you are here (git's author email -> user), your organizations and roles, your requests, and what
    waits for you. Exit 1 when your email is not registered.

    \b
    Example:
      portal whoami --format json
    """
    try:
        found = edit.whoami(edit.Workspace.open(repo))
    except PortalError as exc:
        _refuse(exc)
    if fmt == "json":
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(_whoami_lines(found)))
    sys.exit(0 if found.username is not None else 1)


def _whoami_lines(found: edit.Whoami) -> list[str]:
    if found.username is None:
        return [f"<{found.email}> is not registered: portal user register USERNAME --name 'Your Name'"]
    standing = " (maintainer)" if found.maintainer else " (bot)" if found.bot else ""
    lines = [f"{found.username}{standing}: {found.name} <{found.email}>"]
    if found.roles:
        lines.append("organizations:")
        lines += [f"  {org_slug}: {role}" for org_slug, role in found.roles.items()]
    else:
        lines.append("organizations: none (portal request create ORG --comment '...', or portal org create SLUG)")
    for mine in found.my_requests:
        lines.append(f"your request to join {mine.org}: {mine.status}")
        if mine.status == "refused":
            lines.append(f"  refused by {mine.handled_by} on {mine.handled}: {mine.refusal_comment}")
        if mine.next_step:
            lines.append(f"  {mine.next_step.replace('<you>', found.username)}")
    if found.requests_to_handle:
        lines.append("requests waiting for you:")
        for org_slug, username in found.requests_to_handle:
            lines.append(f"  {org_slug}: {username} (portal request accept|refuse {org_slug} {username})")
    if found.discussions_to_answer:
        lines.append("discussions awaiting an answer:")
        for discussion_id, owner, title in found.discussions_to_answer:
            lines.append(f"  {discussion_id} ({owner}): {title} (portal discussion reply {discussion_id})")
    if not (found.requests_to_handle or found.discussions_to_answer):
        lines.append("nothing waits for you")
    return lines
