"""Contributor commands in a real git repository, proven against ``portal check-roles`` and ``portal validate``.

For each action: the right person's command makes a commit that validates and that check-roles allows; the
wrong person is refused up front with the rule's id (exit 1) and the working tree is left untouched; and the
very same change, committed by hand under the wrong person's name, is rejected by check-roles under the same
rule: one source of truth.
"""

from __future__ import annotations

import hashlib

import pytest
from gitrepo import EMAILS, ORG, GitRepo, git, rules_of

import generator.cli.contrib  # noqa: F401  (registers the contributor commands on `main`)
from generator.cli import main
from generator.policy.check import parse_blob
from generator.validate import validate

NOW = "2024-06-01T12:00:00+02:00"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:
    return contrib_repo(tmp_path, monkeypatch)


def contrib_repo(tmp_path, monkeypatch) -> GitRepo:
    """The gitrepo base with a fixed clock, no global git configuration, and its known problems noted."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_NOW", NOW)
    repo = GitRepo(tmp_path / "repo")
    # gitrepo.GitRepo dumps the base with PyYAML, which writes date-times with a space (bad-format): the
    # commands must not add problems, which is what `assert_good` checks against this baseline
    repo.known = {_key(p) for p in validate(repo.root / "content").problems}
    return repo


def _key(problem) -> tuple[str, str, str]:
    return (problem.file, problem.code, problem.message)


def act(runner, repo: GitRepo, who: str, *args: str, commit: bool = True):
    """Run a portal command as ``who`` (a username of gitrepo.EMAILS, or an email)."""
    git(repo.root, "config", "user.email", EMAILS.get(who, who))
    git(repo.root, "config", "user.name", who)
    return runner.invoke(main, [*args, "--repo", str(repo.root), *(["--commit"] if commit else [])])


def read(repo: GitRepo, rel: str):
    """A content file as the portal reads it (dates stay text)."""
    return parse_blob(repo.path(rel).read_bytes(), rel).version.data


def head(repo: GitRepo) -> str:
    return git(repo.root, "rev-parse", "HEAD")


def clean(repo: GitRepo) -> bool:
    return git(repo.root, "status", "--porcelain") == ""


def assert_good(repo: GitRepo, base: str) -> None:
    report = repo.check(base)
    assert report.ok, [v.as_text() for v in report.violations]
    problems = validate(repo.root / "content").problems
    assert [p.as_text() for p in problems if _key(p) not in repo.known] == []


DISCUSSION = "arret-manquant"
CASES = [
    # (command, right person, wrong person, rule the wrong person breaks)
    (["member", "add", "ville-exemple", "lucas", "--role", "editor"], "jeanne", "paul", "org-members"),
    (["member", "add", "ville-exemple", "lucas", "--role", "admin"], "jeanne", "lucas", "org-members"),
    (["member", "remove", "ville-exemple", "paul"], "jeanne", "lucas", "org-members"),
    (["member", "set-role", "ville-exemple", "paul", "admin"], "jeanne", "paul", "org-members"),
    (["request", "accept", "ville-exemple", "robot"], "jeanne", "paul", "request-handle"),
    (["request", "refuse", "ville-exemple", "robot", "--comment", "Pas de robot."], "jeanne", "paul", "request-handle"),
    (["org", "delete", "ville-exemple"], "jeanne", "paul", "org-delete"),
    (["dataset", "create", "ville-exemple", "budget", "--title", "Budget"], "paul", "lucas", "org-content"),
    (
        ["resource", "add", "arrets-de-bus", "https://data.example.org/files/arrets.json"],
        "paul",
        "lucas",
        "org-content",
    ),
    (
        ["reuse", "create", "ville-exemple", "appli", "--title", "Appli", "--url", "https://a.example.org/"]
        + ["--dataset", "arrets-de-bus"],
        "paul",
        "lucas",
        "org-content",
    ),
    (
        [
            "dataservice",
            "create",
            "ville-exemple",
            "api-arrets",
            "--title",
            "API",
            "--base-url",
            "https://a.example.org/",
        ]
        + ["--access", "restricted", "--request-url", "https://a.example.org/acces", "--dataset", "arrets-de-bus"],
        "paul",
        "lucas",
        "org-content",
    ),
    (["discussion", "close", DISCUSSION], "jeanne", "lucas", "discussion-close"),
]


@pytest.mark.parametrize(
    ("args", "right", "wrong", "rule"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_right_person_passes_wrong_person_is_refused(runner, repo: GitRepo, args, right, wrong, rule) -> None:
    base = head(repo)
    refused = act(runner, repo, wrong, *args)
    assert refused.exit_code == 1, refused.output
    assert f"denied: {rule}:" in refused.output
    assert "Traceback" not in refused.output
    assert clean(repo) and head(repo) == base

    # the change the right person's command makes, committed by hand under the wrong person's name
    made = act(runner, repo, right, *args, commit=False)
    assert made.exit_code == 0, made.output
    forged = repo.commit(wrong, "forged")
    assert rule in rules_of(repo.check(base, forged))
    git(repo.root, "reset", "-q", "--hard", base)

    done = act(runner, repo, right, *args)
    assert done.exit_code == 0, done.output
    assert "committed" in done.output and clean(repo)
    assert git(repo.root, "log", "-1", "--format=%ae") == EMAILS[right]
    assert_good(repo, base)


def test_join_workflow_request_accept_then_publish(runner, repo: GitRepo) -> None:
    base = head(repo)
    newcomer = "camille@example.org"
    assert act(runner, repo, newcomer, "request", "create", "ville-exemple", "--comment", "x").exit_code == 1
    assert act(runner, repo, newcomer, "user", "register", "camille", "--name", "Camille").exit_code == 0
    result = act(runner, repo, newcomer, "request", "create", "ville-exemple", "--comment", "Je publie les bus.")
    assert result.exit_code == 0, result.output
    # paul (editor) may not accept; jeanne (admin) may, and camille then publishes in a later commit
    denied = act(runner, repo, "paul", "request", "accept", "ville-exemple", "camille")
    assert denied.exit_code == 1 and "request-handle" in denied.output
    assert act(runner, repo, "jeanne", "request", "accept", "ville-exemple", "camille").exit_code == 0
    result = act(runner, repo, newcomer, "dataset", "create", "ville-exemple", "velos", "--title", "Vélos")
    assert result.exit_code == 0, result.output
    assert_good(repo, base)
    assert read(repo, f"{ORG}/requests/camille.yaml")["status"] == "accepted"
    assert {"user": "camille", "role": "editor", "since": "2024-06-01"} in read(repo, f"{ORG}/organization.yaml")[
        "members"
    ]


def test_request_withdraw_and_a_member_cannot_ask(runner, repo: GitRepo) -> None:
    base = head(repo)
    already = act(runner, repo, "paul", "request", "create", "ville-exemple", "--comment", "x")
    assert already.exit_code == 1 and "already editor" in already.output
    assert act(runner, repo, "lucas", "request", "create", "ville-exemple", "--comment", "Moi").exit_code == 0
    assert act(runner, repo, "lucas", "request", "withdraw", "ville-exemple").exit_code == 0
    assert not repo.path(f"{ORG}/requests/lucas.yaml").exists()
    assert_good(repo, base)


def test_refused_request_says_why_and_how_to_ask_again(runner, repo: GitRepo) -> None:
    base = head(repo)
    act(runner, repo, "lucas", "request", "create", "ville-exemple", "--comment", "Moi")
    act(runner, repo, "jeanne", "request", "refuse", "ville-exemple", "lucas", "--comment", "Présentez-vous.")
    seen = act(runner, repo, "lucas", "whoami", commit=False)
    assert seen.exit_code == 0, seen.output
    assert "your request to join ville-exemple: refused" in seen.output
    assert "refused by jeanne on 2024-06-01T12:00:00+02:00: Présentez-vous." in seen.output
    assert "portal request reopen ville-exemple lucas" in seen.output
    again = act(runner, repo, "lucas", "request", "create", "ville-exemple", "--comment", "Encore")
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "refused by jeanne" in again.output and "portal request reopen ville-exemple lucas" in again.output
    # the hand-made equivalent (replacing the refused request with a pending one) is what check-roles refuses
    repo.write(f"{ORG}/requests/lucas.yaml", {"user": "lucas", "comment": "Encore", "status": "pending"})
    forged = repo.commit("lucas", "ask again by hand")
    assert "request-handle" in rules_of(repo.check(base, forged))
    git(repo.root, "reset", "-q", "--hard", "HEAD^")
    # the way the message gives: an admin reopens it, the person changes the comment, an admin accepts
    assert act(runner, repo, "paul", "request", "reopen", "ville-exemple", "lucas").exit_code == 1
    assert act(runner, repo, "jeanne", "request", "reopen", "ville-exemple", "lucas").exit_code == 0
    assert (
        act(runner, repo, "lucas", "request", "create", "ville-exemple", "--comment", "Lucas, transports").exit_code
        == 0
    )
    assert act(runner, repo, "jeanne", "request", "accept", "ville-exemple", "lucas").exit_code == 0
    assert read(repo, f"{ORG}/requests/lucas.yaml")["comment"] == "Lucas, transports"
    assert_good(repo, base)


def test_create_org_then_leave_and_last_admin_cannot_leave(runner, repo: GitRepo) -> None:
    base = head(repo)
    nobody = act(runner, repo, "nobody@example.org", "org", "create", "asso", "--name", "Asso")
    assert nobody.exit_code == 1 and "register" in nobody.output
    assert act(runner, repo, "lucas", "org", "create", "asso", "--name", "Une asso").exit_code == 0
    assert read(repo, "content/organizations/asso/organization.yaml")["members"] == [
        {"user": "lucas", "role": "admin", "since": "2024-06-01"}
    ]
    alone = act(runner, repo, "lucas", "member", "leave", "asso")
    assert alone.exit_code == 1 and "less than 1 item at members" in alone.output and clean(repo)
    assert act(runner, repo, "lucas", "member", "add", "asso", "paul").exit_code == 0
    last_admin = act(runner, repo, "lucas", "member", "leave", "asso")
    assert last_admin.exit_code == 1 and "no-admin" in last_admin.output and clean(repo)
    assert act(runner, repo, "lucas", "member", "set-role", "asso", "paul", "admin").exit_code == 0
    assert act(runner, repo, "lucas", "member", "leave", "asso").exit_code == 0
    assert act(runner, repo, "paul", "member", "leave", "ville-exemple").exit_code == 0
    assert_good(repo, base)


def test_discussion_open_reply_close(runner, repo: GitRepo) -> None:
    base = head(repo)
    opened = act(
        runner, repo, "lucas", "discussion", "open", "arrets-de-bus", "--title", "Horaires faux", "--message", "?"
    )
    assert opened.exit_code == 0, opened.output
    path = f"{ORG}/discussions/horaires-faux-20240601.yaml"
    assert read(repo, path)["messages"] == [{"author": "lucas", "posted": NOW, "content": "?"}]
    assert (
        act(runner, repo, "paul", "discussion", "reply", "horaires-faux-20240601", "--message", "Corrigé.").exit_code
        == 0
    )
    # marie is a maintainer: whoami shows nothing waiting for paul's organization once paul answered
    closed = act(runner, repo, "lucas", "discussion", "close", "horaires-faux-20240601", "--message", "Merci")
    assert closed.exit_code == 0, closed.output
    data = read(repo, path)
    assert data["closed_by"] == "lucas" and len(data["messages"]) == 3
    assert act(runner, repo, "paul", "discussion", "reply", "horaires-faux-20240601", "--message", "x").exit_code == 1
    # a reuse as subject: filed under the reuse's owner, with subject_type reuse
    assert (
        act(
            runner, repo, "lucas", "discussion", "open", "carte-des-arrets", "--title", "Lien", "--message", "Mort"
        ).exit_code
        == 0
    )
    assert read(repo, f"{ORG}/discussions/lien-20240601.yaml")["subject_type"] == "reuse"
    assert_good(repo, base)


def test_forged_message_author_is_rejected_by_check_roles(runner, repo: GitRepo) -> None:
    base = head(repo)
    assert act(runner, repo, "paul", "discussion", "reply", DISCUSSION, "--message", "Oui", commit=False).exit_code == 0
    forged = repo.commit("lucas", "forged")
    assert rules_of(repo.check(base, forged)) == {"discussion-post"}


def test_personal_dataset_and_local_file_resource(runner, repo: GitRepo, tmp_path) -> None:
    base = head(repo)
    assert (
        act(runner, repo, "lucas", "dataset", "create", "--personal", "mes-mesures", "--title", "Mesures").exit_code
        == 0
    )
    data_file = tmp_path / "Mesures.CSV"
    data_file.write_bytes(b"a,b\n1,2\n")
    no_url = act(runner, repo, "lucas", "resource", "add", "mes-mesures", str(data_file))
    assert no_url.exit_code == 2 and "--url" in no_url.output
    result = act(
        runner, repo, "lucas", "resource", "add", "mes-mesures", str(data_file), "--url", "https://f.example.org/m.csv"
    )
    assert result.exit_code == 0, result.output
    resource = read(repo, "content/users/lucas/datasets/mes-mesures.yaml")["resources"][0]
    assert resource["filesize"] == 8 and resource["format"] == "csv" and resource["mime"] == "text/csv"
    assert resource["checksum"] == {"type": "sha256", "value": hashlib.sha256(b"a,b\n1,2\n").hexdigest()}
    other = act(runner, repo, "paul", "resource", "add", "mes-mesures", "https://x.example.org/a.json")
    assert other.exit_code == 1 and "denied: user-edit:" in other.output
    assert_good(repo, base)


def test_unknown_email_may_only_register(runner, repo: GitRepo) -> None:
    base = head(repo)
    stranger = "zoe@example.org"
    result = act(runner, repo, stranger, "discussion", "open", "arrets-de-bus", "--title", "T", "--message", "M")
    assert result.exit_code == 1 and "user register" in result.output
    taken = act(runner, repo, stranger, "user", "register", "paul", "--name", "Zoé")
    assert taken.exit_code == 1 and "taken" in taken.output
    assert act(runner, repo, stranger, "user", "register", "zoe", "--name", "Zoé").exit_code == 0
    twice = act(runner, repo, stranger, "user", "register", "zoe2", "--name", "Zoé")
    assert twice.exit_code == 1 and "already" in twice.output
    assert_good(repo, base)


def test_invalid_result_is_refused_and_nothing_written(runner, repo: GitRepo) -> None:
    result = act(runner, repo, "paul", "dataset", "create", "ville-exemple", "arrets-de-bus", "--title", "Doublon")
    assert result.exit_code == 1 and "taken" in result.output
    bad = act(runner, repo, "jeanne", "org", "create", "Bad_Slug", "--name", "X")
    assert bad.exit_code == 2 and clean(repo)
    # a problem only validation sees: a reuse of a dataset that does not exist is refused before writing
    reuse = act(
        runner, repo, "paul", "reuse", "create", "ville-exemple", "r", "--title", "R", "--url", "https://r.example.org/"
    )
    assert reuse.exit_code == 2  # --dataset is required
    assert clean(repo)


def test_not_in_a_git_repository(runner, tmp_path) -> None:
    result = runner.invoke(main, ["whoami", "--repo", str(tmp_path)])
    assert result.exit_code == 2 and "not in a git repository" in result.output


def test_whoami_lists_roles_and_what_waits(runner, repo: GitRepo) -> None:
    act(runner, repo, "lucas", "discussion", "open", "arrets-de-bus", "--title", "Question", "--message", "?")
    result = act(runner, repo, "jeanne", "whoami", commit=False)
    assert result.exit_code == 0, result.output
    assert "jeanne: Jeanne <jeanne@example.org>" in result.output
    assert "ville-exemple: admin" in result.output
    assert "ville-exemple: robot (portal request accept|refuse ville-exemple robot)" in result.output
    assert "question-20240601" in result.output
    assert "arret-manquant" not in result.output  # its last message is from paul, a member: answered
    lucas = act(runner, repo, "lucas", "whoami", commit=False)
    assert "organizations: none" in lucas.output and "nothing waits for you" in lucas.output
    stranger = act(runner, repo, "zoe@example.org", "whoami", commit=False)
    assert stranger.exit_code == 1 and "not registered" in stranger.output
