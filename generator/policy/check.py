"""``portal check-roles``: judge what a pull request changes on the target branch, with the target's rights.

The pipeline (docs/roles.md, "Semantics"):

1. the net change: the paths that differ between ``base`` (the target branch as it is now) and ``head`` (or
   git's merge of head into base). Only these can be denied;
2. each commit of ``base..head``, parents first, by its *own* change: against its parent, or for a merge
   against git's own merge of its parents (so a merge that takes an old version of a file is that change's
   author's), a root commit against the empty tree;
3. that change applied to the :class:`Approved` state (base plus every allowed change so far), as a rebase
   would apply it, and judged by :func:`generator.policy.rules.judge` with the rights of the approved state;
4. coverage: every path of the net change must end as the allowed changes made it.

Only the touched files, ``site.yaml``, the user files and the ``organization.yaml`` of touched organizations
are ever read, each blob parsed once.
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
    counted: bool = True  # False: the path is the same in base and head, so the decision cannot deny

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
        text = f"{head}; {self.author} holds {self.held}, needs {self.needed} ({self.hint})"
        return text if self.counted else f"not counted (base and head agree on this file) {text}"

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
            "counted": self.counted,
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
        """The denied decisions that count: on a path the pull request changes."""
        return [v for v in self.verdicts if not v.allowed and v.counted]

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


Entry = tuple[str, str]  # (mode, blob id) of a path in a tree; None where there is nothing
_FILE_MODES = ("100644", "100755")


@dataclass
class Person:
    emails: tuple[str, ...]  # lowercased
    keys: list[str]


def person(data: Any) -> Person | None:
    """What a user file says about identity: its emails and signing keys (any YAML type tolerated)."""
    if not isinstance(data, dict):
        return None
    emails = data.get("emails")
    keys = data.get("signing_keys")
    return Person(
        tuple(email_key(e) for e in emails if isinstance(e, str)) if isinstance(emails, list) else (),
        [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else [],
    )


@dataclass
class Users:
    """The users of one state: who an email is, and which keys sign for them."""

    people: dict[str, Person] = field(default_factory=dict)
    _by_email: dict[str, str | None] | None = None

    def lookup(self, email: str) -> str | None:
        if self._by_email is None:
            self._by_email = {}
            for username, who in sorted(self.people.items()):
                for key in dict.fromkeys(who.emails):
                    # an email listed by two users identifies neither (validate reports duplicate-email)
                    self._by_email[key] = username if key not in self._by_email else None
        return self._by_email.get(email_key(email))

    def keys(self, username: str | None) -> list[str]:
        who = self.people.get(username or "")
        return who.keys if who else []


class Approved:
    """The approved state of a check: the target branch (base) with every allowed change of the pull request
    applied so far, in commit order. Rights (maintainers, bots, users and their keys, members, harvesters) are
    read here and nowhere else, so a right taken by a denied change never counts, and no older state of the
    repository (a fork point, a root commit's empty tree) is ever consulted.

    Implements :class:`rules.Snapshot` (content-relative paths); ``entry`` takes repository paths.
    """

    def __init__(self, checker: _Checker, tree: str):
        self.checker, self.tree = checker, tree
        self.overlay: dict[str, Entry | None] = {}
        self._users: Users | None = None

    def entry(self, path: str) -> Entry | None:
        if path in self.overlay:
            return self.overlay[path]
        return self.checker.repo.entry(self.tree, path)

    def apply(self, path: str, entry: Entry | None) -> None:
        self.overlay[path] = entry
        if path.startswith(USERS):
            self._users = None

    def version(self, path: str) -> Version:
        return self.parsed(CONTENT + path).version

    def parsed(self, path: str) -> Parsed:
        entry = self.entry(path)
        if entry is None or entry[0] not in _FILE_MODES:
            return Parsed(rules.ABSENT)
        return self.checker.parse(entry[1], path)

    def site(self) -> tuple[frozenset[str], frozenset[str]]:
        """(maintainers, bots)."""
        data = self.parsed(CONTENT + "site.yaml").version.mapping
        return listed(data, "maintainers"), listed(data, "bots")

    def users(self) -> Users:
        if self._users is None:
            users = Users(dict(self.checker.base_users(self.tree).people))
            for path, entry in self.overlay.items():
                username = _user_file(path)
                if username is None:
                    continue
                users.people.pop(username, None)
                if entry is not None and entry[0] in _FILE_MODES:
                    found = person(self.checker.parse(entry[1], path).version.mapping)
                    if found is not None:
                        users.people[username] = found
            self._users = users
        return self._users

    def actor(self, email: str) -> Actor:
        username = self.users().lookup(email)
        maintainers, bots = self.site()
        return Actor(email, username, username in maintainers, username in bots)


USERS = CONTENT + "users/"


def _user_file(path: str) -> str | None:
    """The username of ``content/users/<u>.yaml``, None for any other path."""
    rest = path[len(USERS) :] if path.startswith(USERS) else ""
    return rest[: -len(".yaml")] if rest.endswith(".yaml") and "/" not in rest and len(rest) > 5 else None


def listed(data: dict | None, key: str) -> frozenset[str]:
    """The strings of the list ``data[key]`` (``maintainers``, ``bots`` of site.yaml); any other type: none."""
    value = data.get(key) if isinstance(data, dict) else None
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


@dataclass(frozen=True)
class Own:
    """A path a commit changed by itself: against its parent, or, for a merge, against git's own merge of its
    parents. ``before`` is the version the commit changed; ``strict`` when there is none to trust (a merge
    conflict resolved by hand, an octopus merge), so the change is judged against the approved state."""

    path: str
    before: Entry | None
    after: Entry | None
    strict: bool = False


@dataclass(frozen=True)
class Transition:
    """What a commit's own change does to the approved state: ``old`` -> ``new``, the change that is judged.
    ``applies`` is False for a change judged as made (on an old version it cannot be applied to)."""

    path: str
    old: Entry | None
    new: Entry | None
    applies: bool = True


# ----------------------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Options:
    actor: str | None = None
    require_signatures: bool = False
    trusted_time: dt.datetime | None = None  # None: the time of the check


class _Checker:
    def __init__(self, repo: Repo, options: Options, base_tree: str, net: set[str]):
        self.repo, self.options = repo, options
        self.when = options.trusted_time or dt.datetime.now(dt.UTC)
        self.net = net
        self.approved = Approved(self, base_tree)
        self.touched: dict[str, str] = {}  # path -> last commit whose own change touched it
        self.reported: set[str] = set()  # paths changed by a commit whose identity check failed
        self._parsed: dict[str, Parsed] = {}
        self._users: dict[str, Users] = {}  # by tree id of content/users

    def parse(self, oid: str, path: str, keep_nodes: bool = True) -> Parsed:
        if oid not in self._parsed:
            self._parsed[oid] = parse_blob(self.repo.blob(oid), path, keep_nodes)
        return self._parsed[oid]

    def base_users(self, tree: str) -> Users:
        entry = self.repo.entry(tree, USERS.rstrip("/"))
        if entry is None or entry[0] != "40000":
            return Users()
        if entry[1] not in self._users:
            users = Users()
            for name, (mode, blob) in self.repo.tree(entry[1]).items():
                username = _user_file(USERS + name)
                if mode in _FILE_MODES and username is not None:
                    found = person(self.parse(blob, USERS + name, keep_nodes=False).version.mapping)
                    if found is not None:
                        users.people[username] = found
            self._users[entry[1]] = users
        return self._users[entry[1]]

    def version(self, entry: Entry | None, path: str) -> Parsed:
        if entry is None:
            return Parsed(rules.ABSENT)
        if entry[0] not in _FILE_MODES:  # symbolic links and submodules: never content
            return Parsed(Version(True, None, False))
        location = classify(path[len(CONTENT) :]) if path.startswith(CONTENT) else None
        if location is None or location.kind not in rules.READS_CONTENT:
            return self.text(entry[1])  # the rule does not look inside: only the text, for the changed line
        return self.parse(entry[1], path)

    def text(self, oid: str) -> Parsed:
        key = f"text:{oid}"
        if key not in self._parsed:
            raw = self.repo.blob(oid) or b""
            self._parsed[key] = Parsed(Version(True, None, True), None, raw.decode("utf-8", errors="replace"))
        return self._parsed[key]

    # -------------------------------------------------------------------------------------- what a commit did

    def own_changes(self, commit: Commit) -> list[Own]:
        parents = commit.parents
        if len(parents) == 2:
            auto, conflicts = self.repo.merge_tree(*parents)
            owns = [
                Own(c.path, _entry(c, "old"), _entry(c, "new"), c.path in conflicts)
                for c in self.repo.diff(auto, commit.tree)
            ]
            seen = {own.path for own in owns}
            for path in sorted(conflicts - seen):  # resolved by hand as git's conflicted version: still the author's
                entry = self.repo.entry(commit.tree, path)
                owns.append(Own(path, None, entry, True))
            return owns
        old = self.repo.commit(parents[0]).tree if parents else self.repo.empty_tree
        strict = len(parents) > 2  # an octopus merge: whatever differs from its first parent is its author's
        return [Own(c.path, _entry(c, "old"), _entry(c, "new"), strict) for c in self.repo.diff(old, commit.tree)]

    def transition(self, own: Own) -> Transition:
        """The change as if the commit were rebased onto the approved state (see docs/roles.md)."""
        current = self.approved.entry(own.path)
        if own.strict or own.before == current:
            return Transition(own.path, current, own.after)
        merged = self._merge(own.before, current, own.after)
        if merged is not None:
            return Transition(own.path, current, merged)
        location = classify(own.path[len(CONTENT) :]) if own.path.startswith(CONTENT) else None
        if location is not None and location.kind == "discussion":
            # append-only files: a message added to an old version is judged as added (both sides appending
            # is a conflict for git); what lands is judged again where the branches are merged
            return Transition(own.path, own.before, own.after, applies=False)
        return Transition(own.path, current, own.after)

    def _merge(self, base: Entry | None, ours: Entry | None, theirs: Entry | None) -> Entry | None:
        sides = (base, ours, theirs)
        if any(side is None or side[0] not in _FILE_MODES for side in sides):
            return None
        raws = [self.repo.blob(side[1]) for side in sides]
        if any(raw is None for raw in raws):
            return None
        merged = self.repo.merge_file(*raws)
        return None if merged is None else (theirs[0], self.repo.write_blob(merged))

    # -------------------------------------------------------------------------------------------- judging

    def check_commit(self, sha: str, report: Report) -> None:
        commit = self.repo.commit(sha)
        transitions = [t for own in self.own_changes(commit) if (t := self.transition(own)).old != t.new]
        if not transitions:  # a clean merge, or changes the target branch already has: nothing of its own
            return
        report.changes += len(transitions)
        actor = self.approved.actor(commit.author_email)
        verdict = _VerdictMaker(commit, actor, counted=any(t.path in self.net for t in transitions))
        identity = self._identity(commit, actor, transitions, verdict)
        report.verdicts.extend(identity)
        trusted = all(v.allowed for v in identity)  # a commit whose author or signature fails changes nothing
        if not trusted:
            self.reported.update(t.path for t in transitions)
        sides = {t.path: (self.version(t.old, t.path), self.version(t.new, t.path)) for t in transitions}
        after = {path[len(CONTENT) :]: new.version for path, (_, new) in sides.items() if path.startswith(CONTENT)}
        facts = rules.ChangeFacts(self.approved, after)
        allowed: dict[str, bool] = {}
        for t in transitions:
            old, new = sides[t.path]
            content_path = t.path[len(CONTENT) :] if t.path.startswith(CONTENT) else None
            for decision in rules.judge(actor, facts, content_path, old.version, new.version):
                found = verdict.make(decision, t.path, old, new, t.path in self.net)
                report.verdicts.append(found)
                allowed[t.path] = allowed.get(t.path, True) and decision.allowed
            self.touched[t.path] = sha
        for t in transitions:  # rights change only through allowed changes, once the whole commit is judged
            if trusted and t.applies and allowed.get(t.path, True):
                self.approved.apply(t.path, t.new)

    def coverage(self, final_tree: str, head: str, report: Report) -> None:
        """Every path the pull request changes must end as its allowed commits made it."""
        flagged = {v.file for v in report.violations} | {display(path) for path in self.reported}
        for path in sorted(self.net):
            if display(path) in flagged:
                continue
            final = self.repo.entry(final_tree, path)
            if self.approved.entry(path) == final:
                continue
            sha = self.touched.get(path, head)
            commit = self.repo.commit(sha)
            actor = self.approved.actor(commit.author_email)
            state = "deleted" if final is None else "as it is in head"
            message = (
                f"leaves {display(path)} {state}, which is not what the pull request's allowed commits make of it "
                "applied to the target branch"
            )
            maker = _VerdictMaker(commit, actor, counted=True)
            report.verdicts.append(
                maker.commit_level(
                    "net-change",
                    False,
                    rules.held_in(actor, None, None),
                    "changes made by allowed commits",
                    message,
                    path,
                )
            )

    def _identity(self, commit: Commit, actor: Actor, transitions: list[Transition], verdict) -> list[Verdict]:
        found: list[Verdict] = []
        users = self.approved.users()
        claimed, keys = actor.username, users.keys(actor.username)
        if actor.username is None:  # self-registration: the user file this commit creates for its email
            for t in transitions:
                username = _user_file(t.path)
                if username is None or t.new is None or self.approved.entry(t.path) is not None:
                    continue
                who = person(self.version(t.new, t.path).version.mapping)
                if who is not None and email_key(commit.author_email) in who.emails:
                    claimed, keys = username, who.keys
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


def _entry(change: FileChange, side: str) -> Entry | None:
    if side == "old":
        return (change.old_mode, change.old_oid) if change.old_oid is not None else None
    return (change.new_mode, change.new_oid) if change.new_oid is not None else None


def display(path: str) -> str:
    """A repository path as text that can be printed: bytes that are not UTF-8 as ``\\xNN`` escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _VerdictMaker:
    def __init__(self, commit: Commit, actor: Actor, counted: bool = True):
        self.commit, self.actor, self.counted = commit, actor, counted

    def commit_level(
        self, rule: str, ok: bool, held: str, needed: str, message: str, file: str | None = None
    ) -> Verdict:
        c = self.commit
        shown = display(file) if file is not None else None
        return Verdict(
            c.sha,
            self.actor.describe(),
            c.author_email,
            shown,
            0 if file is None else 1,
            rule,
            ok,
            held,
            needed,
            message,
            self.counted,
        )

    def make(self, decision: Decision, path: str, old: Parsed, new: Parsed, counted: bool) -> Verdict:
        c = self.commit
        return Verdict(
            c.sha,
            self.actor.describe(),
            c.author_email,
            display(path),
            _line(decision, old, new),
            decision.rule,
            decision.allowed,
            decision.held,
            decision.needed,
            decision.message,
            counted,
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
    """Judge what ``head`` changes on the target branch ``base``; see the module docstring and docs/roles.md.

    ``base`` is the target branch as it is now. When it is not an ancestor of ``head`` (a branch that has not
    merged the latest target), ``head`` is judged as git would merge it into ``base``. Raises
    :class:`~generator.policy.git.GitError` (exit 2) when it cannot check: git missing, unknown revisions, a
    shallow clone, no common history, or a pull request that does not merge cleanly. It never passes by default.
    """
    options = options or Options()
    with Repo(where) as repo:
        if repo.is_shallow():
            raise GitError(f"the clone is shallow, so the commits cannot all be read: {FETCH_HINT}")
        base_sha, head_sha = repo.resolve(base), repo.resolve(head)
        base_tree = repo.commit(base_sha).tree
        if repo.is_ancestor(base_sha, head_sha):
            final_tree = repo.commit(head_sha).tree
        else:
            if repo.merge_base(base_sha, head_sha) is None:
                raise GitError(
                    f"head {head} ({head_sha[:10]}) shares no history with base {base} ({base_sha[:10]}): a pull "
                    "request must start from the target branch (unrelated histories are never checked against an "
                    f"empty portal); check that --base names the target branch, and {FETCH_HINT}"
                )
            final_tree, conflicts = repo.merge_tree(base_sha, head_sha)
            if conflicts:
                shown = ", ".join(display(p) for p in sorted(conflicts)[:5])
                raise GitError(
                    f"head {head} ({head_sha[:10]}) does not merge cleanly into base {base} ({base_sha[:10]}): "
                    f"conflicts in {shown}; merge or rebase the target branch into the pull request first"
                )
        net = {change.path for change in repo.diff(base_tree, final_tree)}
        report = Report(base_sha, head_sha)
        checker = _Checker(repo, options, base_tree, net)
        commits = repo.commits(base_sha, head_sha)
        report.commits = len(commits)
        for sha, _parents in commits:
            checker.check_commit(sha, report)
        checker.coverage(final_tree, head_sha, report)
        return report


def parse_time(text: str) -> dt.datetime:
    """A ``--trusted-time`` value: ISO 8601 (a date, or a date-time; UTC when no offset is given)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return when.astimezone(dt.UTC)  # an offset may carry it past year 1 or 9999
    except (ValueError, OverflowError):
        raise UsageError(
            f"--trusted-time {text!r} is not an ISO 8601 date or date-time between years 1 and 9999 "
            "(for example 2024-06-01T12:00:00Z)"
        ) from None


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


class FolderSnapshot:
    """:class:`rules.Snapshot` of a content folder on disk (the working tree), for dry runs."""

    def __init__(self, content: Path):
        self.content = content

    def version(self, path: str) -> Version:
        file = self.content / path
        if file.is_symlink() or not file.is_file():
            return rules.ABSENT
        try:
            raw = file.read_bytes()
        except OSError:
            return Version(True, None, False)
        return parse_blob(raw, path, keep_nodes=False).version

    def users(self) -> Users:
        users = Users()
        for file in sorted((self.content / "users").glob("*.yaml")):
            found = person(self.version(f"users/{file.name}").mapping)
            if found is not None:
                users.people[file.stem] = found
        return users

    def actor_of(self, email: str, users: Users | None = None) -> Actor:
        """The actor an email is here: the same lookup as the checker's approved state."""
        username = (users or self.users()).lookup(email)
        maintainers, bots = self.site()
        return Actor(email, username, username in maintainers, username in bots)

    def site(self) -> tuple[frozenset[str], frozenset[str]]:
        """(maintainers, bots)."""
        site = self.version("site.yaml").mapping
        return listed(site, "maintainers"), listed(site, "bots")

    def actor(self, who: str) -> Actor:
        """``who`` as a username or, with an ``@``, an email (someone not registered yet)."""
        users = self.users()
        if "@" in who:
            return self.actor_of(who, users)
        if who not in users.people:
            raise UsageError(f"no user {who!r} in {self.content}/users: pass an email for someone not registered")
        maintainers, bots = self.site()
        emails = users.people[who].emails
        return Actor(emails[0] if emails else f"{who}@unknown", who, who in maintainers, who in bots)


def can(content: Path, who: str, action: str, target: str) -> list[Decision]:
    """Would ``who`` (username or email) be allowed ``action`` on ``target``? The decisions the checker
    would make for that change, judged against the content folder as it is now (a dry run, no git), with
    the same facts (:class:`rules.ChangeFacts`) as ``check-roles`` and the contributor commands."""
    content = Path(content)
    if not content.is_dir():
        raise UsageError(f"no content folder at {content} (pass --content DIR)")
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
    snap = FolderSnapshot(content)
    actor = snap.actor(who)
    return judge_changes(actor, snap, _would_change(snap, actor, action, target))


def judge_changes(actor: Actor, before: rules.Snapshot, changes: dict[str, Version]) -> list[Decision]:
    """Every decision about a change set (content path -> new version) made by ``actor`` on ``before``."""
    facts = rules.ChangeFacts(before, changes)
    decisions: list[Decision] = []
    for path, new in changes.items():
        decisions.extend(rules.judge(actor, facts, path, before.version(path), new))
    return decisions


def _would_change(snap: FolderSnapshot, actor: Actor, action: str, target: str) -> dict[str, Version]:
    """The change set an action makes, as the contributor commands would write it."""
    me = actor.username
    target = target.removeprefix(CONTENT).strip("/")
    org, _, user = target.partition("/")
    if action in ("add-member", "remove-member", "set-role", "accept", "refuse") and not user:
        raise UsageError(f"{action} takes ORG/USER, not {target!r}")
    if action == "create-org":
        action, target = "create", rules.org_file(target)
    if action in ("add-member", "remove-member", "set-role"):
        path = rules.org_file(org)
        old = _existing(snap, path)
        members = [dict(m) for m in old.data.get("members", []) if isinstance(m, dict)]
        if action == "add-member":
            members.append({"user": user, "role": "editor", "since": dt.date.today().isoformat()})
        elif action == "remove-member":
            members = [m for m in members if m.get("user") != user]
        else:
            for m in members:
                if m.get("user") == user:
                    m["role"] = "editor" if m.get("role") == "admin" else "admin"
        return {path: Version(True, {**old.data, "members": members})}
    if action in ("post", "close", "reopen"):
        old = snap.version(target)
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
        return {target: Version(True, data)}
    if action in ("request", "withdraw"):
        path = f"organizations/{org}/requests/{me}.yaml"
        if action == "request":
            return {path: Version(True, {"user": me, "comment": "...", "created": "", "status": "pending"})}
        _existing(snap, path)
        return {path: rules.ABSENT}
    if action in ("accept", "refuse"):
        path = f"organizations/{org}/requests/{user}.yaml"
        old = _existing(snap, path)
        data = {**old.data, "status": f"{action}ed", "handled_by": me, "handled": ""}
        if action == "refuse":
            return {path: Version(True, {**data, "refusal_comment": "..."})}
        organization = _existing(snap, rules.org_file(org)).data
        members = [m for m in organization.get("members") or [] if isinstance(m, dict)]
        members.append({"user": user, "role": old.data.get("role") or "editor"})
        return {path: Version(True, data), rules.org_file(org): Version(True, {**organization, "members": members})}
    old = snap.version(target)
    if action == "create":
        if old.exists:
            raise UsageError(f"{target} already exists: use edit")
        return {target: Version(True, _new_file(target, actor))}
    old = _existing(snap, target)
    if action == "delete":
        return {target: rules.ABSENT}
    data = dict(old.mapping or {})
    if "description" in data and target.endswith("organization.yaml"):
        data["description"] = f"{data['description']} "
    return {target: Version(True, data)}


def _existing(snap: FolderSnapshot, path: str) -> Version:
    version = snap.version(path)
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
