"""The edit engine: round trips that keep the file as people wrote it, atomic writes, ``portal init``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import MINIMAL, PROJECT
from gitrepo import EMAILS, ORG, GitRepo, git

import generator.cli.contrib  # noqa: F401  (registers the contributor commands on `main`)
from generator import edit
from generator.cli import main
from generator.validate import validate

NOW = "2024-06-01T12:00:00+02:00"
HAND_WRITTEN = """\
# yaml-language-server: $schema=../../../schemas/organization.schema.json
name: "Ville d'Exemple"   # the official name
acronym: 'VDE'
description: >-
  La ville publie
  ses données.
created: 2020-01-15

members:
  # the founders
  - user: marie
    role: admin
    since: 2020-01-15
  - user: "paul"
    role: 'editor'
    since: 2021-06-01 # came from the transport department
  - {user: jeanne, role: admin, since: 2024-06-01}

# badges are set by the maintainers
badges: [public-service]
"""
COMPACT = """\
name: Ville
description: Compact style, dashes at the key's column.
created: 2020-01-15
members:
- user: marie
  role: admin
  since: 2020-01-15
- user: jeanne
  role: admin
  since: 2020-01-15
"""


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_NOW", NOW)
    return GitRepo(tmp_path / "repo")


def act(runner, repo: GitRepo, who: str, *args: str, commit: bool = False):
    git(repo.root, "config", "user.email", EMAILS.get(who, who))
    git(repo.root, "config", "user.name", who)
    return runner.invoke(main, [*args, "--repo", str(repo.root), *(["--commit"] if commit else [])])


def diff_lines(repo: GitRepo) -> list[str]:
    """The changed lines of the working tree against HEAD (no context)."""
    out = git(repo.root, "diff", "--unified=0", "--no-color")
    return [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_member_add_diff_is_the_added_lines_only(runner, repo: GitRepo) -> None:
    repo.write(f"{ORG}/organization.yaml", HAND_WRITTEN)
    base = repo.commit("marie")
    result = act(runner, repo, "jeanne", "member", "add", "ville-exemple", "lucas")
    assert result.exit_code == 0, result.output
    assert diff_lines(repo) == ["+  - user: lucas", "+    role: editor", "+    since: 2024-06-01"]
    text = repo.path(f"{ORG}/organization.yaml").read_text()
    # the new member comes right after the last one, before the blank line and the comment that followed
    assert "  - {user: jeanne, role: admin, since: 2024-06-01}\n  - user: lucas\n" in text
    assert text.endswith("    since: 2024-06-01\n\n# badges are set by the maintainers\nbadges: [public-service]\n")
    repo.commit("jeanne")
    assert repo.check(base).ok


def test_append_after_an_end_of_line_comment(runner, repo: GitRepo) -> None:
    block = "  - user: jeanne\n    role: admin\n    since: 2024-06-01  # the newest\n"
    repo.write(
        f"{ORG}/organization.yaml", HAND_WRITTEN.replace("  - {user: jeanne, role: admin, since: 2024-06-01}\n", block)
    )
    repo.commit("marie")
    assert act(runner, repo, "jeanne", "member", "add", "ville-exemple", "lucas").exit_code == 0
    assert diff_lines(repo) == ["+  - user: lucas", "+    role: editor", "+    since: 2024-06-01"]
    assert "since: 2024-06-01  # the newest\n  - user: lucas\n" in repo.path(f"{ORG}/organization.yaml").read_text()


def test_compact_style_is_kept(runner, repo: GitRepo) -> None:
    repo.write(f"{ORG}/organization.yaml", COMPACT)
    repo.commit("marie")
    assert act(runner, repo, "jeanne", "member", "add", "ville-exemple", "paul").exit_code == 0
    assert diff_lines(repo) == ["+- user: paul", "+  role: editor", "+  since: 2024-06-01"]


def test_remove_and_set_role_touch_only_their_lines(runner, repo: GitRepo) -> None:
    repo.write(
        f"{ORG}/organization.yaml", HAND_WRITTEN.replace("  - {user: jeanne, role: admin, since: 2024-06-01}\n", "")
    )
    repo.commit("marie")
    assert act(runner, repo, "marie", "member", "set-role", "ville-exemple", "paul", "admin").exit_code == 0
    assert diff_lines(repo) == ["-    role: 'editor'", "+    role: 'admin'"]
    git(repo.root, "checkout", "-q", "--", ".")
    assert act(runner, repo, "marie", "member", "remove", "ville-exemple", "paul").exit_code == 0
    assert diff_lines(repo) == [
        '-  - user: "paul"',
        "-    role: 'editor'",
        "-    since: 2021-06-01 # came from the transport department",
    ]
    text = repo.path(f"{ORG}/organization.yaml").read_text()
    assert text.endswith("    since: 2020-01-15\n\n# badges are set by the maintainers\nbadges: [public-service]\n")


def test_discussion_reply_appends_lines_only(runner, repo: GitRepo) -> None:
    path = f"{ORG}/discussions/arret-manquant.yaml"
    repo.write(path, (MINIMAL / "organizations/ville-exemple/discussions/arret-manquant.yaml").read_text())
    repo.commit("marie")
    assert act(runner, repo, "paul", "discussion", "reply", "arret-manquant", "--message", "Ajouté.").exit_code == 0
    assert diff_lines(repo) == [
        "+  - author: paul",
        "+    posted: 2024-06-01T12:00:00+02:00",
        "+    content: Ajouté.",
    ]


@pytest.mark.parametrize("folder", [PROJECT / "content", MINIMAL], ids=["example-portal", "minimal-portal"])
def test_round_trip_is_byte_identical(folder: Path) -> None:
    for file in sorted(folder.rglob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        assert edit.YamlFile.parse(file.name, text).dump() == text, file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("members:\n  - user: a\n", (2, 4, 2)),
        ("members:\n- user: a\n", (2, 2, 0)),
        ("a:\n    b: 1\nm:\n    - x\n", (4, 6, 4)),
        ("name: x\n", (2, 4, 2)),
    ],
)
def test_detect_indent(text: str, expected: tuple[int, int, int]) -> None:
    assert edit.detect_indent(text) == expected


def test_write_is_atomic(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "file.yaml"
    target.write_text("old: 1\n")

    def crash(source, dest):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        edit.write_atomic(target, "new: 2\n")
    assert target.read_text() == "old: 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["file.yaml"]  # no temporary file left behind
    monkeypatch.undo()
    edit.write_atomic(target, "new: 2\n")
    assert target.read_text() == "new: 2\n"


def test_library_api_returns_changes_and_decisions(repo: GitRepo) -> None:
    git(repo.root, "config", "user.email", EMAILS["jeanne"])
    ws = edit.Workspace.open(repo.root, now=edit.clock(NOW))
    result = edit.member_add(ws, "ville-exemple", "lucas", "admin")
    assert result.paths == [f"{ORG}/organization.yaml"]
    assert result.summary == ["added lucas to ville-exemple as admin"]
    assert [(d.rule, d.allowed) for d in result.decisions] == [("org-members", True)]
    assert result.commit is None
    with pytest.raises(edit.Denied) as denied:
        edit.member_add(edit.Workspace(repo.root, EMAILS["paul"]), "ville-exemple", "robot")
    assert denied.value.decisions[0].rule == "org-members" and denied.value.exit_code == 1


def test_clock_rejects_garbage() -> None:
    with pytest.raises(edit.UsageError):
        edit.clock("yesterday")
    assert edit.clock("2024-06-01T12:00:00Z").isoformat() == "2024-06-01T12:00:00+00:00"


# ------------------------------------------------------------------------------------------------ portal init


def test_init_creates_a_valid_repository_that_commands_work_in(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_NOW", NOW)
    target = tmp_path / "portail"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.email", "ana@example.org")
    git(target, "config", "user.name", "Ana")
    args = ["init", str(target), "--title", "Mon portail", "--language", "fr", "--maintainer", "ana"]
    result = runner.invoke(main, [*args, "--name", "Ana Lima", "--commit"])
    assert result.exit_code == 0, result.output
    for name in (".github/workflows/portal.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml", "README.md"):
        assert (target / name).is_file(), name
    assert "portal validate" in (target / ".pre-commit-config.yaml").read_text()
    assert validate(target / "content").ok
    site = (target / "content/site.yaml").read_text()
    assert "title: Mon portail\n" in site and "maintainers: [ana]" in site and site.startswith("# The portal")
    assert git(target, "status", "--porcelain") == ""
    built = runner.invoke(main, ["build", "--content", str(target / "content"), "--output", str(target / "_site")])
    assert built.exit_code == 0, built.output
    assert (target / ".portal-cache").is_dir()
    assert git(target, "status", "--porcelain") == ""  # the site and the build cache are ignored
    base = git(target, "rev-parse", "HEAD")
    created = runner.invoke(main, ["org", "create", "mairie", "--name", "Mairie", "--repo", str(target), "--commit"])
    assert created.exit_code == 0, created.output
    from generator.policy import Options, check_roles

    assert check_roles(target, base, "HEAD", Options()).ok
    again = runner.invoke(main, ["init", str(target)])
    assert again.exit_code == 1 and "already holds" in again.output


def test_init_without_maintainer_in_a_new_folder(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("EMAIL", raising=False)
    nobody = runner.invoke(main, ["init", str(tmp_path / "nobody")])
    assert nobody.exit_code == 2 and "who maintains the portal?" in nobody.output
    assert "Traceback" not in nobody.output and not (tmp_path / "nobody/content").exists()

    # the first maintainer is whoever git says commits here (the environment, as git reads it)
    env = {"GIT_AUTHOR_NAME": "Ana Lima", "GIT_AUTHOR_EMAIL": "ana.lima@example.org"}
    env |= {"GIT_COMMITTER_NAME": "Ana Lima", "GIT_COMMITTER_EMAIL": "ana.lima@example.org"}
    result = runner.invoke(main, ["init", str(tmp_path / "new"), "--commit"], env=env)
    assert result.exit_code == 0, result.output
    root = tmp_path / "new"
    assert (root / ".git").is_dir() and validate(root / "content").ok
    site = (root / "content/site.yaml").read_text()
    assert "maintainers: [ana-lima]" in site and "bots: [portal-bot]" in site
    assert "ana.lima@example.org" in (root / "content/users/ana-lima.yaml").read_text()
    assert edit.BOT_EMAIL in (root / "content/users/portal-bot.yaml").read_text()
    assert "registered the bot portal-bot" in result.output
    for workflow in ("harvest", "links", "metrics"):  # the workflows commit as the bot init registered
        assert f"author: portal-bot <{edit.BOT_EMAIL}>" in (root / f".github/workflows/{workflow}.yml").read_text()
    chosen = runner.invoke(main, ["init", str(tmp_path / "other"), "--bot", "robot", "--bot-email", "r@x.org"], env=env)
    assert chosen.exit_code == 0, chosen.output
    assert "author: robot <r@x.org>" in (tmp_path / "other/.github/workflows/harvest.yml").read_text()
    assert "bots: [robot]" in (tmp_path / "other/content/site.yaml").read_text()

    # a first pull request: the bot's generated state and a newcomer's registration pass check-roles
    from generator.policy import Options, check_roles

    base = git(root, "rev-parse", "HEAD")
    (root / "content/metrics").mkdir()
    (root / "content/metrics/2024-06.csv").write_text("month;page;views\n")
    git(root, "add", "-A")
    git(root, "-c", f"user.email={edit.BOT_EMAIL}", "-c", "user.name=bot", "commit", "-q", "-m", "metrics")
    newcomer = {"GIT_AUTHOR_EMAIL": "zoe@example.org", "GIT_COMMITTER_EMAIL": "zoe@example.org"}
    registered = runner.invoke(
        main, ["user", "register", "zoe", "--name", "Zoé", "--content", str(root), "--commit"], env=newcomer
    )
    assert registered.exit_code == 0, registered.output
    assert git(root, "log", "-1", "--format=%ae") == "zoe@example.org"
    report = check_roles(root, base, "HEAD", Options())
    assert report.ok and report.changes == 2, [v.as_text() for v in report.violations]


def test_every_contributor_command_is_documented() -> None:
    import click

    doc = (PROJECT / "docs" / "contributing.md").read_text()
    names = ["init", "user", "org", "member", "request", "dataset", "resource", "reuse", "discussion", "harvester"]
    names += ["dataservice"]
    names.append("whoami")
    for name in names:
        command = main.commands[name]
        subs = command.commands if isinstance(command, click.Group) else {"": command}
        for sub in subs:
            usage = f"portal {name} {sub}".strip()
            assert usage in doc, f"{usage} is not in docs/contributing.md"


def test_commit_holds_only_the_changed_paths(runner, repo: GitRepo) -> None:
    other = "content/users/lucas.yaml"
    repo.path(other).write_text(repo.path(other).read_text() + "about: Bonjour\n")
    git(repo.root, "add", other)
    result = act(runner, repo, "jeanne", "member", "add", "ville-exemple", "lucas", commit=True)
    assert result.exit_code == 0, result.output
    assert git(repo.root, "show", "--name-only", "--format=%s", "HEAD").splitlines() == [
        "Add lucas to ville-exemple as editor",
        "",
        f"{ORG}/organization.yaml",
    ]
    assert git(repo.root, "status", "--porcelain") == f"M  {other}"
    assert repo.check(repo.base).ok
