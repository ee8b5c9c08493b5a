"""A real git content repository in a temp folder, for the role-check tests.

The base commit holds the minimal portal (marie: maintainer and admin of ville-exemple; paul: editor;
robot: bot) plus jeanne (admin of ville-exemple, not a maintainer) and lucas (registered, no role).
Each test adds commits with real authors (``git -c user.email=...``) and runs the checker on base..HEAD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINIMAL

from generator.policy import Options, Report, check_roles

EMAILS = {
    "marie": "marie@example.org",
    "paul": "paul@example.org",
    "robot": "robot@example.org",
    "jeanne": "jeanne@example.org",
    "lucas": "lucas@example.org",
}
ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_DATE": "2024-06-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-06-01T12:00:00+00:00",
}
ORG = "content/organizations/ville-exemple"
DATASET = f"{ORG}/datasets/arrets-de-bus.yaml"
ORG_FILE = f"{ORG}/organization.yaml"
OTHER = "content/organizations/autre"
needs_ssh = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


class GitRepo:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        shutil.copytree(MINIMAL, root / "content")
        for file in sorted((root / "content").rglob("*.yaml")):  # dumped once, so later edits only show themselves
            self.edit(file.relative_to(root).as_posix(), lambda data: data)
        self.write("content/users/jeanne.yaml", {"name": "Jeanne", "emails": [EMAILS["jeanne"]]})
        self.write("content/users/lucas.yaml", {"name": "Lucas", "emails": [EMAILS["lucas"]]})
        self.edit(f"{ORG}/organization.yaml", lambda d: d["members"].append(member("jeanne", "admin")))
        self.base = self.commit("marie", "base")

    # files
    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, data: Any) -> None:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, (str, bytes)):
            target.write_bytes(data.encode() if isinstance(data, str) else data)
        else:
            target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    def read(self, rel: str) -> Any:
        return yaml.safe_load(self.path(rel).read_text())

    def edit(self, rel: str, change) -> None:
        data = self.read(rel)
        result = change(data)
        self.write(rel, data if result is None else result)

    def delete(self, rel: str) -> None:
        git(self.root, "rm", "-r", "-q", rel)

    def move(self, source: str, target: str) -> None:
        self.path(target).parent.mkdir(parents=True, exist_ok=True)
        git(self.root, "mv", source, target)

    # commits
    def commit(self, who: str, message: str = "change", key: Path | None = None, env: dict | None = None) -> str:
        email = EMAILS.get(who, who)
        git(self.root, "add", "-A")
        args = ["-c", f"user.email={email}", "-c", f"user.name={who}"]
        if key is not None:
            args += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit", "-S"]
        else:
            args += ["commit"]
        git(self.root, *args, "-q", "--allow-empty", "-m", message, env=env)
        return git(self.root, "rev-parse", "HEAD")

    def check(self, base: str | None = None, head: str = "HEAD", **options: Any) -> Report:
        return check_roles(self.root, base or self.base, head, Options(**options))


def member(user: str, role: str = "editor") -> dict[str, str]:
    return {"user": user, "role": role, "since": "2024-06-01"}


def denied(report: Report) -> list[tuple[str, str]]:
    """(rule, file) of every violation."""
    return [(v.rule, v.file) for v in report.violations]


def rules_of(report: Report) -> set[str]:
    return {v.rule for v in report.violations}


def keygen(folder: Path, name: str) -> tuple[Path, str]:
    """A real ed25519 key pair: (private key path, public key line)."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key, key.with_suffix(".pub").read_text().strip()
