"""Contributor actions: the exact change a role rule accepts, made to the working tree of a content repository.

Every action (add a member, accept a request, open a discussion...) follows one path, :func:`apply`:

1. compute the new text of every touched file, editing YAML with ruamel.yaml's round trip so comments, key
   order, quoting and blank lines survive (only the lines the action adds or changes differ);
2. judge each change with :func:`generator.policy.rules.judge`, the very function ``portal check-roles``
   runs, with the actor and the rights read from the working tree as it is now (the parent of the commit to
   come), and refuse with the rule's message when any decision is denied;
3. validate the content folder as it would be (an overlay of the working tree, hard-linked where possible)
   and refuse any change that brings a new problem;
4. write every file atomically (temporary file in the same folder, fsync, rename), and on request make one
   git commit of exactly the touched paths.

Nothing here prints; failures are :class:`~generator.errors.PortalError` subclasses.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import io
import mimetypes
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from . import __version__
from .errors import ContentError, PortalError, Problem, UsageError
from .files import write_atomic
from .layout import SLUG_RE, classify, owned_path
from .load import display_path, repo_root_of
from .model import email_key
from .policy import rules
from .policy.check import FolderSnapshot, explain, judge_changes, listed, parse_blob
from .policy.rules import Actor, Decision, Version, org_file
from .validate import validate

CONTENT = "content"
NOW_ENV = "PORTAL_NOW"  # an ISO 8601 date-time that replaces the clock (reproducible examples and tests)


class EditError(PortalError):
    """The action cannot be made to this content (unknown organization, already a member...): exit 1."""

    exit_code = 1


class Denied(EditError):
    """A role rule refuses the change: the decisions say which rule, the role held and the role needed, and
    ``hints`` (one per decision) what this person can do next, as a command."""

    def __init__(self, who: str, decisions: list[Decision], hints: list[str] | None = None):
        self.decisions = decisions
        self.hints = hints or [d.hint for d in decisions]
        lines = []
        for decision, hint in zip(decisions, self.hints, strict=True):
            lines.append(explain(decision, who).removesuffix(f" ({decision.hint})"))
            lines.append(f"  next: {hint}")
        super().__init__("\n".join(lines))


# ------------------------------------------------------------------------------------------------ the clock


class Stamp(str):
    """A date-time written as a plain YAML scalar (``2024-06-01T12:00:00+02:00``), like people write it."""


def clock(value: str | None = None) -> dt.datetime:
    """Now, with its UTC offset and to the second; ``value`` (or ``$PORTAL_NOW``) replaces the clock."""
    value = value or os.environ.get(NOW_ENV)
    if value:
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"{value!r} is not an ISO 8601 date-time (e.g. 2024-06-01T12:00:00+02:00)") from exc
        return when if when.tzinfo else when.astimezone()
    return dt.datetime.now().astimezone().replace(microsecond=0)


# --------------------------------------------------------------------------------------------- YAML editing

_KEY_ONLY = re.compile(r"^(?P<indent> *)(?!- )[^\s#][^#]*?:\s*(?:#.*)?$")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation of a YAML text, as ruamel's ``YAML.indent`` takes them.

    ``members:\\n  - user: x`` is offset 2 (the dash), sequence 4 (the item's keys); the defaults are the
    style of the content folder: mapping 2, sequence 4, offset 2.
    """
    mapping = offset = None
    lines = text.splitlines()
    for prev, line in zip(lines, lines[1:], strict=False):
        found = _KEY_ONLY.match(prev)
        stripped = line.strip()
        if not found or not stripped or stripped.startswith("#"):
            continue
        base, indent = len(found["indent"]), len(line) - len(line.lstrip(" "))
        if stripped == "-" or stripped.startswith("- "):
            offset = indent - base if offset is None and indent >= base else offset
        elif indent > base and mapping is None:
            mapping = indent - base
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, max(offset + 2, mapping), offset


def _yaml(indent: tuple[int, int, int] = (2, 4, 2)) -> YAML:
    yaml = YAML()  # round trip: comments, key order, flow or block style, quotes (with preserve_quotes)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    yaml.allow_unicode = True
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.representer.add_representer(
        Stamp, lambda representer, data: representer.represent_scalar("tag:yaml.org,2002:timestamp", str(data))
    )
    return yaml


@dataclass
class YamlFile:
    """A YAML file loaded for a round trip: edit ``data`` in place, then :meth:`dump`."""

    path: str  # content-relative
    data: Any
    indent: tuple[int, int, int] = (2, 4, 2)
    bom: bool = False

    @classmethod
    def parse(cls, path: str, text: str) -> YamlFile:
        bom = text.startswith("\ufeff")
        text = text.removeprefix("\ufeff")
        indent = detect_indent(text)
        try:
            data = _yaml(indent).load(text)
        except Exception as exc:  # ruamel raises many kinds; the file is then not ours to edit
            raise EditError(f"content/{path} does not parse: fix it first (portal validate): {exc}") from exc
        if not isinstance(data, CommentedMap):
            raise EditError(f"content/{path} is not a YAML mapping: fix it first (portal validate)")
        return cls(path, data, indent, bom)

    @classmethod
    def new(cls, path: str, data: dict[str, Any]) -> YamlFile:
        return cls(path, _commented(data))

    def dump(self) -> str:
        out = io.StringIO()
        _yaml(self.indent).dump(self.data, out)
        return ("\ufeff" if self.bom else "") + out.getvalue()


def _commented(value: Any) -> Any:
    """Plain dicts and lists as ruamel's commented containers (so comments can be attached later)."""
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq(_commented(v) for v in value)
    return value


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """(container, key) of the deepest last element of ``node``, where ruamel keeps a trailing comment."""
    while True:
        if isinstance(node, CommentedMap) and len(node):
            key = list(node)[-1]
            child = node[key]
        elif isinstance(node, CommentedSeq) and len(node) and not node.fa.flow_style():
            key = len(node) - 1
            child = node[key]
        else:
            return None
        if isinstance(child, (CommentedMap, CommentedSeq)) and len(child):
            if isinstance(child, CommentedSeq) and child.fa.flow_style():
                return node, key
            node = child
            continue
        return node, key


def _take_trailing(node: Any) -> Any:
    """Detach what follows ``node``'s last line (blank lines, comments); None when nothing does.

    ruamel keeps it in one comment token with the end-of-line comment of that line, if any: the end-of-line
    comment stays, the rest is returned (as a token that starts with the end of the line it will follow).
    """
    slot = _last_slot(node)
    if slot is None:
        return None
    container, key = slot
    entry = container.ca.items.get(key)
    index = 2 if isinstance(container, CommentedMap) else 0
    token = entry[index] if entry else None
    if token is None or "\n" not in token.value:
        return None
    head, rest = token.value.split("\n", 1)
    if not rest:
        return None
    moved = copy.copy(token)
    moved.value = "\n" + rest
    if head.strip():
        token.value = head + "\n"
    else:
        entry[index] = None
    return moved


def _put_trailing(node: Any, token: Any) -> None:
    slot = _last_slot(node) if token is not None else None
    if slot is None:
        return
    container, key = slot
    if isinstance(container, CommentedMap):
        container.ca.items[key] = [None, None, token, None]
    else:
        container.ca.items[key] = [token, None]


def append_item(seq: CommentedSeq, item: Any) -> Any:
    """Append to a block sequence so the new item lands right after the last one, before any blank line or
    comment that followed the sequence (ruamel attaches those to the last item)."""
    item = _commented(item)
    token = _take_trailing(seq[-1]) if len(seq) and not seq.fa.flow_style() else None
    seq.append(item)
    _put_trailing(item, token)
    return item


def remove_item(seq: CommentedSeq, index: int) -> None:
    """Remove an item, handing what followed the sequence to the new last item."""
    token = _take_trailing(seq[index]) if index == len(seq) - 1 else None
    del seq[index]
    if len(seq):
        _put_trailing(seq[-1], token)


# ------------------------------------------------------------------------------------------------------ git


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
        done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc.strerror}") from exc
    if check and done.returncode != 0:
        raise EditError(f"git {args[0]} failed: {done.stderr.strip()}")
    return done


def find_repo(start: Path) -> Path:
    """The root of the git work tree holding ``start``; a usage error (exit 2) outside a repository."""
    start = Path(start)
    if not start.is_dir():
        raise UsageError(f"no folder at {start}")
    done = _git(start, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise UsageError(f"{start} is not in a git repository: run the command in a content repository (portal init)")
    return Path(done.stdout.strip())


_IDENT = re.compile(r"^(?P<name>.*?) ?<(?P<email>[^<>]*)> \d+ [+-]\d{4}$")


def git_email(root: Path) -> str:
    """The email of :func:`git_ident`: who the commands act as."""
    return git_ident(root)[1]


def git_editor(root: Path) -> str:
    """The editor git would open for a commit message (``GIT_EDITOR``, ``core.editor``, ``VISUAL``, ``EDITOR``)."""
    done = _git(root, "var", "GIT_EDITOR", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise UsageError("git knows no editor: git config core.editor 'nano' (or pass the text as an option)")
    return done.stdout.strip()


def git_ident(root: Path) -> tuple[str, str]:
    """(name, email): the author ident of the commit ``git commit`` would make here, asked of git itself
    (``git var GIT_AUTHOR_IDENT``): ``GIT_AUTHOR_EMAIL``, then ``user.email`` (per repository, ``includeIf``,
    global, system), then ``EMAIL``, exactly as git resolves them, so the commands and the commit they make
    are the same person."""
    done = _git(root, "var", "GIT_AUTHOR_IDENT", check=False)
    found = _IDENT.match(done.stdout.strip()) if done.returncode == 0 else None
    if found is None or not found["email"]:
        raise UsageError(
            "git does not know who you are (git var GIT_AUTHOR_IDENT failed): "
            "git config user.email you@example.org && git config user.name 'Your Name'"
        )
    return found["name"], found["email"]


# ------------------------------------------------------------------------------------------------ workspace


@dataclass(frozen=True)
class Change:
    """One file as an action leaves it: ``text`` None deletes it. ``path`` is content-relative."""

    path: str
    text: str | None


@dataclass
class Result:
    """What an action did: the paths it changed, one line per change for people, and the commit message."""

    changes: list[Change]
    summary: list[str]
    message: str
    commit: str | None = None
    decisions: list[Decision] = field(default_factory=list)
    files: list[str] | None = None  # repository-relative paths, when not only content files changed

    @property
    def paths(self) -> list[str]:
        """The changed files, relative to the repository root."""
        return self.files if self.files is not None else [f"{CONTENT}/{c.path}" for c in self.changes]


class Workspace:
    """A content repository's working tree, the person acting in it (their git email) and the time."""

    def __init__(self, root: Path, email: str, now: dt.datetime | None = None):
        self.root = Path(root)
        self.content = self.root / CONTENT
        self.email = email
        self.now = now or clock()
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())
        self._actor: Actor | None = None

    @classmethod
    def open(cls, start: Path = Path("."), now: dt.datetime | None = None, identity: bool = True) -> Workspace:
        """The workspace of the repository holding ``start``; without ``identity`` (reading only) git need not
        know who you are, and you act as no one."""
        root = find_repo(start)
        if not (root / CONTENT).is_dir():
            raise UsageError(f"no {CONTENT}/ folder in {root}: is it a portal content repository? (portal init)")
        if not identity:
            with contextlib.suppress(UsageError):
                return cls(root, git_email(root), now)
            return cls(root, "", now)
        return cls(root, git_email(root), now)

    # time
    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.now.isoformat())

    # reading
    def file(self, path: str) -> Path:
        return self.content / path

    def exists(self, path: str) -> bool:
        return self.file(path).is_file()

    def version(self, path: str) -> Version:
        """The file as the role rules see it (the same parser as ``check-roles``)."""
        return FolderSnapshot(self.content).version(path)

    def data(self, path: str) -> dict:
        return self.version(path).mapping or {}

    def load(self, path: str) -> YamlFile:
        file = self.file(path)
        if not file.is_file():
            raise EditError(f"content/{path} does not exist")
        try:
            return YamlFile.parse(path, file.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise EditError(f"cannot read content/{path}: {exc}") from exc

    def members(self, org: str) -> dict[str, str] | None:
        """user -> role of an organization in the working tree; None when it does not exist."""
        return rules.members_in(self.version(org_file(org)))

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = FolderSnapshot(self.content).actor_of(self.email)
        return self._actor

    @property
    def me(self) -> str:
        """The acting username; an error for an email no user lists."""
        username = self.actor.username
        if username is None:
            raise EditError(
                f"<{self.email}> is not the email of a registered user: register first "
                f"(portal user register USERNAME --name 'Your Name'), or set git config user.email"
            )
        return username

    def find(self, folder: str, slug: str) -> str | None:
        """The content path of the dataset, reuse or discussion ``slug`` (``folder`` = datasets|reuses|...)."""
        if not _is_slug(slug):
            return None
        for pattern in (f"organizations/*/{folder}/{slug}.yaml", f"users/*/{folder}/{slug}.yaml"):
            for file in sorted(self.content.glob(pattern)):
                return file.relative_to(self.content).as_posix()
        return None


# ------------------------------------------------------------------------------------------ judge and apply


def judge(ws: Workspace, changes: Iterable[Change]) -> list[Decision]:
    """Every decision ``check-roles`` would make about these changes committed by the workspace's actor: the
    same rules and the same facts (rights from the working tree, the commit's parent)."""
    after = {c.path: rules.ABSENT if c.text is None else parse_blob(c.text.encode(), c.path).version for c in changes}
    return judge_changes(ws.actor, ws, after)


def check_content(ws: Workspace, changes: list[Change], moved: dict[str, str] | None = None) -> list[Problem]:
    """The problems the content would have after the changes and does not have now (a moved file's problems
    are those it had at its old path)."""
    after = _validate_overlay(ws, changes)
    if not after:
        return []
    renamed = {f"/{old}": f"/{new}" for old, new in (moved or {}).items()}
    before = set()
    for p in validate(ws.content).problems:
        old = next((o for o in renamed if p.file.endswith(o)), None)
        file = p.file[: -len(old)] + renamed[old] if old else p.file
        before.add((file, p.code, p.message))
    return [p for p in after if (p.file, p.code, p.message) not in before]


def _validate_overlay(ws: Workspace, changes: list[Change]) -> list[Problem]:
    """Validate the would-be content folder: a hard-linked copy of the working tree with the changes applied."""
    git_dir = _git(ws.root, "rev-parse", "--absolute-git-dir", check=False).stdout.strip()
    parent = git_dir if git_dir and Path(git_dir).is_dir() else None  # same file system: hard links work
    with tempfile.TemporaryDirectory(prefix="portal-edit-", dir=parent) as tmp:
        overlay = Path(tmp) / CONTENT
        shutil.copytree(ws.content, overlay, symlinks=True, copy_function=_link_or_copy)
        for change in changes:
            target = overlay / change.path
            if target.is_file() or target.is_symlink():
                target.unlink()  # never write through a hard link into the real file
            if change.text is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(change.text.encode("utf-8"))
        shown, real = display_path(overlay, repo_root_of(overlay)), display_path(ws.content, repo_root_of(ws.content))
        return [
            replace(p, file=real + p.file[len(shown) :]) if p.file.startswith(shown) else p
            for p in validate(overlay).problems
        ]


_OF_ORG = re.compile(r" of (?P<org>[a-z0-9]+(?:-[a-z0-9]+)*)$")


def command_hint(ws: Workspace, decision: Decision) -> str:
    """What the refused person can do next, in the commands' words (check-roles' hints speak of files)."""
    found = _OF_ORG.search(decision.needed)
    org = found["org"] if found else None
    member = org is not None and (ws.members(org) or {}).get(ws.actor.username or "") is not None
    admins = ", ".join(_admins(ws, org)) if org else ""
    ask_admin = f"ask an admin of {org} ({admins or 'none listed'}) to run it"
    join = f"to join {org}: portal request create {org} --comment 'why'"
    maintainers = ", ".join(sorted(listed(ws.data("site.yaml"), "maintainers"))) or "none listed"
    if not ws.actor.registered:
        return "register first: portal user register USERNAME --name 'Your Name'"
    rule = decision.rule
    if rule in ("org-members", "org-profile", "org-delete", "harvester", "request-handle"):
        return f"{ask_admin}; you are a member already (portal org show {org})" if member else f"{ask_admin}; {join}"
    if rule == "org-content":
        return f"{join}; or publish under your own name with --personal"
    if rule == "user-edit":
        return "only that user may change their file and personal content; publish your own with --personal"
    if rule in ("discussion-history", "discussion-post"):
        return "discussions are append-only: add a message with portal discussion reply ID --message '...'"
    if rule == "discussion-close":
        return "ask an editor of the owner or the discussion's author; meanwhile: portal discussion reply ID"
    if rule == "discussion-follow":
        return "move or delete the dataset or reuse itself: portal dataset move|delete, portal reuse move|delete"
    if rule == "request-create":
        return "you are a member already (portal whoami); an admin changes roles: portal member set-role"
    if rule == "org-leave":
        return "leave only yourself: portal member leave ORG"
    return f"ask a maintainer of the portal ({maintainers})"


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def apply(
    ws: Workspace,
    changes: list[Change],
    message: str,
    summary: list[str],
    commit: bool = False,
    moved: dict[str, str] | None = None,
) -> Result:
    """Judge, validate, then write the changes (and commit them when asked); see the module docstring."""
    decisions = judge(ws, changes)
    denied = [d for d in decisions if not d.allowed]
    if denied:
        raise Denied(ws.actor.describe(), denied, [command_hint(ws, d) for d in denied])
    problems = check_content(ws, changes, moved)
    if problems:
        raise ContentError(problems)
    for change in changes:
        target = ws.file(change.path)
        try:
            if change.text is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                _prune(target.parent, ws.content)
            else:
                write_atomic(target, change.text)
        except OSError as exc:  # each file is whole (atomic writes); the files before it are written
            raise EditError(f"cannot write content/{change.path}: {exc.strerror} (see git status)") from exc
    result = Result(changes, summary, message, decisions=decisions)
    if commit:
        result.commit = commit_changes(ws, result)
    return result


def _prune(folder: Path, stop: Path) -> None:
    """Remove folders left empty by a deletion, up to the content folder."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def commit_changes(ws: Workspace, result: Result) -> str:
    """One commit of exactly the changed paths, as the configured git identity; returns its sha."""
    paths = result.paths
    known = set(_git(ws.root, "ls-files", "-z", "--", *paths).stdout.split("\0"))
    written = [p for p in paths if (ws.root / p).is_file()]
    deleted = [p for p in paths if p in known and not (ws.root / p).is_file()]  # an untracked file: nothing to do
    if written:
        _git(ws.root, "add", "--", *written)
    if deleted:
        _git(ws.root, "rm", "-q", "--cached", "--", *deleted)
    _git(ws.root, "commit", "-q", "-m", result.message, "--", *written, *deleted)
    return _git(ws.root, "rev-parse", "HEAD").stdout.strip()


# -------------------------------------------------------------------------------------------------- helpers


def slugify(value: str) -> str:
    """A slug of any title: ``Arrêts de bus (2024)`` -> ``arrets-de-bus-2024``."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())[:80].strip("-")


MAX_SLUG = 100  # a file name, with room for the folder: the system's limit is 255 bytes


def _is_slug(value: str) -> bool:
    return bool(SLUG_RE.match(value or "")) and len(value) <= MAX_SLUG


def _slug(value: str, what: str) -> str:
    if SLUG_RE.match(value or "") and not _is_slug(value):
        raise UsageError(f"the {what} {value[:20]}... is too long: at most {MAX_SLUG} characters")
    if not SLUG_RE.match(value or ""):
        suggestion = slugify(value or "")
        maybe = f" (did you mean {suggestion}?)" if suggestion else ""
        raise UsageError(f"{value!r} is not a valid {what}: lowercase letters a-z, digits and single hyphens{maybe}")
    return value


def _need_org(ws: Workspace, org: str) -> dict[str, str]:
    _slug(org, "organization slug")
    members = ws.members(org)
    if members is None:
        if ws.exists(org_file(org)):
            raise EditError(f"content/{org_file(org)} does not parse: fix it first (portal validate)")
        raise EditError(f"no organization {org} (content/{org_file(org)} does not exist)")
    return members


def _need_user(ws: Workspace, user: str) -> None:
    _slug(user, "username")
    if not ws.exists(f"users/{user}.yaml"):
        raise EditError(f"no user {user} (content/users/{user}.yaml does not exist)")


def _member_index(seq: Any, user: str) -> int | None:
    return next((i for i, m in enumerate(seq) if isinstance(m, dict) and m.get("user") == user), None)


def _owner(ws: Workspace, org: str | None, personal: bool) -> tuple[str, str]:
    if personal == (org is not None):
        raise UsageError("give either an organization or --personal")
    if personal:
        return ("user", ws.me)
    _need_org(ws, org)
    return ("organization", org)


def _changed(file: YamlFile) -> Change:
    return Change(file.path, file.dump())


# ---------------------------------------------------------------------------------------- users and orgs


def register(ws: Workspace, username: str, name: str, about: str = "", commit: bool = False) -> Result:
    """Create ``users/<username>.yaml`` listing the git email (self-registration)."""
    _slug(username, "username")
    if ws.actor.username is not None:
        raise EditError(f"<{ws.email}> is already the email of the user {ws.actor.username}")
    path = f"users/{username}.yaml"
    if ws.exists(path):
        raise EditError(f"the username {username} is taken (content/{path} exists)")
    data: dict[str, Any] = {"name": name, "emails": [ws.email]}
    if about:
        data["about"] = about
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Register {username}", [f"registered {username} <{ws.email}>"], commit)


def org_create(
    ws: Workspace, slug: str, name: str, description: str = "", acronym: str = "", url: str = "", commit=False
) -> Result:
    """Create an organization with the actor as its only admin. Given a name where the slug goes
    (``Ville de Test``), the error spells the command with the slug made of it (``ville-de-test``)."""
    me = ws.me
    if not SLUG_RE.match(slug or "") and slugify(slug or ""):
        quoted = shlex.quote(name or slug)
        raise UsageError(
            f"{slug!r} is not a valid organization slug (lowercase letters a-z, digits and single hyphens): "
            f"portal org create {slugify(slug)} --name {quoted}"
        )
    _slug(slug, "organization slug")
    if not name:
        raise UsageError(f"an organization needs a name: portal org create {slug} --name 'Its full name'")
    path = org_file(slug)
    if ws.exists(path):
        raise EditError(f"the organization {slug} already exists")
    data: dict[str, Any] = {"name": name}
    if acronym:
        data["acronym"] = acronym
    data["description"] = description or name
    if url:
        data["url"] = url
    data["created"] = ws.today
    data["members"] = [{"user": me, "role": "admin", "since": ws.today}]
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Create the organization {slug}", [f"created {slug}, with {me} as admin"], commit)


def org_delete(ws: Workspace, org: str, commit: bool = False) -> Result:
    """Delete an organization and every file under its folder."""
    _need_org(ws, org)
    folder = ws.file(f"organizations/{org}")
    files = sorted(p.relative_to(ws.content).as_posix() for p in folder.rglob("*") if p.is_file())
    changes = [Change(path, None) for path in files]
    return apply(ws, changes, f"Delete the organization {org}", [f"deleted {org} ({len(files)} file(s))"], commit)


def member_add(ws: Workspace, org: str, user: str, role: str = "editor", commit: bool = False) -> Result:
    members = _need_org(ws, org)
    _need_user(ws, user)
    if user in members:
        raise EditError(f"{user} is already {members[user]} of {org} (portal member set-role to change it)")
    file = ws.load(org_file(org))
    append_item(file.data["members"], {"user": user, "role": role, "since": ws.today})
    message = f"Add {user} to {org} as {role}"
    return apply(ws, [_changed(file)], message, [f"added {user} to {org} as {role}"], commit)


def member_remove(ws: Workspace, org: str, user: str, commit: bool = False) -> Result:
    members = _need_org(ws, org)
    if user not in members:
        raise EditError(f"{user} is not a member of {org}")
    file = ws.load(org_file(org))
    seq = file.data["members"]
    while (index := _member_index(seq, user)) is not None:
        remove_item(seq, index)
    leaving = user == ws.actor.username
    message = f"Leave {org}" if leaving else f"Remove {user} from {org}"
    summary = f"{ws.me} left {org}" if leaving else f"removed {user} from {org}"
    return apply(ws, [_changed(file)], message, [summary], commit)


def member_leave(ws: Workspace, org: str, commit: bool = False) -> Result:
    return member_remove(ws, org, ws.me, commit)


def member_set_role(ws: Workspace, org: str, user: str, role: str, commit: bool = False) -> Result:
    members = _need_org(ws, org)
    if user not in members:
        raise EditError(f"{user} is not a member of {org} (portal member add)")
    if members[user] == role:
        raise EditError(f"{user} is already {role} of {org}")
    file = ws.load(org_file(org))
    for item in file.data["members"]:
        if isinstance(item, dict) and item.get("user") == user:
            item["role"] = role
    message = f"Make {user} {role} of {org}"
    return apply(ws, [_changed(file)], message, [f"{user} is now {role} of {org}"], commit)


# ------------------------------------------------------------------------------------------------- requests


def _request_path(org: str, user: str) -> str:
    return f"organizations/{org}/requests/{user}.yaml"


def request_create(ws: Workspace, org: str, comment: str, role: str | None = None, commit: bool = False) -> Result:
    me = ws.me
    members = _need_org(ws, org)
    if me in members:
        raise EditError(f"you are already {members[me]} of {org}")
    path = _request_path(org, me)
    data: dict[str, Any] = {"user": me, "comment": comment, "created": ws.stamp, "status": "pending"}
    if role:
        data["role"] = role
    status = ws.data(path).get("status") if ws.exists(path) else None
    if status == "refused" and not ws.actor.maintainer:
        previous = ws.data(path)
        why = previous.get("refusal_comment")
        raise EditError(
            f"your request to join {org} was refused by {previous.get('handled_by')} on {previous.get('handled')}"
            + (f": {why}" if why else "")
            + f"\nonly an admin of {org} ({', '.join(_admins(ws, org)) or 'none'}) may reopen it: ask them to run "
            f"portal request reopen {org} {me}; then run this command again to change your comment"
        )
    if status == "pending":
        file = ws.load(path)
        file.data["comment"] = comment
        if role:
            file.data["role"] = role
        change = _changed(file)
    else:  # new, or replacing a handled request: the rules leave that to the admins, and judging says so
        change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Ask to join {org}", [f"asked to join {org}"], commit)


def _request_in(ws: Workspace, org: str, user: str, status: str = "pending") -> YamlFile:
    """USER's request to join ORG, which must be ``status``."""
    _need_org(ws, org)
    path = _request_path(org, user)
    if not ws.exists(path):
        raise EditError(f"no request from {user} to join {org} (portal request list {org})")
    file = ws.load(path)
    if file.data.get("status") != status:
        raise EditError(f"{user}'s request to join {org} is {file.data.get('status')}, not {status}")
    return file


def request_accept(ws: Workspace, org: str, user: str, role: str | None = None, commit: bool = False) -> Result:
    me = ws.me
    request = _request_in(ws, org, user)
    role = role or request.data.get("role") or "editor"
    if request.data.get("role") is not None or role != "editor":
        request.data["role"] = role
    request.data["status"] = "accepted"
    request.data["handled_by"] = me
    request.data["handled"] = ws.stamp
    changes = [_changed(request)]
    members = ws.members(org) or {}
    if user not in members:
        file = ws.load(org_file(org))
        append_item(file.data["members"], {"user": user, "role": role, "since": ws.today})
        changes.append(_changed(file))
    message = f"Accept {user} into {org} as {role}"
    return apply(ws, changes, message, [f"accepted {user}'s request: {user} is {role} of {org}"], commit)


def request_refuse(ws: Workspace, org: str, user: str, comment: str, commit: bool = False) -> Result:
    me = ws.me
    if not comment.strip():
        raise UsageError("a refusal needs a comment (--comment) telling the person why")
    request = _request_in(ws, org, user)
    request.data["status"] = "refused"
    request.data["handled_by"] = me
    request.data["handled"] = ws.stamp
    request.data["refusal_comment"] = comment
    return apply(ws, [_changed(request)], f"Refuse {user}'s request to join {org}", [f"refused {user}"], commit)


def request_withdraw(ws: Workspace, org: str, commit: bool = False) -> Result:
    me = ws.me
    _request_in(ws, org, me)
    change = Change(_request_path(org, me), None)
    return apply(ws, [change], f"Withdraw my request to join {org}", [f"withdrew the request to join {org}"], commit)


# ------------------------------------------------------------------------------ datasets, resources, reuses


def dataset_create(
    ws: Workspace,
    owner_org: str | None,
    slug: str,
    title: str,
    description: str = "",
    license: str = "notspecified",
    frequency: str | None = None,
    tags: Iterable[str] = (),
    personal: bool = False,
    commit: bool = False,
) -> Result:
    ws.me  # noqa: B018  (an unknown email stops here, saying how to register)
    path = _new_owned_path(ws, "dataset", _owner(ws, owner_org, personal), slug)
    data: dict[str, Any] = {"title": title, "description": description or title, "license": license}
    if frequency:
        data["frequency"] = frequency
    if tags:
        data["tags"] = list(tags)
    data["created"] = ws.today
    data["last_modified"] = ws.stamp
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Publish the dataset {slug}", [f"created the dataset {slug} ({path})"], commit)


@dataclass(frozen=True)
class FileFacts:
    """What a local file says about itself: size, sha256, mime type and format."""

    size: int
    sha256: str
    mime: str | None
    format: str | None


def describe_file(path: Path) -> FileFacts:
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    return FileFacts(size, digest.hexdigest(), _mime(path.name), _format(path.name))


def _mime(name: str) -> str | None:
    mime = mimetypes.guess_type(name, strict=False)[0]
    return mime.lower() if mime and re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", mime.lower()) else None


def _format(name: str) -> str | None:
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return suffix if re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", suffix or "") else None


def resource_add(
    ws: Workspace,
    dataset: str,
    source: str,
    title: str | None = None,
    url: str | None = None,
    type: str = "main",
    format: str | None = None,
    description: str = "",
    commit: bool = False,
) -> Result:
    """Add a resource: ``source`` is a URL, or a local file whose size, checksum, mime and format are read
    (then ``url`` says where the file is published: the portal links, it does not host)."""
    ws.me  # noqa: B018
    path = ws.find("datasets", _slug(dataset, "dataset slug"))
    if path is None:
        raise EditError(f"no dataset {dataset}")
    entry: dict[str, Any] = {"id": ws.new_id()}
    if re.match(r"^https?://", source):
        name = PurePosixPath(urlsplit(source).path).name
        entry.update(title=title or name or source, url=source, type=type)
        entry["format"] = format or _format(name)
        if _mime(name):
            entry["mime"] = _mime(name)
    else:
        local = Path(source)
        if not local.is_file():
            raise UsageError(f"{source} is neither a URL (https://...) nor a file")
        if not url:
            raise UsageError(
                f"--url is required with a local file: where {local.name} is published (the portal links to files, "
                "it does not host them)"
            )
        facts = describe_file(local)
        entry.update(title=title or local.name, url=url, type=type, format=format or facts.format)
        if facts.mime:
            entry["mime"] = facts.mime
        entry["filesize"] = facts.size
        entry["checksum"] = {"type": "sha256", "value": facts.sha256}
    if not entry["format"]:
        raise UsageError("cannot tell the format from the name: pass --format (csv, json, pdf...)")
    entry["format"] = entry["format"].lower()
    if description:
        entry["description"] = description
    entry["created"] = ws.stamp
    file = ws.load(path)
    resources = file.data.get("resources")
    if not isinstance(resources, CommentedSeq):
        file.data["resources"] = resources = CommentedSeq()
    append_item(resources, entry)
    file.data["last_modified"] = ws.stamp
    message = f"Add the resource {entry['title']} to {dataset}"
    return apply(ws, [_changed(file)], message, [f"added {entry['title']} ({entry['id']}) to {dataset}"], commit)


def reuse_create(
    ws: Workspace,
    owner_org: str | None,
    slug: str,
    title: str,
    url: str,
    datasets: list[str],
    type: str = "application",
    description: str = "",
    topic: str | None = None,
    personal: bool = False,
    commit: bool = False,
) -> Result:
    ws.me  # noqa: B018
    owner = _owner(ws, owner_org, personal)
    _slug(slug, "reuse slug")
    if not datasets:
        raise UsageError("a reuse references at least one dataset (--dataset SLUG)")
    _need_datasets(ws, datasets)
    path = _new_owned_path(ws, "reuse", owner, slug)
    data: dict[str, Any] = {"title": title, "description": description or title, "url": url, "type": type}
    if topic:
        data["topic"] = topic
    data["created"] = ws.today
    data["datasets"] = list(datasets)
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Reference the reuse {slug}", [f"created the reuse {slug} ({path})"], commit)


def dataservice_create(
    ws: Workspace,
    owner_org: str | None,
    slug: str,
    title: str,
    base_api_url: str,
    access_type: str = "open",
    description: str = "",
    datasets: Iterable[str] = (),
    endpoint_description: tuple[str, str] | None = None,
    authorization_request_url: str | None = None,
    license: str | None = None,
    personal: bool = False,
    commit: bool = False,
) -> Result:
    """Publish an API: as a dataset, under an organization or a personal space; ``endpoint_description`` is
    (url, format) of its OpenAPI document, WMS GetCapabilities..."""
    ws.me  # noqa: B018
    path = _new_owned_path(ws, "dataservice", _owner(ws, owner_org, personal), slug)
    _need_datasets(ws, datasets)
    data: dict[str, Any] = {"title": title, "description": description or title, "base_api_url": base_api_url}
    if endpoint_description:
        data["endpoint_description"] = dict(zip(("url", "format"), endpoint_description, strict=True))
    data["access_type"] = access_type
    if authorization_request_url:
        data["authorization_request_url"] = authorization_request_url
    if license:
        data["license"] = license
    if datasets:
        data["datasets"] = list(datasets)
    data["created"] = ws.today
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Publish the API {slug}", [f"created the API {slug} ({path})"], commit)


def _new_owned_path(ws: Workspace, kind: str, owner: tuple[str, str], slug: str) -> str:
    """Where a new dataset, API or reuse of ``owner`` goes; its slug must be free across the portal."""
    _slug(slug, f"{kind} slug")
    existing = ws.find(FOLDERS[kind], slug)
    if existing:
        raise EditError(f"the {kind} slug {slug} is taken (content/{existing})")
    return owned_path(owner, FOLDERS[kind], slug)


def _need_datasets(ws: Workspace, datasets: Iterable[str]) -> None:
    missing = [d for d in datasets if ws.find("datasets", d) is None]
    if missing:
        raise EditError(f"no dataset {', '.join(missing)} (portal dataset list shows them)")


# ------------------------------------------------------------------------------------------------ discussions


def discussion_open(ws: Workspace, subject: str, title: str, message: str, commit: bool = False) -> Result:
    """Open a discussion about a dataset or a reuse, filed under its owner."""
    me = ws.me
    found = ws.find("datasets", subject)
    subject_type = "dataset"
    if found is None:
        found, subject_type = ws.find("reuses", subject), "reuse"
    if found is None:
        raise EditError(f"no dataset or reuse {subject}")
    location = classify(found)
    base = slugify(title) or "discussion"
    slug = f"{base}-{ws.now:%Y%m%d}"
    n = 1
    while ws.find("discussions", slug) is not None:
        n += 1
        slug = f"{base}-{ws.now:%Y%m%d}-{n}"
    path = owned_path(location.owner, "discussions", slug)
    data: dict[str, Any] = {"subject": subject}
    if subject_type != "dataset":
        data["subject_type"] = subject_type
    data["title"] = title
    data["messages"] = [{"author": me, "posted": ws.stamp, "content": message}]
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Open a discussion on {subject}: {title}", [f"opened {slug} ({path})"], commit)


def _discussion(ws: Workspace, id: str) -> YamlFile:
    path = ws.find("discussions", _slug(id, "discussion id"))
    if path is None:
        raise EditError(f"no discussion {id}")
    return ws.load(path)


def discussion_reply(ws: Workspace, id: str, message: str, commit: bool = False) -> Result:
    me = ws.me
    file = _discussion(ws, id)
    if file.data.get("closed") is not None:
        raise EditError(f"the discussion {id} is closed")
    append_item(file.data["messages"], {"author": me, "posted": ws.stamp, "content": message})
    return apply(ws, [_changed(file)], f"Reply to the discussion {id}", [f"replied to {id}"], commit)


def discussion_close(ws: Workspace, id: str, message: str = "", commit: bool = False) -> Result:
    me = ws.me
    file = _discussion(ws, id)
    if file.data.get("closed") is not None:
        raise EditError(f"the discussion {id} is already closed")
    if message:
        append_item(file.data["messages"], {"author": me, "posted": ws.stamp, "content": message})
    file.data["closed"] = ws.stamp
    file.data["closed_by"] = me
    return apply(ws, [_changed(file)], f"Close the discussion {id}", [f"closed {id}"], commit)


# ------------------------------------------------------------------------------- list, show, edit, delete, move

FOLDERS = {"dataset": "datasets", "dataservice": "dataservices", "reuse": "reuses", "discussion": "discussions"}
KINDS = ("user", "organization", "request", "harvester", *FOLDERS)
REMOVE = object()  # a field value that removes the field


@dataclass
class Item:
    """One content file as ``list`` and ``show`` report it. ``name`` is what commands take: a slug, a username,
    ``ORG/USER`` for a request, ``ORG/NAME`` for a harvester."""

    kind: str
    name: str
    path: str  # content-relative
    owner: str | None  # the organization slug or username owning it, for owned content
    data: dict
    text: str = ""  # the file as written, for show

    @property
    def title(self) -> str:
        for key in ("title", "name"):
            if isinstance(self.data.get(key), str):
                return self.data[key]
        return str(self.data.get("status", ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "owner": self.owner,
            "path": f"{CONTENT}/{self.path}",
            "data": self.data,
        }


def _item(ws: Workspace, path: str, text: str = "") -> Item | None:
    loc = classify(path)
    if loc is None or loc.kind not in KINDS:
        return None
    owner = loc.org if loc.kind != "organization" else None
    owner = owner or (loc.user if loc.kind in FOLDERS else None)
    name = f"{loc.org}/{loc.slug}" if loc.kind in ("request", "harvester") else loc.slug or loc.org or loc.user
    return Item(loc.kind, name, path, owner, ws.data(path), text)


def items(ws: Workspace, kind: str, owner: str | None = None) -> list[Item]:
    """Every file of ``kind`` (see :data:`KINDS`), or only those of ``owner`` (an organization or username)."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    found = []
    for file in sorted(ws.content.rglob("*.yaml")):
        path = file.relative_to(ws.content).as_posix()
        loc = classify(path)
        if loc is None or loc.kind != kind or file.is_symlink():
            continue
        item = _item(ws, path)
        if item is not None and (owner is None or item.owner == owner):
            found.append(item)
    return found


def locate(ws: Workspace, kind: str, name: str) -> str:
    """The content path of the ``kind`` named ``name`` (see :class:`Item`); an error saying how to list them."""
    parts = name.split("/") if kind in ("request", "harvester") else [name]
    if len(parts) != (2 if kind in ("request", "harvester") else 1):
        raise UsageError(f"a {kind} is named ORG/{'USER' if kind == 'request' else 'NAME'}, not {name!r}")
    for part in parts:
        _slug(part, f"{kind} name")
    if kind in FOLDERS:
        path = ws.find(FOLDERS[kind], name)
    elif kind == "organization":
        path = org_file(name)
    elif kind == "user":
        path = f"users/{name}.yaml"
    else:
        path = f"organizations/{parts[0]}/{kind}s/{parts[1]}.yaml"
    if path is None or not ws.exists(path):
        raise EditError(f"no {kind} {name} (portal {CLI_GROUP[kind]} list shows them)")
    return path


CLI_GROUP = {"organization": "org"} | {kind: kind for kind in KINDS if kind != "organization"}


def show(ws: Workspace, kind: str, name: str) -> Item:
    path = locate(ws, kind, name)
    try:
        text = ws.file(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EditError(f"cannot read content/{path}: {exc}") from exc
    return _item(ws, path, text)


def _value(value: Any) -> Any:
    """A new field value as YAML writes it best: Markdown over several lines as a literal block."""
    if isinstance(value, str) and "\n" in value.strip():
        return LiteralScalarString(value.strip() + "\n")
    return _commented(value)


def _set_fields(file: YamlFile, fields: dict[str, Any]) -> list[str]:
    """Set the given fields (None: not given; :data:`REMOVE`: drop it); the names of those that changed."""
    changed = []
    for key, value in fields.items():
        if value is None or (value is REMOVE and key not in file.data):
            continue
        if value is REMOVE:
            del file.data[key]
        elif file.data.get(key) == value:
            continue
        else:
            old, file.data[key] = file.data.get(key), _value(value)
            if isinstance(old, CommentedSeq) and isinstance(file.data[key], CommentedSeq) and old.fa.flow_style():
                file.data[key].fa.set_flow_style()  # [a, b] stays on one line
        changed.append(key)
    return changed


def edit_item(ws: Workspace, kind: str, name: str, fields: dict[str, Any], commit: bool = False) -> Result:
    """Set or remove top-level fields of one file (a dataset's ``last_modified`` follows), keeping the rest
    as written; refused when nothing changes."""
    path = locate(ws, kind, name)
    file = ws.load(path)
    changed = _set_fields(file, fields)
    if not changed:
        raise UsageError(
            f"nothing to change in the {kind} {name}: give a new value (portal {CLI_GROUP[kind]} edit --help)"
        )
    if kind in ("dataset", "dataservice"):
        file.data["last_modified"] = ws.stamp
    summary = [f"edited the {kind} {name}: {', '.join(changed)}"]
    return apply(ws, [_changed(file)], f"Edit the {kind} {name}", summary, commit)


def user_edit(
    ws: Workspace,
    fields: dict[str, Any],
    add_emails: Iterable[str] = (),
    remove_emails: Iterable[str] = (),
    commit: bool = False,
) -> Result:
    """Edit your own user file: name, about, and the emails git may know you by."""
    me = ws.me
    add, remove = list(add_emails), {email_key(e) for e in remove_emails}
    if add or remove:
        emails = [e for e in ws.data(f"users/{me}.yaml").get("emails") or [] if isinstance(e, str)]
        kept = [e for e in emails if email_key(e) not in remove]
        kept += [e for e in add if email_key(e) not in {email_key(k) for k in kept}]
        if not kept:
            raise UsageError("a user keeps at least one email")
        fields = {**fields, "emails": kept}
    return edit_item(ws, "user", me, fields, commit)


def _discussions_of(ws: Workspace, path: str) -> list[str]:
    """The discussions about the dataset or reuse at ``path`` (filed under its owner, as validation requires)."""
    loc = classify(path)
    found = []
    for item in items(ws, "discussion", loc.org or loc.user):
        if item.data.get("subject") == loc.slug and item.data.get("subject_type", "dataset") == loc.kind:
            found.append(item.path)
    return found


def delete_item(ws: Workspace, kind: str, name: str, commit: bool = False) -> Result:
    """Delete one file; a dataset or reuse takes its discussions along, a user their personal folder."""
    if kind == "organization":
        return org_delete(ws, name, commit)
    path = locate(ws, kind, name)
    paths = [path]
    if kind in ("dataset", "reuse"):
        paths += _discussions_of(ws, path)
    if kind == "user":
        folder = ws.file(f"users/{name}")
        paths += sorted(p.relative_to(ws.content).as_posix() for p in folder.rglob("*") if p.is_file())
    extra = f" (with {len(paths) - 1} file(s): {', '.join(paths[1:])})" if len(paths) > 1 else ""
    summary = [f"deleted the {kind} {name}{extra}"]
    return apply(ws, [Change(p, None) for p in paths], f"Delete the {kind} {name}", summary, commit)


def move_item(
    ws: Workspace, kind: str, slug: str, to_org: str | None = None, personal: bool = False, commit: bool = False
) -> Result:
    """Move a dataset or reuse to another organization or a personal space, its discussions with it (the
    files unchanged: rule ``discussion-follow``)."""
    if kind not in ("dataset", "reuse"):
        raise UsageError(f"only datasets and reuses move, not a {kind}")
    ws.me  # noqa: B018
    path = locate(ws, kind, slug)
    owner = _owner(ws, to_org, personal)
    target = owned_path(owner, FOLDERS[kind], slug)
    if target == path:
        raise EditError(f"the {kind} {slug} is already there ({CONTENT}/{path})")
    changes = []
    for source in [path, *_discussions_of(ws, path)]:
        there = target if source == path else owned_path(owner, "discussions", PurePosixPath(source).stem)
        if ws.exists(there):
            raise EditError(f"content/{there} exists already")
        changes += [Change(source, None), Change(there, show(ws, *_kind_name(source)).text)]
    where = f"{owner[0]} {owner[1]}"
    summary = [
        f"moved the {kind} {slug} to {where}"
        + (f" with {len(changes) // 2 - 1} discussion(s)" if len(changes) > 2 else "")
    ]
    moved = {old.path: new.path for old, new in zip(changes[::2], changes[1::2], strict=True)}
    return apply(ws, changes, f"Move the {kind} {slug} to {where}", summary, commit, moved)


def _kind_name(path: str) -> tuple[str, str]:
    loc = classify(path)
    return loc.kind, loc.slug


def resources(ws: Workspace, dataset: str) -> list[dict]:
    resources = ws.data(locate(ws, "dataset", dataset)).get("resources")
    return [r for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []


def resource(ws: Workspace, dataset: str, rid: str) -> dict:
    """One resource of a dataset, by id or by the start of its id."""
    path = locate(ws, "dataset", dataset)
    file = YamlFile(path, {"resources": resources(ws, dataset)})
    return file.data["resources"][_resource_index(file, dataset, rid)]


def member_list(ws: Workspace, org: str) -> list[dict]:
    """The members of an organization as its file lists them: user, role, since."""
    _need_org(ws, org)
    members = ws.data(org_file(org)).get("members") or []
    return [{k: str(m.get(k)) for k in ("user", "role", "since")} for m in members if isinstance(m, dict)]


def _resource_index(file: YamlFile, dataset: str, rid: str) -> int:
    """The resource whose id is ``rid``, or starts with it when that names only one."""
    seq = file.data.get("resources")
    seq = seq if isinstance(seq, list) else []
    ids = [str(r.get("id")) if isinstance(r, dict) else "" for r in seq]
    found = [i for i, value in enumerate(ids) if value == rid] or [
        i for i, value in enumerate(ids) if rid and value.startswith(rid)
    ]
    if len(found) != 1:
        why = "no" if not found else "more than one"
        raise EditError(f"{why} resource {rid!r} in {dataset} (portal resource list {dataset} shows their ids)")
    return found[0]


def resource_edit(ws: Workspace, dataset: str, rid: str, fields: dict[str, Any], commit: bool = False) -> Result:
    path = locate(ws, "dataset", dataset)
    file = ws.load(path)
    entry = file.data["resources"][_resource_index(file, dataset, rid)]
    if isinstance(fields.get("format"), str):
        fields = {**fields, "format": fields["format"].lower()}
    changed = _set_fields(YamlFile(path, entry), fields)
    if not changed:
        raise UsageError(f"nothing to change in the resource {rid}: give a new value (portal resource edit --help)")
    file.data["last_modified"] = ws.stamp
    summary = [f"edited the resource {entry.get('id')} of {dataset}: {', '.join(changed)}"]
    return apply(ws, [_changed(file)], f"Edit a resource of {dataset}", summary, commit)


def resource_remove(ws: Workspace, dataset: str, rid: str, commit: bool = False) -> Result:
    path = locate(ws, "dataset", dataset)
    file = ws.load(path)
    index = _resource_index(file, dataset, rid)
    entry = file.data["resources"][index]
    remove_item(file.data["resources"], index)
    file.data["last_modified"] = ws.stamp
    summary = [f"removed the resource {entry.get('title')} ({entry.get('id')}) from {dataset}"]
    return apply(ws, [_changed(file)], f"Remove the resource {entry.get('title')} from {dataset}", summary, commit)


def harvester_create(
    ws: Workspace,
    org: str,
    name: str,
    backend: str,
    url: str,
    title: str = "",
    frequency: str = "weekly",
    active: bool = True,
    commit: bool = False,
) -> Result:
    """Configure a harvester of ``org`` (admins): the scheduled workflow runs it as the bot."""
    ws.me  # noqa: B018
    _need_org(ws, org)
    _slug(name, "harvester name")
    path = f"organizations/{org}/harvesters/{name}.yaml"
    if ws.exists(path):
        raise EditError(f"the harvester {org}/{name} exists (portal harvester edit {org}/{name})")
    data = {"title": title or name, "backend": backend, "url": url, "active": active, "frequency": frequency}
    change = Change(path, YamlFile.new(path, data).dump())
    return apply(ws, [change], f"Harvest {url} into {org}", [f"created the harvester {org}/{name}"], commit)


def request_reopen(ws: Workspace, org: str, user: str, commit: bool = False) -> Result:
    """Put a refused request back to pending (admins), so its author may edit and an admin accept it."""
    ws.me  # noqa: B018
    file = _request_in(ws, org, user, "refused")
    file.data["status"] = "pending"
    for key in ("handled_by", "handled", "refusal_comment"):
        file.data.pop(key, None)
    summary = [f"reopened {user}'s request to join {org}: it is pending again"]
    return apply(ws, [_changed(file)], f"Reopen {user}'s request to join {org}", summary, commit)


def discussion_reopen(ws: Workspace, id: str, commit: bool = False) -> Result:
    ws.me  # noqa: B018
    file = _discussion(ws, id)
    if file.data.get("closed") is None:
        raise EditError(f"the discussion {id} is open")
    for key in ("closed", "closed_by"):
        file.data.pop(key, None)
    return apply(ws, [_changed(file)], f"Reopen the discussion {id}", [f"reopened {id}"], commit)


# ---------------------------------------------------------------------------------------------------- whoami


@dataclass
class MyRequest:
    """One of your membership requests; a refused one says who refused it, why, and who can reopen it."""

    org: str
    status: str
    handled_by: str | None = None
    handled: str | None = None
    refusal_comment: str | None = None
    admins: list[str] = field(default_factory=list)

    @property
    def next_step(self) -> str:
        """What you can do about it, as commands."""
        if self.status == "pending":
            return f"waiting for an admin of {self.org}; change it: portal request create {self.org} --comment '...'"
        if self.status == "refused":
            who = ", ".join(self.admins) or "an admin"
            return (
                f"to ask again, an admin of {self.org} ({who}) runs: portal request reopen {self.org} <you>; "
                f"then change your comment: portal request create {self.org} --comment '...'"
            )
        return ""


def _admins(ws: Workspace, org: str) -> list[str]:
    return sorted(user for user, role in (ws.members(org) or {}).items() if role == "admin")


@dataclass
class Whoami:
    """The acting user, their roles, and what waits for them."""

    email: str
    username: str | None
    name: str | None = None
    maintainer: bool = False
    bot: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # org -> role
    requests_to_handle: list[tuple[str, str]] = field(default_factory=list)  # (org, user)
    my_requests: list[MyRequest] = field(default_factory=list)
    discussions_to_answer: list[tuple[str, str, str]] = field(default_factory=list)  # (id, owner, title)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for mine, entry in zip(self.my_requests, data["my_requests"], strict=True):
            entry["next_step"] = mine.next_step.replace("<you>", self.username or "")
        return data


def whoami(ws: Workspace) -> Whoami:
    actor = ws.actor
    found = Whoami(ws.email, actor.username, maintainer=actor.maintainer, bot=actor.bot)
    if actor.username is None:
        return found
    me = actor.username
    found.name = ws.data(f"users/{me}.yaml").get("name")
    for file in sorted(ws.content.glob("organizations/*/organization.yaml")):
        role = (ws.members(file.parent.name) or {}).get(me)
        if role:
            found.roles[file.parent.name] = role
    for file in sorted(ws.content.glob("organizations/*/requests/*.yaml")):
        org = file.parent.parent.name
        data = ws.data(file.relative_to(ws.content).as_posix())
        if file.stem == me:
            texts = {k: str(data[k]) if data.get(k) is not None else None for k in ("handled_by", "handled")}
            comment = data.get("refusal_comment")
            mine = MyRequest(org, str(data.get("status")), **texts, refusal_comment=comment, admins=_admins(ws, org))
            found.my_requests.append(mine)
        elif data.get("status") == "pending" and (found.roles.get(org) == "admin" or actor.maintainer):
            found.requests_to_handle.append((org, file.stem))
    for owner_kind, pattern in (
        ("organization", "organizations/*/discussions/*.yaml"),
        ("user", "users/*/discussions/*.yaml"),
    ):
        for file in sorted(ws.content.glob(pattern)):
            owner = file.parent.parent.name
            if owner_kind == "organization" and found.roles.get(owner) is None:
                continue
            if owner_kind == "user" and owner != me:
                continue
            data = ws.data(file.relative_to(ws.content).as_posix())
            messages = data.get("messages") if isinstance(data.get("messages"), list) else []
            if data.get("closed") is not None or not messages or not isinstance(messages[-1], dict):
                continue
            last = messages[-1].get("author")
            team = set(ws.members(owner) or {}) if owner_kind == "organization" else {me}
            if last not in team:
                found.discussions_to_answer.append((file.stem, owner, str(data.get("title", ""))))
    return found


# ------------------------------------------------------------------------------------------------------ init

SCAFFOLD = Path(__file__).parent / "scaffold"
# scaffold file -> where `portal init` puts it in a new content repository
INIT_FILES = {
    "github-workflow.yml": ".github/workflows/portal.yml",
    "github-roles-workflow.yml": ".github/workflows/portal-roles.yml",
    "publish-workflow.yml": ".github/workflows/publish.yml",
    "harvest-workflow.yml": ".github/workflows/harvest.yml",
    "links-workflow.yml": ".github/workflows/links.yml",
    "metrics-workflow.yml": ".github/workflows/metrics.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "gitlab-roles-ci.yml": "ci/portal-roles.gitlab-ci.yml",
    "gitlab-roles-policy.yml": "ci/portal-roles-policy.yml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "README.md": "README.md",
    "gitignore": ".gitignore",
}
DISTRIBUTION = "portal-opendata"  # the name on PyPI (`portal` there is an unrelated project); the command is `portal`


def requirement() -> str:
    """What the files ``portal init`` writes install: exactly this version of this distribution."""
    return f"{DISTRIBUTION}=={__version__}"


BOT_USERNAME = "portal-bot"  # the user the scheduled workflows commit as (listed under `bots`)
BOT_EMAIL = "portal-bot@users.noreply.github.com"


def scaffold_text(source: str, branch: str = "main", bot: tuple[str, str] = (BOT_USERNAME, BOT_EMAIL)) -> str:
    """A scaffold file as ``portal init`` writes it: pinned to the version that writes it, publishing from
    ``branch``, committing scheduled work as ``bot`` (username, email)."""
    text = (SCAFFOLD / source).read_text(encoding="utf-8")
    for name, value in (
        ("REQUIREMENT", requirement()),
        ("BRANCH", branch),
        ("BOT", f"{bot[0]} <{bot[1]}>"),
        ("BOT_NAME", bot[0]),
        ("BOT_EMAIL", bot[1]),
    ):
        text = text.replace(f"@PORTAL_{name}@", value)
    return text


def init(
    target: Path,
    title: str | None = None,
    base_url: str | None = None,
    languages: list[str] | None = None,
    maintainer: str | None = None,
    name: str | None = None,
    commit: bool = False,
    email: str | None = None,
    bot: str = BOT_USERNAME,
    bot_email: str = BOT_EMAIL,
) -> Result:
    """A new content repository: ``content/site.yaml``, CI workflows, a pre-commit configuration, a README,
    its first maintainer and its bot, each with a user file, so that it validates, builds and passes its first
    pull request's role check as it is.

    The maintainer is the current git identity unless ``email`` says otherwise; the username defaults to the
    email's local part as a slug. The bot is the author the scheduled workflows commit as.
    """
    target = Path(target)
    try:
        if target.exists() and not target.is_dir():
            raise UsageError(f"{target} is a file")
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {str(target)[:80]}: {exc.strerror}") from exc
    taken = [dest for dest in (*INIT_FILES.values(), f"{CONTENT}/site.yaml") if (target / dest).exists()]
    if taken:
        raise EditError(f"{target} already holds {', '.join(taken)}: portal init only creates new repositories")
    if _git(target, "rev-parse", "--show-toplevel", check=False).returncode != 0:
        _git(target, "init", "-q")
    root = find_repo(target)
    maintainer, name, email = first_maintainer(root, maintainer, name, email)
    _slug(bot, "bot username")
    if bot == maintainer or email_key(bot_email) == email_key(email):
        raise UsageError("the bot and the maintainer are two users: give the bot another name and email (--bot)")
    site = YamlFile.parse("site.yaml", (SCAFFOLD / "site.yaml").read_text(encoding="utf-8"))
    if title:
        site.data["title"] = title
    if base_url:
        site.data["base_url"] = base_url
    if languages:
        site.data["languages"] = CommentedSeq(languages)
        site.data["languages"].fa.set_flow_style()
    for key, username in (("maintainers", maintainer), ("bots", bot)):
        site.data[key].append(username)
        site.data[key].fa.set_flow_style()
    people = {maintainer: {"name": name, "emails": [email]}, bot: {"name": "Portal bot", "emails": [bot_email]}}
    changes = [Change("site.yaml", site.dump())]
    changes += [Change(f"users/{u}.yaml", YamlFile.new(f"users/{u}.yaml", data).dump()) for u, data in people.items()]
    content = root / CONTENT
    problems = _validate_new(content, changes)
    if problems:
        raise ContentError(problems)
    written = []
    branch = _git(root, "symbolic-ref", "--short", "HEAD", check=False).stdout.strip() or "main"
    for source, dest in INIT_FILES.items():
        write_atomic(root / dest, scaffold_text(source, branch, (bot, bot_email)))
        written.append(dest)
    for change in changes:
        write_atomic(content / change.path, change.text or "")
        written.append(f"{CONTENT}/{change.path}")
    summary = [
        f"created a content repository in {root}",
        f"registered {maintainer} <{email}> as maintainer",
        f"registered the bot {bot} <{bot_email}> (the scheduled workflows commit as it)",
    ]
    result = Result(changes, summary, "Create the portal", files=written)
    if commit:
        result.commit = commit_changes(Workspace(root, email), result)
    return result


def first_maintainer(
    root: Path, username: str | None = None, name: str | None = None, email: str | None = None
) -> tuple[str, str, str]:
    """(username, name, email) of a new portal's first maintainer: the current git identity by default."""
    ident = None
    if email is None or name is None:
        with contextlib.suppress(UsageError):
            ident = git_ident(root)
    if email is None and ident is None:
        raise UsageError(
            "who maintains the portal? set your git identity (git config user.email you@example.org) "
            "or pass --maintainer USERNAME --email EMAIL --name NAME"
        )
    email = email or ident[1]
    username = username or slugify(email.split("@")[0]) or "maintainer"
    _slug(username, "username")
    return username, name or (ident[0] if ident and ident[0] else username), email


def _validate_new(content: Path, changes: list[Change]) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="portal-init-") as tmp:
        overlay = Path(tmp) / CONTENT
        for change in changes:
            target = overlay / change.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(change.text or "", encoding="utf-8")
        return validate(overlay).problems
