"""Contributor commands that read, edit, delete and move content, in a real git repository, proven against
``portal check-roles`` and ``portal validate`` as in test_contrib_roles; identity as git resolves it."""

from __future__ import annotations

import json

import pytest
from conftest import MINIMAL
from gitrepo import EMAILS, ORG, GitRepo, git, rules_of
from test_contrib_roles import act, assert_good, clean, contrib_repo, head, read

from generator.cli import main


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:
    return contrib_repo(tmp_path, monkeypatch)


DATASET = f"{ORG}/datasets/arrets-de-bus.yaml"
DISCUSSION = f"{ORG}/discussions/arret-manquant.yaml"
OTHER = "content/organizations/metropole"


def _metropole(runner, repo: GitRepo) -> None:
    """A second organization: paul admin (he is an editor of ville-exemple), lucas nothing; the files that move
    as people write them (gitrepo's PyYAML dump writes date-times that validate flags)."""
    for path in (DATASET, DISCUSSION):
        repo.write(path, (MINIMAL / path.removeprefix("content/")).read_text())
    repo.commit("marie", "as written")
    done = act(runner, repo, "paul", "org", "create", "metropole", "--name", "Métropole")
    assert done.exit_code == 0, done.output


# ---------------------------------------------------------------------------------------------- identity


def test_identity_is_the_author_git_writes(runner, repo: GitRepo, monkeypatch) -> None:
    """The commands act as the author of the commit they make: git var GIT_AUTHOR_IDENT, so the environment
    (GIT_AUTHOR_EMAIL, then user.email of the repository, then EMAIL) decides as it does for git commit."""
    base = head(repo)
    git(repo.root, "config", "user.email", EMAILS["lucas"])  # per-repository config: lucas, no role
    git(repo.root, "config", "user.name", "Lucas")
    refused = runner.invoke(main, ["dataset", "edit", "arrets-de-bus", "--title", "T", "--content", str(repo.root)])
    assert refused.exit_code == 1 and "denied: org-content: lucas" in refused.output
    # GIT_AUTHOR_EMAIL wins over the repository's user.email, for git commit and for the command alike
    env = {"GIT_AUTHOR_EMAIL": EMAILS["paul"], "GIT_AUTHOR_NAME": "Paul"}
    args = ["dataset", "edit", "arrets-de-bus", "--title", "Arrêts", "--content", str(repo.root), "--commit"]
    done = runner.invoke(main, args, env=env)
    assert done.exit_code == 0, done.output
    assert git(repo.root, "log", "-1", "--format=%ae %ce") == f"{EMAILS['paul']} {EMAILS['lucas']}"
    who = runner.invoke(main, ["whoami", "--content", str(repo.root)], env=env)
    assert who.output.startswith("paul: ")
    # without user.email anywhere, git falls back to EMAIL: so do the commands
    git(repo.root, "config", "--unset", "user.email")
    monkeypatch.setenv("EMAIL", EMAILS["jeanne"])
    who = runner.invoke(main, ["whoami", "--content", str(repo.root)])
    assert who.exit_code == 0 and who.output.startswith("jeanne: "), who.output
    data = json.loads(runner.invoke(main, ["whoami", "--content", str(repo.root), "--format", "json"]).output)
    assert data["username"] == "jeanne" and data["roles"] == {"ville-exemple": "admin"}
    # and with no identity at all, a usage error (exit 2) saying how to set one; reading needs none
    monkeypatch.delenv("EMAIL")
    none = runner.invoke(main, ["whoami", "--content", str(repo.root)])
    assert none.exit_code == 2 and "git config user.email" in none.output
    listed = runner.invoke(main, ["dataset", "list", "--content", str(repo.root)])
    assert listed.exit_code == 0 and "arrets-de-bus" in listed.output
    mine = runner.invoke(main, ["user", "show", "--content", str(repo.root)])
    assert mine.exit_code == 1 and "register" in mine.output
    assert repo.check(base).ok


# ---------------------------------------------------------------------------------------- list and show


def test_list_and_show_every_kind_as_text_and_json(runner, repo: GitRepo) -> None:
    cases = [
        (["user", "list"], "marie"),
        (["user", "show", "paul"], "content/users/paul.yaml"),
        (["org", "list"], "ville-exemple"),
        (["org", "show", "ville-exemple"], "members:"),
        (["member", "list", "ville-exemple"], "jeanne  admin"),
        (["request", "list", "--status", "pending"], "ville-exemple/robot"),
        (["request", "show", "ville-exemple", "robot"], "status: pending"),
        (["dataset", "list", "ville-exemple"], "arrets-de-bus  (ville-exemple)  Arrêts de bus"),
        (["dataset", "show", "arrets-de-bus"], "Position des **arrêts de bus**"),
        (["resource", "list", "arrets-de-bus"], "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40  csv"),
        (["resource", "show", "arrets-de-bus", "0b6f"], "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40"),
        (["reuse", "list"], "carte-des-arrets"),
        (["reuse", "show", "carte-des-arrets"], "arrets-de-bus"),
        (["discussion", "list", "--open"], "arret-manquant"),
        (["discussion", "show", "arret-manquant"], "Un arrêt manque"),
        (["harvester", "list", "ville-exemple"], "ville-exemple/catalogue"),
        (["harvester", "show", "ville-exemple/catalogue"], "backend:"),
    ]
    for args, expected in cases:
        text = act(runner, repo, "lucas", *args, commit=False)
        assert text.exit_code == 0 and expected in text.output, (args, text.output)
        data = json.loads(act(runner, repo, "lucas", *args, "--format", "json", commit=False).output)
        assert data, args
    shown = json.loads(
        act(runner, repo, "lucas", "dataset", "show", "arrets-de-bus", "--format", "json", commit=False).output
    )
    assert shown["path"] == f"content/{DATASET[len('content/') :]}" and shown["data"]["license"] == "etalab-2.0"
    missing = act(runner, repo, "lucas", "dataset", "show", "velos", commit=False)
    assert missing.exit_code == 1 and "portal dataset list" in missing.output


# -------------------------------------------------------------------------------------------------- edit


def test_dataset_edit_keeps_the_file_as_written_and_passes_check_roles(runner, repo: GitRepo) -> None:
    base = head(repo)
    written = (MINIMAL / DATASET.removeprefix("content/")).read_text()
    repo.write(DATASET, written.replace("license:", "# the city's licence\nlicense:"))
    repo.commit("marie", "a comment")
    refused = act(runner, repo, "lucas", "dataset", "edit", "arrets-de-bus", "--frequency", "weekly")
    assert refused.exit_code == 1 and "portal request create ville-exemple" in refused.output
    done = act(runner, repo, "paul", "dataset", "edit", "arrets-de-bus", "--frequency", "weekly", "--tag", "bus")
    assert done.exit_code == 0, done.output
    diff = git(repo.root, "show", "--format=", "--unified=0", "HEAD")
    changed = [x for x in diff.splitlines() if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    assert changed == [
        "-frequency: monthly",
        "+frequency: weekly",
        "-tags: [transport, bus]",
        "+tags: [bus]",
        "-last_modified: 2024-03-01T10:00:00+01:00",
        "+last_modified: 2024-06-01T12:00:00+02:00",
    ]
    assert "# the city's licence" in repo.path(DATASET).read_text()
    nothing = act(runner, repo, "paul", "dataset", "edit", "arrets-de-bus", "--frequency", "weekly")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    bad = act(runner, repo, "paul", "dataset", "edit", "arrets-de-bus", "--frequency", "sometimes")
    assert bad.exit_code == 2 and "monthly" in bad.output
    assert_good(repo, base)


def test_markdown_in_gits_editor(runner, repo: GitRepo, tmp_path) -> None:
    base = head(repo)
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Nouvelle description.\\n\\nSur deux paragraphes.\\n" > "$1"\n')
    editor.chmod(0o755)
    git(repo.root, "config", "core.editor", str(editor))
    done = act(runner, repo, "paul", "dataset", "edit", "arrets-de-bus", "--editor")
    assert done.exit_code == 0, done.output
    assert read(repo, DATASET)["description"] == "Nouvelle description.\n\nSur deux paragraphes.\n"
    assert "description: |\n  Nouvelle description.\n\n  Sur deux paragraphes.\n" in repo.path(DATASET).read_text()
    # a reply without --message opens the editor too; an empty text aborts, as git commit does
    assert act(runner, repo, "lucas", "discussion", "reply", "arret-manquant").exit_code == 0
    assert read(repo, DISCUSSION)["messages"][-1]["content"].startswith("Nouvelle description.")
    editor.write_text('#!/bin/sh\n: > "$1"\n')
    empty = act(runner, repo, "lucas", "discussion", "reply", "arret-manquant")
    assert empty.exit_code == 1 and "aborted" in empty.output and clean(repo)
    assert_good(repo, base)


def test_org_user_resource_reuse_harvester_edits(runner, repo: GitRepo) -> None:
    base = head(repo)
    steps = [
        ("jeanne", ["org", "edit", "ville-exemple", "--url", "https://www.ville-exemple.fr/"], 0),
        ("paul", ["org", "edit", "ville-exemple", "--acronym", "VE"], 1),
        ("lucas", ["user", "edit", "--about", "Transports", "--add-email", "lucas@ville.example.org"], 0),
        ("paul", ["resource", "edit", "arrets-de-bus", "0b6f", "--title", "Arrêts 2024", "--format", "CSV"], 0),
        ("lucas", ["resource", "remove", "arrets-de-bus", "0b6f"], 1),
        ("paul", ["reuse", "edit", "carte-des-arrets", "--title", "Carte"], 0),
        (
            "jeanne",
            ["harvester", "create", "ville-exemple/geo", "--backend", "dcat", "--url", "https://g.example.org/"],
            0,
        ),
        ("paul", ["harvester", "edit", "ville-exemple/geo", "--frequency", "daily"], 1),
        ("jeanne", ["harvester", "edit", "ville-exemple/geo", "--inactive", "--frequency", "daily"], 0),
        ("jeanne", ["harvester", "delete", "ville-exemple/catalogue"], 0),
        ("jeanne", ["discussion", "close", "arret-manquant"], 0),
        ("lucas", ["discussion", "reopen", "arret-manquant"], 1),
        ("paul", ["discussion", "reopen", "arret-manquant"], 0),
        ("paul", ["resource", "remove", "arrets-de-bus", "0b6f"], 0),
    ]
    for who, args, code in steps:
        done = act(runner, repo, who, *args)
        assert done.exit_code == code, (who, args, done.output)
        assert "Traceback" not in done.output
        if code:
            assert clean(repo)
    assert read(repo, "content/users/lucas.yaml")["emails"] == [EMAILS["lucas"], "lucas@ville.example.org"]
    assert read(repo, f"{ORG}/harvesters/geo.yaml")["active"] is False
    assert read(repo, DATASET).get("resources") in (None, [])
    assert "closed" not in read(repo, DISCUSSION)
    assert_good(repo, base)


def test_an_editor_refused_an_admin_action_is_not_told_to_join(runner, repo: GitRepo) -> None:
    refused = act(runner, repo, "paul", "member", "add", "ville-exemple", "lucas")
    assert refused.exit_code == 1
    assert "membership request" not in refused.output and "request create" not in refused.output
    assert "ask an admin of ville-exemple (jeanne, marie)" in refused.output
    outsider = act(runner, repo, "lucas", "member", "add", "ville-exemple", "lucas")
    assert "portal request create ville-exemple --comment" in outsider.output
    assert "yaml" not in refused.output.lower() + outsider.output.lower()


def test_org_create_suggests_a_slug(runner, repo: GitRepo) -> None:
    given = act(runner, repo, "lucas", "org", "create", "Ville de Test")
    assert given.exit_code == 2
    assert "portal org create ville-de-test --name 'Ville de Test'" in given.output
    named = act(runner, repo, "lucas", "org", "create", "Ville de Test", "--name", "Ville de Test")
    assert "portal org create ville-de-test --name 'Ville de Test'" in named.output


# --------------------------------------------------------------------------------------- move and delete


def test_dataset_moves_with_its_discussions(runner, repo: GitRepo) -> None:
    base = head(repo)
    _metropole(runner, repo)
    # jeanne is admin of ville-exemple but nothing in metropole: refused up front, nothing written
    refused = act(runner, repo, "jeanne", "dataset", "move", "arrets-de-bus", "--to", "metropole")
    assert refused.exit_code == 1 and "denied: org-content:" in refused.output and clean(repo)
    # the reuse that refers to it stays where it is (slugs are portal-wide); paul may publish in both
    done = act(runner, repo, "paul", "dataset", "move", "arrets-de-bus", "--to", "metropole")
    assert done.exit_code == 0, done.output
    assert "with 1 discussion(s)" in done.output
    assert repo.path(f"{OTHER}/discussions/arret-manquant.yaml").is_file()
    assert not repo.path(DISCUSSION).exists() and not repo.path(DATASET).exists()
    assert_good(repo, base)
    # to his personal space and back
    assert act(runner, repo, "paul", "dataset", "move", "arrets-de-bus", "--personal").exit_code == 0
    assert repo.path("content/users/paul/discussions/arret-manquant.yaml").is_file()
    assert act(runner, repo, "paul", "dataset", "move", "arrets-de-bus", "--to", "ville-exemple").exit_code == 0
    assert repo.path(DISCUSSION).is_file()
    assert_good(repo, base)


def test_hand_made_moves_that_check_roles_rejects(runner, repo: GitRepo) -> None:
    base = head(repo)
    _metropole(runner, repo)
    after_org = head(repo)
    # the discussion alone moved (its subject stays): discussions are append-only
    repo.move(DISCUSSION, f"{OTHER}/discussions/arret-manquant.yaml")
    forged = repo.commit("paul", "move the discussion only")
    assert "discussion-history" in rules_of(repo.check(after_org, forged))
    git(repo.root, "reset", "-q", "--hard", after_org)
    # the whole move, with someone else's message changed on the way: not a move, a forged message
    reply = ["discussion", "reply", "arret-manquant", "--message", "Et Mairie ?"]
    assert act(runner, repo, "lucas", *reply).exit_code == 0
    replied = head(repo)
    repo.move(DATASET, f"{OTHER}/datasets/arrets-de-bus.yaml")
    repo.move(DISCUSSION, f"{OTHER}/discussions/arret-manquant.yaml")
    repo.edit(f"{OTHER}/discussions/arret-manquant.yaml", lambda d: d["messages"][1].update(content="Merci !"))
    forged = repo.commit("paul", "move and rewrite")
    assert rules_of(repo.check(replied, forged)) == {"discussion-post"}
    git(repo.root, "reset", "-q", "--hard", after_org)
    # the same move as the command makes it, by jeanne (no right in metropole)
    assert (
        act(runner, repo, "paul", "dataset", "move", "arrets-de-bus", "--to", "metropole", commit=False).exit_code == 0
    )
    forged = repo.commit("jeanne", "move as jeanne")
    assert rules_of(repo.check(after_org, forged)) == {"org-content", "discussion-follow"}
    assert repo.check(base, after_org).ok


def test_delete_takes_discussions_and_is_refused_while_referred_to(runner, repo: GitRepo) -> None:
    base = head(repo)
    referred = act(runner, repo, "paul", "dataset", "delete", "arrets-de-bus")
    assert referred.exit_code == 1 and "unknown-dataset" in referred.output and clean(repo)
    assert act(runner, repo, "lucas", "reuse", "delete", "carte-des-arrets").exit_code == 1
    assert act(runner, repo, "paul", "reuse", "delete", "carte-des-arrets").exit_code == 0
    still = act(runner, repo, "paul", "dataset", "delete", "arrets-de-bus")  # the fixture's API serves it
    assert still.exit_code == 1 and "api-bus" in still.output and clean(repo)
    assert act(runner, repo, "paul", "dataservice", "delete", "api-bus").exit_code == 0
    done = act(runner, repo, "paul", "dataset", "delete", "arrets-de-bus")
    assert done.exit_code == 0, done.output
    assert not repo.path(DISCUSSION).exists()
    assert_good(repo, base)
    # a discussion deleted on its own stays a maintainer's act
    assert act(runner, repo, "lucas", "user", "delete").exit_code == 0
    assert not repo.path("content/users/lucas.yaml").exists()
    assert_good(repo, base)


# ------------------------------------------------------------------------------------ every command, any input


def _commands(group=main, prefix=()):
    import click

    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


CONTRIB = (
    "init",
    "user",
    "org",
    "member",
    "request",
    "dataset",
    "resource",
    "reuse",
    "dataservice",
    "discussion",
    "harvester",
    "whoami",
)
HOSTILE = [
    "",
    "-",
    "..",
    "../../etc/passwd",
    "a/b",
    "ville-exemple/../x",
    "\x00",
    "é" * 300,
    "--",
    "x" * 5000,
    "*",
    "'\"",
]


@pytest.mark.parametrize("path", [p for p, _ in _commands() if p[0] in CONTRIB], ids=" ".join)
def test_every_command_has_help_with_an_example_and_survives_hostile_arguments(runner, repo: GitRepo, path) -> None:
    help_text = runner.invoke(main, [*path, "--help"]).output
    assert "Example:" in help_text and f"portal {' '.join(path)}" in help_text, help_text
    command = dict(_commands())[path]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    for value in HOSTILE:
        if path == ("init",) and value not in ("\x00", "x" * 5000):
            continue  # init creates folders: only the values that cannot create one
        args = [value] * max(len(arguments), 1)
        for who in ("paul", "nobody@example.org"):
            result = act(runner, repo, who, *path, *args, commit=False)
            assert result.exit_code in (0, 1, 2), (path, value, result.output)
            assert (
                "Traceback" not in result.output
                and result.exception is None
                or isinstance(result.exception, SystemExit)
            ), (path, value, result.output, result.exception)
    assert clean(repo)


def _other_arguments(path: tuple[str, ...], value: str, repo: GitRepo) -> list[list[str]]:
    """Hostile arguments for the commands that are not contributor commands; never a content folder that exists
    where a command would go on the network (links check, harvest) or serve forever (serve: not run)."""
    nowhere = str(repo.root / "nothing") + "/" + value
    content = str(repo.root / "content")
    return {
        ("validate",): [["--content", nowhere], ["--content", content, "--format", value]],
        ("build",): [
            ["--content", nowhere, "--output", str(repo.root / "_site")],
            ["--content", content, "--jobs", value],
        ],
        ("harvest",): [[value, "--content", nowhere]],
        ("metrics", "ingest"): [["--content", nowhere, value], ["--content", content, "--window", value, "x"]],
        ("metrics", "import"): [
            ["--content", nowhere, "--format", "combined", value],
            ["--content", content, "--format", value, "x"],
            ["--content", content, "--format", "matomo-pages", "--month", value, "x"],
        ],
        ("deploy",): [
            ["--output", nowhere, "--bucket", value],
            ["--output", nowhere, "--bucket", "b", "--concurrency", value],
            ["--output", nowhere, "--bucket", "b", "--endpoint-url", value, "--prefix", value],
        ],
        ("links", "check"): [["--content", nowhere], ["--content", nowhere, "--timeout", value]],
        ("check-roles",): [["--base", value, "--content", str(repo.root)], ["--base", "HEAD", "--head", value]],
        ("can",): [[value, "edit", value, "--content", content], ["paul", value, value, "--content", content]],
    }[path]


@pytest.mark.parametrize("path", [p for p, _ in _commands() if p[0] not in CONTRIB and p != ("serve",)], ids=" ".join)
def test_other_commands_have_an_example_and_survive_hostile_arguments(runner, repo: GitRepo, path) -> None:
    help_text = runner.invoke(main, [*path, "--help"]).output
    assert "Example:" in help_text and f"portal {' '.join(path)}" in help_text, help_text
    for value in [v for v in HOSTILE if "\0" not in v] + ["HEAD~9999", "main..HEAD", "\n", "-1"]:
        # (a process's arguments cannot hold a NUL byte: only the contributor commands, run in-process, get one)
        for args in _other_arguments(path, value, repo):
            result = runner.invoke(main, [*path, *args])
            assert result.exit_code in (1, 2), (path, args, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), (path, args, result.exception)
            assert "Traceback" not in result.output


def test_serve_has_an_example() -> None:
    from click.testing import CliRunner

    assert "portal serve --port" in CliRunner().invoke(main, ["serve", "--help"]).output
