"""The only module that runs git (and ``ssh-keygen`` to verify signatures).

Plumbing only, no checkout: ``rev-list`` for the commits, ``diff-tree -r -z`` for what each changed,
``merge-tree`` for what git's own merge of two commits gives, ``merge-file`` to apply a change made on an old
version to the current one, and one long-lived ``cat-file --batch`` for every object read (commits, trees,
blobs), always by object id, never by a path (paths may hold any byte). Commit objects are parsed here
rather than through ``git log`` formats, so no configuration (``log.mailmap``, ``.mailmap`` files,
``log.showSignature``...) can change the author email we judge.

The objects that merges make are written to a temporary object folder (the repository's objects serve as
its alternate), so a check never writes into the repository it checks.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import PortalError

FETCH_HINT = (
    "check out the full history: actions/checkout with `fetch-depth: 0` (GitLab: GIT_DEPTH: 0, "
    "or `git fetch --unshallow`)"
)
# GIT_NO_REPLACE_OBJECTS: a refs/replace/* ref would let a repository show a different commit in place of
# the one that was pushed; the checker judges the objects themselves.
_ENV = {
    **os.environ,
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
}
for _name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
    _ENV.pop(_name, None)
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_TIME = r"\d{8}(?:\d{4}(?:\d{2})?)?Z?"
_OPTION = rf'(?:valid-after|valid-before)="{_TIME}"'
_KEY_RE = re.compile(
    rf"^(?:(?P<options>{_OPTION}(?:,{_OPTION})*)\s+)?(?P<type>{'|'.join(map(re.escape, KEY_TYPES))})"
    r"\s+(?P<key>[A-Za-z0-9+/]+={0,3})(?:\s.*)?$"
)
_SAFE_PRINCIPAL = re.compile(r"^[^\s\"',*?!]+$")


class GitError(PortalError):
    """Git cannot answer (missing, not a repository, unknown revision, shallow clone): the check cannot run."""

    exit_code = 2


@dataclass(frozen=True)
class Commit:
    """A parsed commit object. ``payload`` is the object without its signature: what the signer signed."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: int
    committer_time: int
    signature: str | None
    payload: bytes

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class FileChange:
    """One path a commit changed: A (added), M (modified), D (deleted); renames come split in two."""

    status: str
    path: str  # relative to the repository root
    old_oid: str | None
    new_oid: str | None
    old_mode: str = ""
    new_mode: str = ""


class Repo:
    """A git repository read through plumbing; use as a context manager to close ``cat-file``."""

    def __init__(self, where: Path):
        if shutil.which("git") is None:
            raise GitError("git is not installed (it is needed to read the commits)")
        try:
            top = self._run(["rev-parse", "--show-toplevel"], cwd=Path(where)).decode().strip()
        except GitError as exc:
            raise GitError(f"{where} is not in a git repository: {exc}") from None
        self.root = Path(top)
        self._batch: subprocess.Popen | None = None
        self._trees: dict[str, dict[str, tuple[str, str]]] = {}
        objects = self._run(["rev-parse", "--path-format=absolute", "--git-path", "objects"]).decode().strip()
        self._scratch = tempfile.TemporaryDirectory(prefix="portal-objects-")
        self.env = {**_ENV, "GIT_OBJECT_DIRECTORY": self._scratch.name, "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects}
        self.empty_tree = self._run(["hash-object", "-t", "tree", "--stdin"], stdin=b"").decode().strip()

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()
            self._batch.wait()
            self._batch.stdout.close()
            self._batch = None
        if getattr(self, "_scratch", None) is not None:
            self._scratch.cleanup()
            self._scratch = None

    # ------------------------------------------------------------------------------------------ commands

    def _exec(
        self,
        args: list[str],
        ok: tuple[int, ...] | None = (0,),
        cwd: Path | str | None = None,
        stdin: bytes | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``git args``; a :class:`GitError` when it cannot run, or exits with a status not in ``ok``
        (None: any status is an answer)."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd or self.root,
                env=getattr(self, "env", _ENV),
                input=stdin,
                capture_output=True,
                check=False,
                timeout=600,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} did not finish in 10 minutes") from None
        if ok is not None and done.returncode not in ok:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {detail[-1] if detail else 'exit ' + str(done.returncode)}")
        return done

    def _run(self, args: list[str], cwd: Path | None = None, check: bool = True, stdin: bytes | None = None) -> bytes:
        return self._exec(args, (0,) if check else None, cwd, stdin).stdout

    def is_shallow(self) -> bool:
        return self._run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"

    def resolve(self, rev: str) -> str:
        """The commit id of ``rev``; a :class:`GitError` saying how to fetch it when it is unknown."""
        if rev.startswith("-") or "\n" in rev:
            raise GitError(f"{rev!r} is not a revision")
        out = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], check=False)
        if not out.strip():
            raise GitError(f"unknown revision {rev!r}: fetch it first ({FETCH_HINT})")
        return out.decode().strip()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self._exec(["merge-base", "--is-ancestor", ancestor, descendant], ok=(0, 1)).returncode == 0

    def commits(self, base: str, head: str) -> list[tuple[str, tuple[str, ...]]]:
        """Every commit of ``base..head``, parents before children, each with its parents."""
        out = self._run(["rev-list", "--reverse", "--topo-order", "--parents", f"{base}..{head}", "--"])
        result = []
        for line in out.decode().splitlines():
            sha, *parents = line.split()
            result.append((sha, tuple(parents)))
        return result

    def diff(self, old: str, new: str) -> list[FileChange]:
        """The files that differ between two trees (or commits), renames as a deletion and an addition."""
        args = ["diff-tree", "-r", "-z", "--no-commit-id", "--no-renames", "--no-ext-diff", "--no-textconv"]
        return _parse_raw(self._run([*args, old, new]))

    def merge_base(self, one: str, other: str) -> str | None:
        out = self._run(["merge-base", one, other], check=False).strip()
        return out.decode() if out else None

    def merge_tree(self, one: str, other: str) -> tuple[str, set[str]]:
        """(tree, conflicted paths) of git's own merge of two commits, as ``git merge`` would make it; unrelated
        histories are merged as ``--allow-unrelated-histories`` does."""
        args = ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", "--allow-unrelated-histories"]
        fields = self._exec([*args, one, other], ok=(0, 1)).stdout.split(b"\0")  # 1: conflicts
        return fields[0].decode(), {f.decode(errors="surrogateescape") for f in fields[1:] if f}

    def merge_file(self, base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
        """The change ``base`` -> ``theirs`` applied to ``ours`` by git's three-way file merge; None when the two
        changes overlap (a conflict) or a side is binary."""
        if any(b"\0" in side for side in (base, ours, theirs)):
            return None
        with tempfile.TemporaryDirectory(prefix="portal-merge-") as tmp:
            files = []
            for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
                Path(tmp, name).write_bytes(data)
                files.append(str(Path(tmp, name)))
            done = self._exec(["merge-file", "-p", "-q", *files], ok=None, cwd=tmp)  # >0: conflicts
        return done.stdout if done.returncode == 0 else None

    def write_blob(self, data: bytes) -> str:
        """Store ``data`` as a blob (in the check's own object folder) and return its id."""
        return self._run(["hash-object", "-w", "--stdin"], stdin=data).decode().strip()

    # ------------------------------------------------------------------------------------------ objects

    def read(self, oid: str) -> tuple[str, str, bytes] | None:
        """``(oid, type, content)`` of an object, None when missing. Only object ids are read: a ``rev:path``
        spec cannot name every path (a newline, bytes that are not UTF-8)."""
        if not re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", oid):
            return None
        batch = self._cat_file()
        batch.stdin.write(oid.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline()
        if not header:
            raise GitError("git cat-file stopped unexpectedly")
        parts = header.split()
        if len(parts) != 3 or parts[-1] in (b"missing", b"ambiguous"):
            return None
        size = int(parts[2])
        data = batch.stdout.read(size)
        batch.stdout.read(1)  # the newline after the content
        return parts[0].decode(), parts[1].decode(), data

    def _cat_file(self) -> subprocess.Popen:
        if self._batch is None:
            try:
                self._batch = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.root,
                    env=self.env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise GitError(f"cannot run git cat-file: {exc}") from None
        return self._batch

    def blob(self, oid: str) -> bytes | None:
        found = self.read(oid)
        return found[2] if found is not None and found[1] == "blob" else None

    def tree(self, oid: str) -> dict[str, tuple[str, str]]:
        """name -> (mode, oid) of a tree object (empty when ``oid`` is not a tree); parsed once per tree."""
        if oid not in self._trees:
            found = self.read(oid)
            entries = _parse_tree(found[2]) if found is not None and found[1] == "tree" else []
            self._trees[oid] = {name: (mode, entry) for mode, name, entry in entries}
        return self._trees[oid]

    def entry(self, tree: str, path: str) -> tuple[str, str] | None:
        """(mode, oid) at ``path`` below ``tree``, walking tree objects by id; None when nothing is there."""
        found: tuple[str, str] | None = ("40000", tree)
        for name in path.split("/"):
            if found is None or found[0] != "40000":
                return None
            found = self.tree(found[1]).get(name)
        return found

    def commit(self, sha: str) -> Commit:
        found = self.read(sha)
        if found is None or found[1] != "commit":
            raise GitError(f"{sha} is not a commit")
        return parse_commit(found[0], found[2])


def _parse_raw(out: bytes) -> list[FileChange]:
    fields = out.split(b"\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        meta = fields[i].decode().lstrip(":").split()
        old_mode, new_mode, old_oid, new_oid, status = meta[0], meta[1], meta[2], meta[3], meta[4]
        if status[0] in "RC":
            source, target = (
                fields[i + 1].decode(errors="surrogateescape"),
                fields[i + 2].decode(errors="surrogateescape"),
            )
            i += 3
            if status[0] == "R":
                changes.append(FileChange("D", source, old_oid, None, old_mode, ""))
            changes.append(FileChange("A", target, None, new_oid, "", new_mode))
            continue
        path = fields[i + 1].decode(errors="surrogateescape")
        i += 2
        kind = {"A": "A", "D": "D"}.get(status[0], "M")
        changes.append(
            FileChange(
                kind, path, None if kind == "A" else old_oid, None if kind == "D" else new_oid, old_mode, new_mode
            )
        )
    return changes


def _parse_tree(data: bytes) -> list[tuple[str, str, str]]:
    entries = []
    i = 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        mode = data[i:space].decode()
        name = data[space + 1 : nul].decode(errors="surrogateescape")
        oid = data[nul + 1 : nul + 21].hex()
        entries.append((mode, name, oid))
        i = nul + 21
    return entries


_PERSON = re.compile(rb"^(?P<name>.*?) ?<(?P<email>[^<>]*)> (?P<time>-?\d+)(?: [+-]\d{4})?$")


def parse_commit(sha: str, raw: bytes) -> Commit:
    """Parse a raw commit object; its signature headers are removed from the payload (as git does)."""
    head, sep, _ = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines:
        if line.startswith(b" ") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\n" + line[1:])
        else:
            name, _, value = line.partition(b" ")
            headers.append((name, value))
    tree, parents, author, committer, signature = "", [], None, None, None
    for name, value in headers:
        if name == b"tree":
            tree = value.decode()
        elif name == b"parent":
            parents.append(value.decode())
        elif name == b"author":
            # two author headers (git fsck: multipleAuthors): tools disagree on which one counts, so neither does
            author = _PERSON.match(value) if author is None else False
        elif name == b"committer":
            committer = _PERSON.match(value) if committer is None else False
        elif name in (b"gpgsig", b"gpgsig-sha256") and signature is None:
            signature = value.decode(errors="replace")
    payload = _strip_signature(raw)
    return Commit(
        sha=sha,
        tree=tree,
        parents=tuple(parents),
        author_name=author["name"].decode(errors="replace") if author else "",
        author_email=author["email"].decode(errors="replace").strip() if author else "",
        author_time=int(author["time"]) if author else 0,
        committer_time=int(committer["time"]) if committer else 0,
        signature=signature,
        payload=payload,
    )


def _strip_signature(raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    kept, skipping = [], False
    for line in head.split(b"\n"):
        if line.startswith(b" ") and skipping:
            continue
        skipping = line.startswith((b"gpgsig ", b"gpgsig-sha256 "))
        if not skipping:
            kept.append(line)
    return b"\n".join(kept) + sep + body


# ---------------------------------------------------------------------------------------------- signatures


def signer_line(principal: str, entry: str) -> str | None:
    """An allowed-signers line for one ``signing_keys`` entry of a user file, None if the entry is not usable.

    An entry is ``[valid-after="YYYYMMDD[HHMM[SS]][Z]"][,valid-before="..."] <type> <base64> [comment]``.
    """
    match = _KEY_RE.match(entry.strip()) if isinstance(entry, str) else None
    if match is None or not _SAFE_PRINCIPAL.match(principal):
        return None
    options = 'namespaces="git"' + (f",{match['options']}" if match["options"] else "")
    return f"{principal} {options} {match['type']} {match['key']}"


def ssh_time(when: dt.datetime) -> str:
    """``when`` as ssh-keygen's ``verify-time`` (UTC)."""
    return when.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")


def verify_ssh(payload: bytes, signature: str, principal: str, signers: list[str], when: dt.datetime) -> str | None:
    """None when ``signature`` is a good SSH signature of ``payload`` by ``principal`` at ``when``, else why not.

    ``signers`` are allowed-signers lines (:func:`signer_line`). The time checked against each key's
    ``valid-after``/``valid-before`` is ``when``, never a date the signer wrote in the commit.
    """
    if "BEGIN SSH SIGNATURE" not in signature:
        kind = "a GPG" if "PGP SIGNATURE" in signature else "an unknown kind of"
        return f"the commit has {kind} signature; only SSH signatures are checked"
    if not signers:
        return f"no usable signing key for <{principal}> in the author's user file (parent state)"
    if shutil.which("ssh-keygen") is None:
        raise GitError("ssh-keygen is not installed (it is needed to verify signatures)")
    with tempfile.TemporaryDirectory(prefix="portal-sig-") as tmp:
        allowed, sig = Path(tmp, "allowed_signers"), Path(tmp, "commit.sig")
        allowed.write_text("\n".join(signers) + "\n")
        sig.write_text(signature.strip() + "\n")
        args = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", principal, "-n", "git", "-s", str(sig)]
        args.append(f"-Overify-time={ssh_time(when)}")
        try:
            done = subprocess.run(args, input=payload, capture_output=True, check=False, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"cannot run ssh-keygen: {exc}") from None
    if done.returncode == 0:
        return None
    detail = " ".join((done.stderr + done.stdout).decode(errors="replace").split())
    detail = re.sub(r"\S*allowed_signers:\d+: ", "", detail)
    return f"the signature does not verify for <{principal}> at {when:%Y-%m-%d %H:%M} UTC ({detail[:200]})"
