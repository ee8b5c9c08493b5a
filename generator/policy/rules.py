"""The role rules: who may change what in a content repository.

Pure: the rule table is data (:data:`RULES`, one stable id per row, used in messages, docs and by the
contributor commands), and :func:`judge` decides one file change from

* the :class:`Actor` (who made the change, as known in the state *before* it: never from the change itself),
* :class:`Facts` about the state before the change (roles in organizations) and about the change set itself (is the
  whole organization deleted, what do its members become),
* the old and new :class:`Version` of the file.

Nothing here reads files or runs git: :mod:`generator.policy.check` feeds it from git objects, ``portal can``
from the working tree, the contributor commands from the change they are about to make.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..layout import SLUG_RE as SLUG
from ..layout import Location, classify, owned_path
from ..model import email_key

JsonPath = tuple  # tuple[str | int, ...]


@dataclass(frozen=True)
class Rule:
    """One row of the role table: what change it covers, who may make it, and what to do when refused."""

    id: str
    change: str
    allowed: str
    hint: str


RULES: tuple[Rule, ...] = (
    Rule(
        "user-create",
        "create a user file",
        "the person whose email it lists (self-registration)",
        "commit with an author email listed in the new file (git -c user.email=...)",
    ),
    Rule(
        "user-edit",
        "edit or delete a user file, or anything under users/<u>/",
        "that user",
        "only the user may change their own file and personal content: ask them to make the change",
    ),
    Rule(
        "org-create",
        "create an organization",
        "any registered user, who must be among its admins in that commit",
        "register first (content/users/<you>.yaml), and list yourself as an admin of the new organization",
    ),
    Rule(
        "org-profile",
        "edit an organization's profile (name, description, logo...)",
        "its admins",
        "ask an admin of the organization to make this change",
    ),
    Rule(
        "org-members",
        "add or remove a member, change a role",
        "its admins",
        "ask an admin of the organization; to join, open a membership request instead",
    ),
    Rule(
        "org-leave",
        "remove oneself from the members (leave)",
        "the member themself",
        "a member may only remove their own entry",
    ),
    Rule(
        "org-delete",
        "delete an organization (its folder)",
        "its admins",
        "ask an admin of the organization to delete it",
    ),
    Rule(
        "org-content",
        "create, edit or delete an organization's datasets, resources, APIs (data services), reuses",
        "its editors and admins",
        "ask an admin of the organization to make you an editor (open a membership request)",
    ),
    Rule(
        "discussion-post",
        "open a discussion, add a message",
        "any registered user, as themself (a new message's author is the commit's author)",
        "post under your own username, one commit per author",
    ),
    Rule(
        "discussion-history",
        "edit or remove existing messages, the subject or title of a discussion, or delete it",
        "nobody but maintainers: discussions are append-only",
        "leave existing messages as they are and add a new message instead",
    ),
    Rule(
        "discussion-follow",
        "move or delete a discussion together with its subject (a dataset or reuse moved or deleted in the same "
        "change, the discussion unchanged)",
        "those who may move or delete the subject: the owner's editors and admins, or the user",
        "move or delete the dataset or reuse in the same commit (portal dataset move|delete, portal reuse "
        "move|delete), leaving the discussion's text as it is",
    ),
    Rule(
        "discussion-close",
        "close or reopen a discussion",
        "the owner's editors and admins, or the discussion's author",
        "ask an editor of the owner or the author of the discussion; closed_by must be yourself",
    ),
    Rule(
        "request-create",
        "create (or edit) a membership request",
        "any registered user, for themself, when not already a member",
        "file the request as organizations/<org>/requests/<you>.yaml with user: <you> and status: pending",
    ),
    Rule(
        "request-withdraw",
        "withdraw (delete) a pending membership request",
        "its author",
        "only the person who asked may withdraw a pending request; admins accept or refuse it",
    ),
    Rule(
        "request-handle",
        "accept or refuse a membership request",
        "the organization's admins; accepting adds the member in the same commit; refusing needs a refusal comment",
        "ask an admin; accept by adding the member to organization.yaml in the same commit, refuse with "
        "a refusal_comment; handled_by is yourself",
    ),
    Rule(
        "harvester",
        "create, edit or delete a harvester configuration",
        "the organization's admins",
        "ask an admin of the organization",
    ),
    Rule(
        "harvest",
        "create, update, archive or delete a harvested dataset or API (one whose harvest.source names a harvester)",
        "the portal's bots, as well as the organization's editors and admins",
        "only datasets and APIs that carry a harvest block before and after the change may be written by a bot",
    ),
    Rule(
        "generated",
        "generated state (harvest job logs, metrics, link checks)",
        "bots and maintainers",
        "this file is written by the portal's bots: do not edit it by hand",
    ),
    Rule(
        "maintainers",
        "site.yaml, schemas, themes, CI files, anything else",
        "maintainers",
        "ask a maintainer of the portal (site.yaml lists them)",
    ),
    Rule(
        "actor",
        "every commit is authored by the user the CI platform authenticated (--actor)",
        "the pull request's opener",
        "push only your own commits; another person's commits go in their own pull request",
    ),
    Rule(
        "signature",
        "every commit carries an SSH signature by a key of its author (--require-signatures)",
        "the author, with a key listed in their user file before the commit (approved state)",
        "add your public key to signing_keys in a previous pull request, then sign: git config gpg.format ssh; "
        "git config user.signingkey ~/.ssh/id_ed25519.pub; git commit -S (git rebase --exec 'git commit "
        "--amend --no-edit -S' to re-sign)",
    ),
    Rule(
        "net-change",
        "the final version of a file the pull request changes",
        "the pull request's allowed commits: what lands must be what they made",
        "rebase the branch onto the target branch (git rebase) so each change applies as it was made, or have "
        "the change made by someone allowed to",
    ),
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
MAINTAINER = "maintainer"
# the kinds whose decisions read the file's content; for every other kind only the path matters
READS_CONTENT = frozenset({"user", "organization", "request", "discussion", "dataset", "dataservice"})
_PERSONAL = re.compile(r"users/(?P<user>[^/]+)/.+")


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the state before it knows them (``username`` is None for an unknown email)."""

    email: str
    username: str | None = None
    maintainer: bool = False
    bot: bool = False

    @property
    def registered(self) -> bool:
        return self.username is not None

    @property
    def person(self) -> bool:
        """A registered user who is not a bot (bots may only write generated state)."""
        return self.username is not None and not self.bot

    def describe(self) -> str:
        return self.username if self.username is not None else f"<{self.email}>"


@dataclass(frozen=True)
class Version:
    """One side of a file change. ``ok`` is False when the file exists but does not parse as YAML."""

    exists: bool
    data: Any = None
    ok: bool = True

    @property
    def mapping(self) -> dict | None:
        return self.data if self.exists and self.ok and isinstance(self.data, dict) else None


ABSENT = Version(False)


class Snapshot(Protocol):
    """A state of the content that rights are read from: a commit's tree, the approved state of a check, or
    the working tree. Paths are relative to ``content/``."""

    def version(self, path: str) -> Version:
        """The file at ``path``: :data:`ABSENT` when there is no regular file there (a folder, a symbolic link
        or a submodule is not a file)."""


def members_in(version: Version) -> dict[str, str] | None:
    """user -> role of an organization file; None when it is absent or its members list is malformed."""
    members = members_of(version.mapping)
    return {user: entries[0][0] for user, entries in members.items()} if members is not None else None


def org_file(org: str) -> str:
    return f"organizations/{org}/organization.yaml"


class ChangeFacts:
    """:class:`Facts` of one change set: rights from the ``before`` snapshot, consequences from ``after`` (the
    new version of every path the change set touches, content-relative).

    The one implementation of the facts that ``check-roles``, ``portal can`` and the contributor commands use,
    so the three cannot drift apart.
    """

    def __init__(self, before: Snapshot, after: dict[str, Version]):
        self.before, self.after = before, after

    def role(self, org: str, user: str) -> str | None:
        current = self.before.version(org_file(org))
        members = members_in(current)
        if members is not None:
            return members.get(user)
        if current.exists:
            return None
        # an organization this change set creates: its listed admins act as admins within the change set
        created = self.members_after(org)
        return "admin" if created is not None and created.get(user) == "admin" else None

    def members_after(self, org: str) -> dict[str, str] | None:
        path = org_file(org)
        return members_in(self.after[path] if path in self.after else self.before.version(path))

    def deleted(self, path: str) -> bool:
        return path in self.after and not self.after[path].exists and self.before.version(path).exists

    def created(self, path: str) -> bool:
        return path in self.after and self.after[path].exists and not self.before.version(path).exists

    def org_deleted(self, org: str) -> bool:
        return self.deleted(org_file(org))

    def user_deleted(self, user: str) -> bool:
        return self.deleted(f"users/{user}.yaml")

    def moved(self, path: str) -> str | None:
        """The other end of a move: for a path the change set deletes, the path it creates with the same kind,
        slug and data under another owner; for a created path, the deleted one. None when it is no move."""
        here = classify(path)
        if here is None or here.slug is None:
            return None
        for other in self.after:
            there = classify(other) if other != path else None
            if there is None or (there.kind, there.slug) != (here.kind, here.slug):
                continue
            for gone, made in ((path, other), (other, path)):
                same = self.after[made].mapping if self.deleted(gone) and self.created(made) else None
                if same is not None and self.before.version(gone).mapping == same:
                    return other
        return None

    def harvester_exists(self, org: str, name: str) -> bool:
        return self.before.version(f"organizations/{org}/harvesters/{name}.yaml").exists


class Facts(Protocol):
    """What a decision may know besides the file itself."""

    def role(self, org: str, user: str) -> str | None:
        """``admin``, ``editor`` or None: the user's role in the organization before the change."""

    def members_after(self, org: str) -> dict[str, str] | None:
        """The organization's members (user -> role) once the change set is applied; None if absent."""

    def org_deleted(self, org: str) -> bool:
        """The change set deletes the organization (its organization.yaml)."""

    def user_deleted(self, user: str) -> bool:
        """The change set deletes the user (their users/<u>.yaml)."""

    def deleted(self, path: str) -> bool:
        """The change set deletes the file at ``path``."""

    def moved(self, path: str) -> str | None:
        """The other end of a move of ``path`` (same kind, slug and data, another owner), or None."""

    def harvester_exists(self, org: str, name: str) -> bool:
        """The organization has the harvester file ``name`` before the change."""


@dataclass(frozen=True)
class Decision:
    """One judgement: which rule, allowed or not, the role held and the role needed.

    ``path`` is the JSON path of the node the decision is about, in the ``side`` ("new" or "old") version
    of the file; None means "where the file changed".
    """

    rule: str
    allowed: bool
    held: str
    needed: str
    message: str
    path: JsonPath | None = None
    side: str = "new"

    @property
    def hint(self) -> str:
        return BY_ID[self.rule].hint


# --------------------------------------------------------------------------------------------------- roles


def org_role(actor: Actor, facts: Facts, org: str) -> str | None:
    """The actor's role in ``org`` before the change (bots hold none: they only write generated state)."""
    if not actor.person:
        return None
    return facts.role(org, actor.username)


def held_in(actor: Actor, org: str | None, role: str | None) -> str:
    """How the actor's standing reads in a message: ``editor of acme``, ``bot``, ``unregistered``..."""
    if actor.maintainer:
        return MAINTAINER
    if not actor.registered:
        return "unregistered (unknown author email)"
    if actor.bot:
        return "bot"
    if org is None:
        return "registered user"
    return f"{role} of {org}" if role else f"registered user, no role in {org}"


def _org_decision(
    rule: str,
    actor: Actor,
    facts: Facts,
    org: str,
    roles: tuple[str, ...],
    message: str,
    path: JsonPath | None = None,
    side: str = "new",
) -> Decision:
    role = org_role(actor, facts, org)
    needed = " or ".join(roles) + f" of {org}"
    return Decision(rule, role in roles, held_in(actor, org, role), needed, message, path, side)


def _self_decision(rule: str, actor: Actor, user: str, message: str, path: JsonPath | None = None) -> Decision:
    ok = actor.registered and actor.username == user
    held = held_in(actor, None, None) if not ok else f"the user {user}"
    return Decision(rule, ok, held, f"the user {user}", message, path)


def _maintainers(actor: Actor, message: str, rule: str = "maintainers", path: JsonPath | None = None) -> Decision:
    return Decision(rule, False, held_in(actor, None, None), MAINTAINER, message, path)


# --------------------------------------------------------------------------------------------------- judge


def judge(actor: Actor, facts: Facts, path: str | None, old: Version, new: Version) -> list[Decision]:
    """Every decision about one file change; ``path`` is content-relative, None for a file outside content/.

    A file that does not parse is judged on what can be known: the strictest rule of its kind applies.
    Maintainers may do everything: their decisions are all allowed, each still naming the rule it covers.
    """
    location = classify(path) if path is not None else None
    personal = _PERSONAL.fullmatch(path or "")
    if location is None and personal:
        decisions = [_self_decision("user-edit", actor, personal["user"], f"changes {path} of the user")]
    elif location is None:
        where = "outside content/" if path is None else "in no place of the content layout"
        decisions = [_maintainers(actor, f"changes a file {where}")]
    else:
        decisions = _judge_location(actor, facts, location, old, new)
    if actor.maintainer:
        decisions = [d if d.allowed else replace(d, allowed=True, held=MAINTAINER) for d in decisions]
    return decisions


def _judge_location(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    verb = "creates" if not old.exists else ("deletes" if not new.exists else "edits")
    # a whole organization or user deleted: its files go with it, under the rule for deleting the owner
    if old.exists and not new.exists and loc.kind not in ("organization", "user"):
        if loc.org is not None and facts.org_deleted(loc.org):
            return [
                _org_decision(
                    "org-delete", actor, facts, loc.org, ("admin",), f"deletes {loc.kind} with its organization"
                )
            ]
        if loc.user is not None and facts.user_deleted(loc.user):
            return [_self_decision("user-edit", actor, loc.user, f"deletes {loc.kind} with its user")]
    handler = _HANDLERS.get(loc.kind)
    if handler is not None:
        return handler(actor, facts, loc, old, new)
    if loc.generated:
        return [_generated(actor, f"{verb} generated state ({loc.kind})")]
    return [_maintainers(actor, f"{verb} {loc.path} ({loc.kind})")]


def _harvestable(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    """A dataset or an API: editors and admins as for any content; a bot too when it is harvested on both sides
    by a harvester the organization has before the change (a bot token cannot plant content elsewhere)."""
    decisions = _org_owned("org-content", ("editor", "admin"))(actor, facts, loc, old, new)
    if loc.org is None or not (actor.bot and actor.registered) or decisions[0].allowed:
        return decisions
    sources = [_harvested(version) for version in (old, new) if version.exists]
    if sources and all(source is not None and facts.harvester_exists(loc.org, source) for source in sources):
        verb = "creates" if not old.exists else ("deletes" if not new.exists else "updates")
        message = f"{verb} the harvested {loc.kind} {loc.slug} of {loc.org}"
        side = "new" if new.exists else "old"
        return [Decision("harvest", True, "bot", "bot, for harvested datasets", message, ("harvest",), side)]
    return decisions


def _harvested(version: Version) -> str | None:
    """The harvester named by the version's ``harvest.source``, if it names one."""
    data = version.mapping
    harvest = data.get("harvest") if data is not None else None
    source = harvest.get("source") if isinstance(harvest, dict) else None
    return source if isinstance(source, str) and SLUG.fullmatch(source) else None


def _generated(actor: Actor, message: str) -> Decision:
    held = held_in(actor, None, None)
    return Decision("generated", actor.bot and actor.registered, held, "bot or maintainer", message)


def _user(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    if old.exists:
        verb = "edits" if new.exists else "deletes"
        return [_self_decision("user-edit", actor, loc.user, f"{verb} the user file of {loc.user}")]
    data = new.mapping
    needed = f"the person whose email users/{loc.user}.yaml lists"
    held = held_in(actor, None, None) if actor.registered else f"unregistered <{actor.email}>"
    if data is None:
        return [Decision("user-create", False, held, needed, "creates a user file that does not parse")]
    emails = data.get("emails")
    listed = [email_key(e) for e in emails if isinstance(e, str)] if isinstance(emails, list) else []
    ok = email_key(actor.email) in listed
    message = f"registers the user {loc.user}" + ("" if ok else f", whose emails do not include <{actor.email}>")
    return [Decision("user-create", ok, held, needed, message, ("emails",))]


def _personal(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    verb = "creates" if not old.exists else ("deletes" if not new.exists else "edits")
    return [_self_decision("user-edit", actor, loc.user, f"{verb} {loc.kind} of the user {loc.user}")]


def _org_owned(rule: str, roles: tuple[str, ...]):
    def handler(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
        if loc.user is not None:
            return _personal(actor, facts, loc, old, new)
        verb = "creates" if not old.exists else ("deletes" if not new.exists else "edits")
        name = f" {loc.slug}" if loc.slug else ""
        return [_org_decision(rule, actor, facts, loc.org, roles, f"{verb} {loc.kind}{name} of {loc.org}")]

    return handler


def members_of(data: Any) -> dict[str, list[tuple[Any, Any]]] | None:
    """user -> [(role, since)] of an organization's data; None when the members list is malformed."""
    if not isinstance(data, dict):
        return None
    members = data.get("members")
    if not isinstance(members, list):
        return None
    found: dict[str, list[tuple[Any, Any]]] = {}
    for entry in members:
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), str):
            return None
        found.setdefault(entry["user"], []).append((entry.get("role"), entry.get("since")))
    return found


def _member_index(data: dict, user: str) -> int:
    return next((i for i, m in enumerate(data["members"]) if m.get("user") == user), 0)


def _organization(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    org = loc.org
    if not old.exists:
        data = new.mapping
        held = held_in(actor, None, None)
        needed = "registered user listed as an admin of the new organization"
        if not actor.person:
            return [Decision("org-create", False, held, needed, f"creates the organization {org}")]
        members = members_of(data)
        admin = members is not None and any(role == "admin" for role, _ in members.get(actor.username, []))
        message = f"creates the organization {org}" + ("" if admin else f" without {actor.username} among its admins")
        return [Decision("org-create", admin, held, needed, message, ("members",))]
    if not new.exists:
        return [_org_decision("org-delete", actor, facts, org, ("admin",), f"deletes the organization {org}")]
    before, after = old.mapping, new.mapping
    if before is None or after is None:
        return [
            _org_decision(
                "org-profile", actor, facts, org, ("admin",), f"edits {org}'s organization.yaml, which does not parse"
            )
        ]
    decisions: list[Decision] = []
    for key in sorted(set(before) | set(after)):
        if key != "members" and before.get(key) != after.get(key):
            side = "new" if key in after else "old"
            message = f"changes {key} of {org}'s profile"
            decisions.append(_org_decision("org-profile", actor, facts, org, ("admin",), message, (key,), side))
    decisions.extend(_member_changes(actor, facts, org, before, after))
    if not decisions:  # comments or layout only: still a change to the organization's file
        decisions.append(_org_decision("org-profile", actor, facts, org, ("admin",), f"reformats {org}'s profile"))
    return decisions


def _member_changes(actor: Actor, facts: Facts, org: str, before: dict, after: dict) -> list[Decision]:
    if before.get("members") == after.get("members"):
        return []
    old_m, new_m = members_of(before), members_of(after)
    admin = ("admin",)
    if old_m is None or new_m is None:
        return [_org_decision("org-members", actor, facts, org, admin, f"rewrites {org}'s members", ("members",))]
    decisions = []
    for user in sorted(set(old_m) | set(new_m)):
        was, now = old_m.get(user, []), new_m.get(user, [])
        if was == now:
            continue
        if not now:
            if actor.person and user == actor.username:
                role = facts.role(org, user)
                message = f"leaves {org} (removes themself)"
                held = held_in(actor, org, role)
                ok = role is not None
                path = ("members", _member_index(before, user))
                decisions.append(Decision("org-leave", ok, held, f"member of {org}", message, path, "old"))
            else:
                message = f"removes {user} from the members of {org}"
                path = ("members", _member_index(before, user))
                decisions.append(_org_decision("org-members", actor, facts, org, admin, message, path, "old"))
            continue
        role = "/".join(str(r) for r, _ in now)
        message = f"adds {user} as {role} of {org}" if not was else f"changes {user}'s membership of {org} to {role}"
        path = ("members", _member_index(after, user))
        decisions.append(_org_decision("org-members", actor, facts, org, admin, message, path))
    if not decisions:
        decisions.append(
            _org_decision("org-members", actor, facts, org, admin, f"reorders {org}'s members", ("members",))
        )
    return decisions


def _request(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    org, slug = loc.org, loc.slug
    before, after = old.mapping, new.mapping
    admin = ("admin",)
    if not old.exists:
        return [_request_create(actor, facts, org, slug, after)]
    if not new.exists:
        if before is not None and before.get("status") == "pending":
            author = before.get("user")
            ok = actor.person and actor.username == author == slug
            held = held_in(actor, None, None) if not ok else f"the user {author}"
            message = f"withdraws {author}'s pending request to join {org}"
            return [Decision("request-withdraw", ok, held, f"the user {author}", message, None, "old")]
        message = f"deletes a handled request to join {org}"
        return [_org_decision("request-handle", actor, facts, org, admin, message, None, "old")]
    if before is None or after is None:
        message = f"edits a request to join {org} that does not parse"
        return [_org_decision("request-handle", actor, facts, org, admin, message)]
    was, now = before.get("status"), after.get("status")
    if was == "pending" and now == "pending":
        if before.get("user") != after.get("user"):
            return [
                _org_decision("request-handle", actor, facts, org, admin, "changes who a request is for", ("user",))
            ]
        return [_request_create(actor, facts, org, slug, after, editing=True)]
    if was == "pending" and now in ("accepted", "refused"):
        return [_request_handle(actor, facts, org, after, now)]
    message = f"changes a handled request to join {org} ({was} -> {now})"
    return [_org_decision("request-handle", actor, facts, org, admin, message, ("status",))]


def _request_create(actor: Actor, facts: Facts, org: str, slug: str, data: dict | None, editing=False) -> Decision:
    verb = "edits" if editing else "creates"
    needed = f"registered user, not a member of {org}, asking for themself"
    role = org_role(actor, facts, org)
    held = held_in(actor, org, role)
    if not actor.person:
        return Decision("request-create", False, held, needed, f"{verb} a request to join {org}")
    if data is None:
        return Decision("request-create", False, held, needed, f"{verb} a request to join {org} that does not parse")
    problems = []
    if data.get("user") != actor.username or slug != actor.username:
        problems.append(f"for '{data.get('user')}' in {slug}.yaml, not for {actor.username} in {actor.username}.yaml")
    if data.get("status") != "pending":
        problems.append(f"with status {data.get('status')!r} instead of pending")
    if role is not None:
        problems.append(f"while already {role} of {org}")
    message = f"{verb} a request to join {org}" + (" " + "; ".join(problems) if problems else "")
    return Decision("request-create", not problems, held, needed, message, ("user",))


def _request_handle(actor: Actor, facts: Facts, org: str, data: dict, status: str) -> Decision:
    user = data.get("user")
    decision = _org_decision("request-handle", actor, facts, org, ("admin",), f"{status} {user}'s request", ("status",))
    if not decision.allowed:
        return decision
    if data.get("handled_by") != actor.username:
        return replace(
            decision,
            allowed=False,
            message=f"{decision.message} with handled_by not {actor.username}",
            path=("handled_by",),
        )
    if status == "accepted":
        members = facts.members_after(org) or {}
        wanted = data.get("role")
        if user not in members or (wanted is not None and members[user] != wanted):
            as_role = f" as {wanted}" if wanted else ""
            return replace(
                decision,
                allowed=False,
                message=f"accepts {user}'s request without adding {user}{as_role} to organization.yaml "
                "in the same commit",
            )
    elif not (isinstance(data.get("refusal_comment"), str) and data["refusal_comment"].strip()):
        return replace(decision, allowed=False, message=f"refuses {user}'s request without a refusal_comment")
    return decision


def _discussion(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> list[Decision]:
    follows = _follows_subject(actor, facts, loc, old, new)
    if follows is not None:
        return [follows]
    owner = f"{loc.org}" if loc.org else f"the user {loc.user}"
    if not old.exists:
        data = new.mapping
        held = held_in(actor, None, None)
        if not actor.person or data is None:
            why = "" if data is not None else " that does not parse"
            return [Decision("discussion-post", False, held, "registered user", f"opens a discussion{why}")]
        decisions = [_message_decision(actor, data, i, "opens a discussion") for i in range(_count(data))]
        if data.get("closed") is not None or data.get("closed_by") is not None:
            decisions.append(_close_decision(actor, facts, loc, owner, data, data, "closes"))
        return decisions or [Decision("discussion-post", False, held, "registered user", "opens a discussion")]
    if not new.exists:
        return [_maintainers(actor, f"deletes a discussion of {owner}", "discussion-history", None)]
    before, after = old.mapping, new.mapping
    if before is None or after is None:
        return [_maintainers(actor, "edits a discussion that does not parse", "discussion-history")]
    decisions: list[Decision] = []
    old_msgs, new_msgs = _messages(before), _messages(after)
    prefix = 0
    while prefix < min(len(old_msgs), len(new_msgs)) and old_msgs[prefix] == new_msgs[prefix]:
        prefix += 1
    if prefix < len(old_msgs):
        side = "new" if prefix < len(new_msgs) else "old"
        verb = "edits" if side == "new" else "removes"
        decisions.append(
            _maintainers(
                actor, f"{verb} message {prefix + 1} of the discussion", "discussion-history", ("messages", prefix)
            )
        )
        if side == "old":
            decisions[-1] = replace(decisions[-1], side="old")
    else:
        for i in range(prefix, len(new_msgs)):
            decisions.append(_message_decision(actor, after, i, "adds a message"))
    for key in ("subject", "subject_type", "title"):
        if before.get(key) != after.get(key):
            side = "new" if key in after else "old"
            decisions.append(
                replace(
                    _maintainers(actor, f"changes the {key} of a discussion", "discussion-history", (key,)), side=side
                )
            )
    if (before.get("closed"), before.get("closed_by")) != (after.get("closed"), after.get("closed_by")):
        verb = "reopens" if after.get("closed") is None else "closes"
        decisions.append(_close_decision(actor, facts, loc, owner, before, after, verb))
    if not decisions:
        decisions.append(_maintainers(actor, "reformats a discussion", "discussion-history"))
    return decisions


def _follows_subject(actor: Actor, facts: Facts, loc: Location, old: Version, new: Version) -> Decision | None:
    """A discussion moved unchanged with its subject (to the subject's new owner), or deleted with it: the
    subject's owner's editors decide, as they do for the subject (discussions are otherwise append-only)."""
    data = (new if new.exists else old).mapping
    if old.exists == new.exists or data is None or not isinstance(data.get("subject"), str):
        return None
    folder = "reuses" if data.get("subject_type") == "reuse" else "datasets"
    subject = owned_path(loc.owner, folder, data["subject"])
    other = facts.moved(loc.path)
    there = classify(other) if other is not None else None
    if there is not None and facts.moved(subject) == owned_path(there.owner, folder, data["subject"]):
        verb = "moves"
    elif not new.exists and other is None and facts.deleted(subject):
        verb = "deletes"
    else:
        return None
    message = f"{verb} the discussion {loc.slug} with its {folder[:-1]} {data['subject']}"
    side = "new" if new.exists else "old"
    if loc.org is not None:
        return _org_decision("discussion-follow", actor, facts, loc.org, ("editor", "admin"), message, None, side)
    return replace(_self_decision("discussion-follow", actor, loc.user, message), side=side)


def _messages(data: dict) -> list:
    messages = data.get("messages")
    return messages if isinstance(messages, list) else []


def _count(data: dict) -> int:
    return len(_messages(data))


def _message_decision(actor: Actor, data: dict, index: int, verb: str) -> Decision:
    message = data["messages"][index]
    author = message.get("author") if isinstance(message, dict) else None
    ok = actor.person and author == actor.username
    held = held_in(actor, None, None)
    text = f"{verb} as {author!r}" + ("" if ok or not actor.person else f", not as {actor.username}")
    needed = f"the user {author}" if isinstance(author, str) else "registered user"
    return Decision("discussion-post", ok, held, needed, text, ("messages", index))


def _close_decision(actor: Actor, facts: Facts, loc: Location, owner: str, before: dict, after: dict, verb: str):
    msgs = _messages(before)
    author = msgs[0].get("author") if msgs and isinstance(msgs[0], dict) else None
    if loc.org is not None:
        role = org_role(actor, facts, loc.org)
        moderator = role in ("admin", "editor")
        held = held_in(actor, loc.org, role)
    else:
        moderator = actor.person and actor.username == loc.user
        held = held_in(actor, None, None)
    is_author = actor.person and actor.username == author
    if is_author and not moderator:
        held = f"author of the discussion ({actor.username})"
    needed = f"editor or admin of {owner}, or the discussion's author {author}"
    if loc.user is not None:
        needed = f"{owner}, or the discussion's author {author}"
    closer = after.get("closed_by")
    ok = (moderator or is_author) and (verb == "reopens" or closer == actor.username)
    message = f"{verb} the discussion"
    if verb == "closes" and closer != actor.username and (moderator or is_author):
        message += f" with closed_by {closer!r} instead of {actor.username}"
    path = ("closed",) if "closed" in after else None
    return Decision("discussion-close", ok, held, needed, message, path)


_HANDLERS: dict[str, Callable[..., list[Decision]]] = {
    "user": _user,
    "avatar": _personal,
    "organization": _organization,
    "logo": _org_owned("org-profile", ("admin",)),
    "request": _request,
    "harvester": _org_owned("harvester", ("admin",)),
    "dataset": _harvestable,
    "dataservice": _harvestable,
    "reuse": _org_owned("org-content", ("editor", "admin")),
    "discussion": _discussion,
}
