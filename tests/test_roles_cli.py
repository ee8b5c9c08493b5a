"""``portal check-roles`` and ``portal can`` from the command line: formats, exit codes, dry runs."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import PROJECT
from gitrepo import DATASET, ORG_FILE, GitRepo, git, member

from generator.cli import main


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def violation(repo: GitRepo) -> str:
    repo.edit(DATASET, lambda d: d.update(title="Allowed"))
    repo.commit("paul")
    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas", "admin")))
    return repo.commit("paul")


def _run(runner, repo: GitRepo, *args: str, env: dict | None = None):
    return runner.invoke(main, ["check-roles", "--repo", str(repo.root), "--base", repo.base, *args], env=env)


def test_text_report_names_everything(runner, repo: GitRepo, violation: str) -> None:
    result = _run(runner, repo)
    assert result.exit_code == 1
    line = result.output.splitlines()[0]
    line_no = repo.path(ORG_FILE).read_text().splitlines().index("- user: lucas") + 1
    assert line.startswith(f"{violation[:10]} paul: {ORG_FILE}:{line_no}: org-members: adds lucas as admin")
    assert "paul holds editor of ville-exemple, needs admin of ville-exemple (ask an admin" in line
    assert result.output.splitlines()[-1] == "1 violation(s) in 1 commit(s); 2 commit(s) checked"


def test_clean_range_exits_0(runner, repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d.update(title="ok"))
    repo.commit("paul")
    result = _run(runner, repo)
    assert result.exit_code == 0 and result.output.startswith("ok: 1 commit(s), 1 change(s) checked")


def test_explain_lists_every_decision(runner, repo: GitRepo, violation: str) -> None:
    result = _run(runner, repo, "--explain")
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("allowed ")
    assert "org-content" in result.output.splitlines()[0]


def test_json_report(runner, repo: GitRepo, violation: str) -> None:
    result = _run(runner, repo, "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["ok"] is False and report["commits"] == 2
    (v,) = report["violations"]
    assert (v["commit"], v["author"], v["rule"], v["held"], v["needed"]) == (
        violation,
        "paul",
        "org-members",
        "editor of ville-exemple",
        "admin of ville-exemple",
    )


def test_github_annotations_and_step_summary(runner, repo: GitRepo, violation: str, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    result = _run(runner, repo, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    assert result.output.startswith(f"::error file={ORG_FILE},line=")
    assert "title=check-roles org-members::" in result.output
    assert "| `org-members` |" in summary.read_text()


def test_cannot_check_exits_2(runner, repo: GitRepo, tmp_path) -> None:
    result = runner.invoke(main, ["check-roles", "--repo", str(repo.root), "--base", "nope"])
    assert result.exit_code == 2 and "unknown revision 'nope'" in result.output
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    result = runner.invoke(main, ["check-roles", "--repo", str(outside), "--base", "HEAD"])
    assert result.exit_code == 2 and "not in a git repository" in result.output
    result = _run(runner, repo, "--trusted-time", "yesterday")
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_git_missing_exits_2(runner, repo: GitRepo, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "")
    result = _run(runner, repo)
    assert result.exit_code == 2 and "git is not installed" in result.output


# portal can -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "action", "target", "code", "rule"),
    [
        ("jeanne", "add-member", "ville-exemple/lucas", 0, "org-members"),
        ("paul", "add-member", "ville-exemple/lucas", 1, "org-members"),
        ("paul", "remove-member", "ville-exemple/paul", 0, "org-leave"),
        ("paul", "set-role", "ville-exemple/paul", 1, "org-members"),
        ("paul", "edit", "organizations/ville-exemple/datasets/arrets-de-bus.yaml", 0, "org-content"),
        ("lucas", "delete", "organizations/ville-exemple/datasets/arrets-de-bus.yaml", 1, "org-content"),
        ("lucas", "edit", "organizations/ville-exemple/organization.yaml", 1, "org-profile"),
        ("lucas", "create-org", "nouvelle", 0, "org-create"),
        ("lucas", "request", "ville-exemple", 0, "request-create"),
        ("paul", "request", "ville-exemple", 1, "request-create"),
        ("jeanne", "accept", "ville-exemple/robot", 0, "request-handle"),
        ("paul", "refuse", "ville-exemple/robot", 1, "request-handle"),
        ("robot", "withdraw", "ville-exemple", 1, "request-withdraw"),
        ("lucas", "post", "organizations/ville-exemple/discussions/arret-manquant.yaml", 0, "discussion-post"),
        ("lucas", "close", "organizations/ville-exemple/discussions/arret-manquant.yaml", 1, "discussion-close"),
        ("paul", "close", "organizations/ville-exemple/discussions/arret-manquant.yaml", 0, "discussion-close"),
        ("zoe@example.org", "create", "users/zoe.yaml", 0, "user-create"),
        ("zoe@example.org", "edit", "users/paul.yaml", 1, "user-edit"),
        ("robot", "create", "metrics/2024-06.csv", 0, "generated"),
        ("jeanne", "edit", "site.yaml", 1, "maintainers"),
        ("marie", "edit", "site.yaml", 0, "maintainers"),
    ],
)
def test_can(runner, repo: GitRepo, user, action, target, code, rule) -> None:
    result = runner.invoke(main, ["can", user, action, target, "--content", str(repo.root / "content")])
    assert result.exit_code == code, result.output
    assert result.output.startswith("allowed: " if code == 0 else "denied: ")
    assert f": {rule}: " in result.output


def test_can_usage_errors(runner, repo: GitRepo) -> None:
    content = str(repo.root / "content")
    result = runner.invoke(main, ["can", "nobody", "edit", "site.yaml", "--content", content])
    assert result.exit_code == 2 and "pass an email" in result.output
    result = runner.invoke(main, ["can", "paul", "accept", "ville-exemple", "--content", content])
    assert result.exit_code == 2 and "ORG/USER" in result.output


def test_scaffolds_run_the_check_as_documented() -> None:
    """The role check runs from the target branch (issue 16): pull_request_target on GitHub with --base the
    checked-out target; on GitLab from the file kept outside the repository, with the target's tip as base
    (never the merge base, which would judge with the fork day's rights)."""
    workflow = (PROJECT / "generator" / "scaffold" / "github-roles-workflow.yml").read_text()
    assert list(yaml.safe_load(workflow)[True]) == ["pull_request_target"]  # YAML 1.1 reads `on` as true
    assert "fetch-depth: 0" in workflow and 'portal check-roles --base HEAD --head "$PR_HEAD"' in workflow
    gitlab = (PROJECT / "generator" / "scaffold" / "gitlab-roles-ci.yml").read_text()
    assert "--base refs/portal/target" in gitlab and "GIT_DEPTH: 0" in gitlab
    assert "CI_MERGE_REQUEST_DIFF_BASE_SHA" not in gitlab


def test_repo_option_accepts_a_subfolder(runner, repo: GitRepo) -> None:
    result = runner.invoke(main, ["check-roles", "--repo", str(repo.root / "content"), "--base", repo.base])
    assert result.exit_code == 0
    assert git(repo.root, "status", "--porcelain") == ""
