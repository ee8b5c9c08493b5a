"""``portal check-roles``: judge every commit of a pull request against the role rules.

The pipeline: commits (``rev-list base..head``) → changes (``diff-tree``, renames split into a deletion and
an addition, a merge only on the paths that differ from all its parents) → decisions
(:func:`generator.policy.rules.judge`, with the author and the rights read from the *parent* commit) →
a :class:`Report` of verdicts. Only the touched files, ``site.yaml``, the user files and the
``organization.yaml`` of touched organizations are ever read, each blob parsed once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..layout import classify
from ..load import MAX_FILE_BYTES, Document, parse_text
from ..model import email_key
from . import rules
from .git import FETCH_HINT, Commit, FileChange, GitError, Repo, signer_line, verify_ssh
from .rules import Actor, Decision, Version

CONTENT = "content/"
_NOT_BLOBS = ("120000", "160000")  # symbolic links and submodules: never content


@dataclass(frozen=True)
class Verdict:
    """One decision about one commit: a violation when not ``allowed``."""

    commit: str
    author: str  # username, or <email> when the email is unknown in the parent state
    email: str
    file: str | None  # relative to the repository root; None for a decision about the whole commit
    line: int
    rule: str
    allowed: bool
    held: str
    needed: str
    message: str

    @property
    def hint(self) -> str:
        return rules.BY_ID[self.rule].hint

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else "(commit)"

    def as_text(self) -> str:
        head = f"{self.commit[:10]} {self.author}: {self.where}: {self.rule}: {self.message}"
        if self.allowed:
            return f"allowed {head} ({self.author} holds {self.held})"
        return f"{head}; {self.author} holds {self.held}, needs {self.needed} ({self.hint})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "author": self.author,
            "email": self.email,
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "allowed": self.allowed,
            "held": self.held,
            "needed": self.needed,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Report:
    """Every verdict of a check, allowed ones included (``--explain`` shows them)."""

    base: str
    head: str
    commits: int = 0
    changes: int = 0
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def violations(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.allowed]

    @property
    def ok(self) -> bool:
        return not self.violations


# ------------------------------------------------------------------------------------------------ states


@dataclass(frozen=True)
class Parsed:
    version: Version
    doc: Document | None = None
    text: str = ""


def parse_blob(raw: bytes | None, file: str, keep_nodes: bool = True) -> Parsed:
    """A blob as a :class:`Version`: not ``ok`` when it is not UTF-8 YAML that loads without a problem."""
    if raw is None:
        return Parsed(Version(True, None, False))
    if len(raw) > MAX_FILE_BYTES or b"\0" in raw:
        return Parsed(Version(True, None, False))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Parsed(Version(True, None, False))
    doc = Document(file=file, abspath=Path(os.devnull))
    parse_text(text, doc)
    if not keep_nodes:
        doc.release()
    return Parsed(Version(True, doc.data, not doc.problems), doc, text)


@dataclass
class Users:
    """The user files of one state: who an email is, and which keys sign for them."""

    by_email: dict[str, str | None] = field(default_factory=dict)  # lowercased email -> username (None: shared)
    keys: dict[str, list[str]] = field(default_factory=dict)

    def lookup(self, email: str) -> str | None:
        return self.by_email.get(email_key(email))


class State:
    """The content of one commit (``None``: the empty tree of a root commit's parent), read lazily."""

    def __init__(self, checker: _Checker, commit: str | None):
        self.checker, self.commit = checker, commit
        self._site: tuple[frozenset[str], frozenset[str]] | None = None
        self._members: dict[str, dict[str, str] | None] = {}
        self._users: Users | None = None

    def parsed(self, path: str) -> Parsed | None:
        """The file at ``path`` (repository-relative), None when absent."""
        if self.commit is None:
            return None
        found = self.checker.repo.read(f"{self.commit}:{path}")
        if found is None or found[1] != "blob":
            return None
        return self.checker.parse(found[0], path, found[2])

    def site(self) -> tuple[frozenset[str], frozenset[str]]:
        """(maintainers, bots)."""
        if self._site is None:
            parsed = self.parsed(CONTENT + "site.yaml")
            data = parsed.version.mapping if parsed else None
            self._site = (_names(data, "maintainers"), _names(data, "bots")) if data else (frozenset(), frozenset())
        return self._site

    def users(self) -> Users:
        if self._users is None:
            self._users = Users() if self.commit is None else self.checker.users(self.commit)
        return self._users

    def members(self, org: str) -> dict[str, str] | None:
        if org not in self._members:
            parsed = self.parsed(f"{CONTENT}organizations/{org}/organization.yaml")
            members = rules.members_of(parsed.version.mapping) if parsed else None
            self._members[org] = {user: entries[0][0] for user, entries in members.items()} if members else None
        return self._members[org]

    def has(self, path: str) -> bool:
        return self.commit is not None and self.checker.repo.read(f"{self.commit}:{path}") is not None

    def actor(self, email: str) -> Actor:
        username = self.users().lookup(email)
        maintainers, bots = self.site()
        return Actor(email, username, username in maintainers, username in bots)


def _names(data: dict, key: str) -> frozenset[str]:
    value = data.get(key)
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


class CommitFacts:
    """:class:`rules.Facts` of one commit: rights from the parent state, consequences from the commit's."""

    def __init__(self, before: State, after: State):
        self.before, self.after = before, after

    def role(self, org: str, user: str) -> str | None:
        members = self.before.members(org)
        if members is not None:
            return members.get(user)
        # an organization created by this very commit: its listed admins act as admins within the commit
        created = self.after.members(org)
        if created is not None and created.get(user) == "admin" and not self._exists_before(org):
            return "admin"
        return None

    def _exists_before(self, org: str) -> bool:
        return self.before.has(f"{CONTENT}organizations/{org}/organization.yaml")

    def members_after(self, org: str) -> dict[str, str] | None:
        return self.after.members(org)

    def org_deleted(self, org: str) -> bool:
        path = f"{CONTENT}organizations/{org}/organization.yaml"
        return self.before.has(path) and not self.after.has(path)

    def user_deleted(self, user: str) -> bool:
        path = f"{CONTENT}users/{user}.yaml"
        return self.before.has(path) and not self.after.has(path)

    def harvester_exists(self, org: str, name: str) -> bool:
        return self.before.has(f"{CONTENT}organizations/{org}/harvesters/{name}.yaml")


# ----------------------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Options:
    actor: str | None = None
    require_signatures: bool = False
    trusted_time: dt.datetime | None = None  # None: the time of the check


class _Checker:
    def __init__(self, repo: Repo, options: Options):
        self.repo, self.options = repo, options
        self.when = options.trusted_time or dt.datetime.now(dt.UTC)
        self._parsed: dict[str, Parsed] = {}
        self._users: dict[str, Users] = {}  # by tree id of content/users
        self._user_trees: dict[str, str | None] = {}  # commit -> tree id of content/users
        self._states: dict[str | None, State] = {}

    def state(self, commit: str | None) -> State:
        if commit not in self._states:
            if len(self._states) > 4:  # states of a linear history are used twice: as child, then as parent
                self._states.pop(next(iter(self._states)))
            self._states[commit] = State(self, commit)
        return self._states[commit]

    def parse(self, oid: str, path: str, raw: bytes | None = None) -> Parsed:
        if oid not in self._parsed:
            if raw is None:
                raw = self.repo.blob(oid)
            self._parsed[oid] = parse_blob(raw, path)
        return self._parsed[oid]

    def users(self, commit: str) -> Users:
        tree = self.repo.tree(f"{commit}:{CONTENT}users", known=self._users)
        if tree is None:
            return Users()
        oid, entries = tree
        if oid not in self._users:
            users = Users()
            for mode, name, blob in entries:
                if not (mode.startswith("100") and name.endswith(".yaml")):
                    continue
                username = name[: -len(".yaml")]
                if blob not in self._parsed:
                    self._parsed[blob] = parse_blob(self.repo.blob(blob), f"{CONTENT}users/{name}", keep_nodes=False)
                data = self._parsed[blob].version.mapping
                if data is None:
                    continue
                emails = data.get("emails")
                for email in emails if isinstance(emails, list) else []:
                    if isinstance(email, str):
                        key = email_key(email)
                        # an email listed by two users identifies neither (validate reports duplicate-email)
                        users.by_email[key] = username if key not in users.by_email else None
                keys = data.get("signing_keys")
                users.keys[username] = [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []
            self._users[oid] = users
        return self._users[oid]

    def version(self, oid: str | None, mode: str, path: str) -> Parsed:
        if oid is None:
            return Parsed(rules.ABSENT)
        if mode in _NOT_BLOBS:
            return Parsed(Version(True, None, False))
        location = classify(path[len(CONTENT) :]) if path.startswith(CONTENT) else None
        if location is None or location.kind not in rules.READS_CONTENT:
            return self.text(oid)  # the rule does not look inside: only the text, for the changed line
        return self.parse(oid, path)

    def text(self, oid: str) -> Parsed:
        key = f"text:{oid}"
        if key not in self._parsed:
            raw = self.repo.blob(oid) or b""
            self._parsed[key] = Parsed(Version(True, None, True), None, raw.decode("utf-8", errors="replace"))
        return self._parsed[key]

    def check_commit(self, sha: str, parents: tuple[str, ...], report: Report) -> None:
        commit = self.repo.commit(sha)
        if len(parents) > 1:
            changes = self.repo.merge_changes(sha, parents)
            if not changes:  # a clean merge brings only commits judged on their own
                return
        else:
            changes = self.repo.changes(parents[0] if parents else None, sha)
        before, after = self.state(parents[0] if parents else None), self.state(sha)
        actor = before.actor(commit.author_email)
        report.changes += len(changes)
        verdict = _VerdictMaker(commit, actor)
        report.verdicts.extend(self._identity(commit, actor, changes, before, verdict))
        facts = CommitFacts(before, after)
        for change in changes:
            old = self.version(change.old_oid, change.old_mode, change.path)
            new = self.version(change.new_oid, change.new_mode, change.path)
            content_path = change.path[len(CONTENT) :] if change.path.startswith(CONTENT) else None
            for decision in rules.judge(actor, facts, content_path, old.version, new.version):
                report.verdicts.append(verdict.make(decision, change, old, new))

    def _identity(self, commit: Commit, actor: Actor, changes, before: State, verdict) -> list[Verdict]:
        found: list[Verdict] = []
        claimed, keys = actor.username, before.users().keys.get(actor.username or "", [])
        if actor.username is None:  # self-registration: the user file this commit creates for its email
            for change in changes:
                if change.status == "A" and change.path.startswith(f"{CONTENT}users/"):
                    data = self.version(change.new_oid, change.new_mode, change.path).version.mapping
                    emails = data.get("emails") if data else None
                    if isinstance(emails, list) and email_key(commit.author_email) in [
                        email_key(e) for e in emails if isinstance(e, str)
                    ]:
                        claimed = change.path[len(CONTENT) + len("users/") : -len(".yaml")]
                        keys = [k for k in data.get("signing_keys") or [] if isinstance(k, str)]
        wanted = self.options.actor
        if wanted is not None:
            ok = claimed == wanted
            held = f"the user {claimed}" if claimed else f"unknown email <{commit.author_email}>"
            message = f"authored by {claimed or '<' + commit.author_email + '>'}, not by the pull request's opener"
            if ok:
                message = f"authored by the pull request's opener {wanted}"
            found.append(verdict.commit_level("actor", ok, held, f"the user {wanted}", message))
        if self.options.require_signatures:
            if commit.signature is None:
                error = "the commit is not signed"
            else:
                signers = [line for key in keys if (line := signer_line(commit.author_email, key))]
                error = verify_ssh(commit.payload, commit.signature, commit.author_email, signers, self.when)
            held = f"key of {claimed}" if claimed else f"unknown email <{commit.author_email}>"
            needed = (
                f"SSH signature by a signing key of {claimed or 'the author'} valid at {self.when:%Y-%m-%d %H:%M} UTC"
            )
            message = error or f"signed by a key of {claimed} for <{commit.author_email}>"
            found.append(verdict.commit_level("signature", error is None, held, needed, message))
        return found


class _VerdictMaker:
    def __init__(self, commit: Commit, actor: Actor):
        self.commit, self.actor = commit, actor

    def commit_level(self, rule: str, ok: bool, held: str, needed: str, message: str) -> Verdict:
        c = self.commit
        return Verdict(c.sha, self.actor.describe(), c.author_email, None, 0, rule, ok, held, needed, message)

    def make(self, decision: Decision, change: FileChange, old: Parsed, new: Parsed) -> Verdict:
        c = self.commit
        return Verdict(
            c.sha,
            self.actor.describe(),
            c.author_email,
            change.path,
            _line(decision, old, new),
            decision.rule,
            decision.allowed,
            decision.held,
            decision.needed,
            decision.message,
        )


def _line(decision: Decision, old: Parsed, new: Parsed) -> int:
    side = new if decision.side == "new" and new.version.exists else old
    if decision.path is not None and side.doc is not None and side.doc.root is not None:
        return side.doc.locate(decision.path)[0]
    if old.version.exists and new.version.exists:
        return first_changed_line(old.text, new.text)
    return 1


def first_changed_line(old: str, new: str) -> int:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def check_roles(where: Path, base: str, head: str = "HEAD", options: Options | None = None) -> Report:
    """Judge every commit of ``base..head`` of the repository holding ``where``; see the module docstring.

    Raises :class:`~generator.policy.git.GitError` (exit 2) when it cannot check: git missing, unknown
    revisions, a shallow clone, or a base that is not an ancestor of head. It never passes by default.
    """
    options = options or Options()
    with Repo(where) as repo:
        if repo.is_shallow():
            raise GitError(f"the clone is shallow, so the commits cannot all be read: {FETCH_HINT}")
        base_sha, head_sha = repo.resolve(base), repo.resolve(head)
        if not repo.is_ancestor(base_sha, head_sha):
            raise GitError(
                f"base {base} ({base_sha[:10]}) is not an ancestor of head {head} ({head_sha[:10]}): pass the "
                f"pull request's merge base or target commit as --base (GitHub: the base sha with the merge ref "
                f"as head; GitLab: $CI_MERGE_REQUEST_DIFF_BASE_SHA) and {FETCH_HINT}"
            )
        report = Report(base_sha, head_sha)
        checker = _Checker(repo, options)
        commits = repo.commits(base_sha, head_sha)
        report.commits = len(commits)
        for sha, parents in commits:
            checker.check_commit(sha, parents, report)
        return report


def parse_time(text: str) -> dt.datetime:
    """A ``--trusted-time`` value: ISO 8601 (a date, or a date-time; UTC when no offset is given)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--trusted-time {text!r} is not an ISO 8601 date or date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# ------------------------------------------------------------------------------------------------ reports


def render(report: Report, fmt: str, explain: bool = False) -> str:
    """The report as text, JSON or GitHub annotations; ``explain`` lists allowed decisions too."""
    shown = report.verdicts if explain else report.violations
    if fmt == "json":
        payload = {
            "ok": report.ok,
            "base": report.base,
            "head": report.head,
            "commits": report.commits,
            "changes": report.changes,
            "violations": [v.as_dict() for v in report.violations],
        }
        if explain:
            payload["decisions"] = [v.as_dict() for v in report.verdicts]
        return json.dumps(payload, indent=2, ensure_ascii=False)
    lines = [v.as_text() for v in shown]
    if fmt == "github":
        lines = [_github(v) if not v.allowed else v.as_text() for v in shown]
    return "\n".join([*lines, summary(report)])


def summary(report: Report) -> str:
    bad = report.violations
    if not bad:
        return f"ok: {report.commits} commit(s), {report.changes} change(s) checked, every change allowed"
    commits = len({v.commit for v in bad})
    return f"{len(bad)} violation(s) in {commits} commit(s); {report.commits} commit(s) checked"


def markdown(report: Report) -> str:
    """The report as a Markdown table, for ``$GITHUB_STEP_SUMMARY``."""
    lines = ["## portal check-roles", "", summary(report), ""]
    if report.violations:
        lines += ["| commit | author | file | rule | holds | needs | what |", "|---|---|---|---|---|---|---|"]
        for v in report.violations:
            cells = [v.commit[:10], v.author, v.where, f"`{v.rule}`", v.held, v.needed, f"{v.message} ({v.hint})"]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _github(v: Verdict) -> str:
    message = f"{v.commit[:10]} {v.author}: {v.message}; holds {v.held}, needs {v.needed} ({v.hint})"
    where = f"file={_prop(v.file)},line={v.line}," if v.file else ""
    return f"::error {where}title={_prop('check-roles ' + v.rule)}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


# ------------------------------------------------------------------------------------------------ portal can

ACTIONS: dict[str, str] = {
    "create": "PATH: create the content file at PATH (relative to content/)",
    "edit": "PATH: edit the content file at PATH",
    "delete": "PATH: delete the content file at PATH",
    "create-org": "ORG: create the organization ORG, as its admin",
    "add-member": "ORG/USER: add USER to ORG as editor",
    "remove-member": "ORG/USER: remove USER from ORG (yourself: leave)",
    "set-role": "ORG/USER: switch USER between editor and admin",
    "post": "PATH: add a message to the discussion at PATH (or open it)",
    "close": "PATH: close the discussion at PATH",
    "reopen": "PATH: reopen the discussion at PATH",
    "request": "ORG: ask to join ORG",
    "withdraw": "ORG: withdraw your pending request to join ORG",
    "accept": "ORG/USER: accept USER's request (adding USER in the same commit)",
    "refuse": "ORG/USER: refuse USER's request (with a refusal comment)",
}


class _FolderFacts:
    """:class:`rules.Facts` of the working tree, for a dry run; ``after`` overrides members once applied."""

    def __init__(self, content: Path, members_after: dict[str, dict[str, str]] | None = None):
        self.content = content
        self._after = members_after or {}

    def data(self, path: str) -> Version:
        file = self.content / path
        if not file.is_file():
            return rules.ABSENT
        try:
            raw = file.read_bytes()
        except OSError:
            return Version(True, None, False)
        return parse_blob(raw, path, keep_nodes=False).version

    def members(self, org: str) -> dict[str, str] | None:
        members = rules.members_of(self.data(f"organizations/{org}/organization.yaml").mapping)
        return {user: entries[0][0] for user, entries in members.items()} if members else None

    def role(self, org: str, user: str) -> str | None:
        return (self.members(org) or {}).get(user)

    def members_after(self, org: str) -> dict[str, str] | None:
        return self._after.get(org, self.members(org))

    def harvester_exists(self, org: str, name: str) -> bool:
        return (self.content / f"organizations/{org}/harvesters/{name}.yaml").is_file()

    def org_deleted(self, org: str) -> bool:
        return False

    def user_deleted(self, user: str) -> bool:
        return False

    def actor(self, who: str) -> Actor:
        site = self.data("site.yaml").mapping or {}
        maintainers, bots = _names(site, "maintainers"), _names(site, "bots")
        users: dict[str, str] = {}
        for file in sorted((self.content / "users").glob("*.yaml")):
            data = self.data(f"users/{file.name}").mapping or {}
            for email in data.get("emails") or []:
                if isinstance(email, str):
                    users[email_key(email)] = file.stem
        if "@" in who:
            username = users.get(email_key(who))
            return Actor(who, username, username in maintainers, username in bots)
        if not (self.content / "users" / f"{who}.yaml").is_file():
            raise UsageError(f"no user {who!r} in {self.content}/users: pass an email for someone not registered")
        email = next((e for e, u in users.items() if u == who), f"{who}@unknown")
        return Actor(email, who, who in maintainers, who in bots)


def can(content: Path, who: str, action: str, target: str) -> list[Decision]:
    """Would ``who`` (username or email) be allowed ``action`` on ``target``? The decisions the checker
    would make for that change, judged against the content folder as it is now (a dry run, no git)."""
    content = Path(content)
    if not content.is_dir():
        raise UsageError(f"no content folder at {content} (pass --content DIR)")
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
    facts = _FolderFacts(content)
    actor = facts.actor(who)
    me = actor.username
    target = target.removeprefix(CONTENT).strip("/")
    org, _, user = target.partition("/")
    if action in ("add-member", "remove-member", "set-role", "accept", "refuse") and not user:
        raise UsageError(f"{action} takes ORG/USER, not {target!r}")
    if action == "create-org":
        action, target = "create", f"organizations/{target}/organization.yaml"
    if action in ("add-member", "remove-member", "set-role"):
        path = f"organizations/{org}/organization.yaml"
        old = _existing(facts, path)
        members = [dict(m) for m in old.data.get("members", []) if isinstance(m, dict)]
        if action == "add-member":
            members.append({"user": user, "role": "editor", "since": dt.date.today().isoformat()})
        elif action == "remove-member":
            members = [m for m in members if m.get("user") != user]
        else:
            for m in members:
                if m.get("user") == user:
                    m["role"] = "editor" if m.get("role") == "admin" else "admin"
        return rules.judge(actor, facts, path, old, Version(True, {**old.data, "members": members}))
    if action in ("post", "close", "reopen"):
        old = facts.data(target)
        data = dict(old.mapping or {})
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if action == "post" or not old.exists:
            message = {"author": me, "posted": stamp, "content": "..."}
            data["messages"] = [*(data.get("messages") or []), message]
        if action == "close":
            data.update(closed=stamp, closed_by=me)
        elif action == "reopen":
            data.pop("closed", None)
            data.pop("closed_by", None)
        return rules.judge(actor, facts, target, old, Version(True, data))
    if action in ("request", "withdraw"):
        path = f"organizations/{org}/requests/{me}.yaml"
        if action == "request":
            data = {"user": me, "comment": "...", "created": "", "status": "pending"}
            return rules.judge(actor, facts, path, facts.data(path), Version(True, data))
        return rules.judge(actor, facts, path, _existing(facts, path), rules.ABSENT)
    if action in ("accept", "refuse"):
        path = f"organizations/{org}/requests/{user}.yaml"
        old = _existing(facts, path)
        data = {**old.data, "status": f"{action}ed", "handled_by": me, "handled": ""}
        if action == "refuse":
            data["refusal_comment"] = "..."
        else:
            role = old.data.get("role") or "editor"
            facts = _FolderFacts(content, {org: {**(facts.members(org) or {}), user: role}})
        return rules.judge(actor, facts, path, old, Version(True, data))
    old = facts.data(target)
    if action == "create":
        if old.exists:
            raise UsageError(f"{target} already exists: use edit")
        return rules.judge(actor, facts, target, old, Version(True, _new_file(target, actor)))
    old = _existing(facts, target)
    if action == "delete":
        return rules.judge(actor, facts, target, old, rules.ABSENT)
    data = dict(old.mapping or {})
    if "description" in data and target.endswith("organization.yaml"):
        data["description"] = f"{data['description']} "
    return rules.judge(actor, facts, target, old, Version(True, data))


def _existing(facts: _FolderFacts, path: str) -> Version:
    version = facts.data(path)
    if not version.exists:
        raise UsageError(f"{path} does not exist in the content folder")
    if version.mapping is None:
        raise UsageError(f"{path} does not parse: fix it first (portal validate)")
    return version


def _new_file(path: str, actor: Actor) -> dict[str, Any]:
    location = rules.classify(path)
    kind = location.kind if location else None
    if kind == "user":
        return {"name": location.user, "emails": [actor.email]}
    if kind == "organization":
        return {"name": location.org, "members": [{"user": actor.username, "role": "admin"}]}
    if kind == "request":
        return {"user": actor.username, "status": "pending"}
    if kind == "discussion":
        return {"subject": "", "title": "", "messages": [{"author": actor.username, "posted": "", "content": ""}]}
    return {}


def explain(decision: Decision, who: str) -> str:
    """One line per decision: allowed or denied, the rule, what, the role held and needed."""
    verdict = "allowed" if decision.allowed else "denied"
    text = f"{verdict}: {decision.rule}: {who} {decision.message}; holds {decision.held}, needs {decision.needed}"
    return text if decision.allowed else f"{text} ({decision.hint})"
