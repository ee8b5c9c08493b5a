"""Issue 19: the workflows `portal init` writes, run as the CI platforms would run them, in real repositories.

* GitHub: each workflow's `run:` steps in order, in a clone, with the variables GitHub sets and each step's
  `env:` resolved; the actions themselves are played by what they do here (checkout: the clone;
  configure-pages: its `base_url` output; create-pull-request: a commit of `add-paths` by `author`, pushed to
  the branch it names). `pip install` steps are checked to name exactly this distribution and version (it is
  not on PyPI yet; the test's environment already has it).
* GitLab: the jobs run for real with gitlab-ci-local and its shell executor.

Then `portal check-roles` judges what the bot pushed, against the target branch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, PROJECT
from gitrepo import ENV, git
from harvest_helpers import serve
from npm_tools import npm_tool

from generator import __version__
from generator.edit import BOT_EMAIL, BOT_USERNAME, DISTRIBUTION, init
from generator.policy import check_roles

PAGES_URL = "https://ana.github.io/portail"


@pytest.fixture(scope="module")
def server():
    with serve() as found:
        found.routes["/files/arrets.csv"] = lambda query: (200, b"id;nom\n1;Gare\n", "text/csv")
        yield found


@pytest.fixture
def pip_shim(tmp_path: Path) -> Path:
    """A `pip` first on PATH that accepts only `pip install <this distribution>==<this version>`."""
    folder = tmp_path / "shim"
    folder.mkdir()
    wanted = f"{DISTRIBUTION}=={__version__}"
    (folder / "pip").write_text(f'#!/bin/sh\n[ "$1" = install ] && [ "$2" = "{wanted}" ] && [ $# -eq 2 ] || exit 3\n')
    (folder / "pip").chmod(0o755)
    return folder


@pytest.fixture
def repo(tmp_path: Path, server) -> tuple[Path, Path]:
    """(origin, work): a portal made by `portal init` (its maintainer, and the bot the scheduled workflows
    commit as) with an organization, its members and a dataset whose resource is served on 127.0.0.1."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(origin, "config", "receive.advertisePushOptions", "true")  # GitLab's merge_request.* push options
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.email", "ana@example.org")
    git(work, "config", "user.name", "ana")
    init(work, title="Portail", maintainer="ana")
    content = work / "content"
    shutil.copytree(MINIMAL / "organizations", content / "organizations")
    for user in ("marie", "paul", "robot"):
        shutil.copy(MINIMAL / "users" / f"{user}.yaml", content / "users")
    assert BOT_USERNAME in (content / "site.yaml").read_text()  # init registered the bot under `bots`
    for path in (content / "organizations").rglob("*.yaml"):
        path.write_text(path.read_text().replace("https://data.example.org", server.base))
    shutil.rmtree(content / "organizations/ville-exemple/harvesters")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "portal init, an organization, the bot")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    return origin, work


def tools_env(pip_shim: Path, **extra: str) -> dict[str, str]:
    portal = Path(shutil.which("portal")).parent
    return {**ENV, "PATH": f"{pip_shim}:{portal}:{os.environ['PATH']}", **extra}


# ------------------------------------------------------------------------------------------------- GitHub


class Runner:
    """Plays one job of a GitHub workflow: `run:` steps for real, actions by what they do."""

    def __init__(self, workflow: Path, workspace: Path, env: dict[str, str], origin: Path):
        self.workflow = yaml.safe_load(workflow.read_text())
        self.workspace, self.origin = workspace, origin
        temp = workspace.parent / "runner-temp"
        temp.mkdir(exist_ok=True)
        self.outputs_file = temp / "outputs"
        self.env = {
            **env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_SHA": git(workspace, "rev-parse", "HEAD"),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_RUN_ID": "4242",
            "RUNNER_TEMP": str(temp),
            "GITHUB_OUTPUT": str(self.outputs_file),
            "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
        }
        self.steps: dict[str, dict[str, str]] = {}
        self.pushed: list[str] = []

    def expression(self, text: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1).strip()
            if name.startswith("steps."):
                _, step, _, key = name.split(".")
                return self.steps.get(step, {}).get(key, "")
            return {"github.run_id": "4242", "github.sha": self.env["GITHUB_SHA"]}.get(name, "")

        return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))

    def run_job(self, job: str, actions: dict[str, dict[str, str]]) -> list[tuple[str, int, str]]:
        results = []
        for step in self.workflow["jobs"][job]["steps"]:
            condition = step.get("if")
            if condition:
                left, op, right = re.match(r"(\S+) (!=|==) '(.*)'", condition).groups()
                actual = self.expression("${{ " + left + " }}")
                if (actual == right) != (op == "=="):
                    continue
            if "uses" in step:
                results.append(self.action(step, actions))
                continue
            if step["run"].startswith("pip install"):
                assert step["run"] == f'pip install "{DISTRIBUTION}=={__version__}"'
            env = {**self.env, **{k: self.expression(v) for k, v in (step.get("env") or {}).items()}}
            self.outputs_file.write_text("")
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]], cwd=self.workspace, env=env, capture_output=True, text=True
            )
            outputs = dict(line.split("=", 1) for line in self.outputs_file.read_text().splitlines() if "=" in line)
            if step.get("id"):
                self.steps[step["id"]] = outputs
            results.append((step.get("name", step["run"]), done.returncode, done.stdout + done.stderr))
            if done.returncode != 0:
                break
        return results

    def action(self, step: dict, actions: dict[str, dict[str, str]]) -> tuple[str, int, str]:
        name = step["uses"].split("@")[0]
        if name == "peter-evans/create-pull-request":
            return self.create_pull_request(step["with"])
        if step.get("id"):
            self.steps[step["id"]] = actions.get(name, {})
        return name, 0, ""

    def create_pull_request(self, given: dict) -> tuple[str, int, str]:
        author = self.expression(given["author"])
        name, email = re.match(r"(.*) <(.*)>", author).groups()
        git(self.workspace, "add", "-A", "--", given["add-paths"])
        if not git(self.workspace, "diff", "--cached", "--name-only"):
            return "create-pull-request", 0, "nothing to propose"
        who = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
        git(self.workspace, *who, "commit", "-q", "-m", self.expression(given["commit-message"]))
        git(self.workspace, "push", "-q", "--force", str(self.origin), f"HEAD:refs/heads/{given['branch']}")
        self.pushed.append(given["branch"])
        return "create-pull-request", 0, ""


def clone(origin: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(origin), str(where))
    return where


def test_publish_builds_the_site_at_the_pages_url(repo, pip_shim: Path, tmp_path: Path) -> None:
    origin, work = repo
    workspace = clone(origin, tmp_path / "publish")
    runner = Runner(work / ".github/workflows/publish.yml", workspace, tools_env(pip_shim), origin)
    results = runner.run_job("build", {"actions/configure-pages": {"base_url": PAGES_URL}})
    assert [code for _, code, _ in results] == [0] * len(results), results
    upload = runner.workflow["jobs"]["build"]["steps"][-1]
    site = workspace / upload["with"]["path"]
    assert (site / "index.html").is_file() and (site / "organizations/ville-exemple/index.html").is_file()
    assert f"<loc>{PAGES_URL}/" in (site / "sitemap.xml").read_text()
    deploy = runner.workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"} and deploy["needs"] == "build"


def test_publish_keeps_a_base_url_that_site_yaml_sets(repo, pip_shim: Path, tmp_path: Path) -> None:
    origin, work = repo
    site = (work / "content/site.yaml").read_text()
    (work / "content/site.yaml").write_text(re.sub(r"base_url: .*", "base_url: https://data.ville.fr/", site))
    git(work, "commit", "-q", "-am", "our address")
    git(work, "push", "-q", "origin", "main")
    workspace = clone(origin, tmp_path / "publish")
    runner = Runner(work / ".github/workflows/publish.yml", workspace, tools_env(pip_shim), origin)
    runner.run_job("build", {"actions/configure-pages": {"base_url": PAGES_URL}})
    assert "<loc>https://data.ville.fr/" in (workspace / "_site/sitemap.xml").read_text()


def test_the_links_job_proposes_the_bots_commit_that_check_roles_accepts(repo, pip_shim, tmp_path, server) -> None:
    origin, work = repo
    workspace = clone(origin, tmp_path / "links")
    runner = Runner(work / ".github/workflows/links.yml", workspace, tools_env(pip_shim), origin)
    results = runner.run_job("links", {})
    assert [code for _, code, _ in results] == [0] * len(results), results
    assert runner.pushed == ["portal-bot/links"]
    assert "/files/arrets.csv" in server.requests
    head = git(origin, "rev-parse", "refs/heads/portal-bot/links")
    assert git(origin, "log", "-1", "--format=%ae", head) == BOT_EMAIL
    report = check_roles(workspace, git(origin, "rev-parse", "main"), head)
    assert report.ok and report.changes == 1, [v.as_text() for v in report.violations]
    assert {v.rule for v in report.verdicts} == {"generated"}


def test_a_failed_harvest_is_proposed_then_fails_the_job(repo, pip_shim, tmp_path, server) -> None:
    origin, work = repo
    harvesters = work / "content/organizations/ville-exemple/harvesters"
    harvesters.mkdir()
    (harvesters / "catalogue.yaml").write_text(f"backend: dcat\nurl: {server.base}/missing.ttl\nfrequency: daily\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a harvester whose catalogue is gone")
    git(work, "push", "-q", "origin", "main")
    workspace = clone(origin, tmp_path / "harvest")
    runner = Runner(work / ".github/workflows/harvest.yml", workspace, tools_env(pip_shim), origin)
    results = runner.run_job("harvest", {})
    assert results[-1][0] == "Fail when a harvester failed" and results[-1][1] == 1, results
    assert runner.pushed == ["portal-bot/harvest"]
    head = git(origin, "rev-parse", "refs/heads/portal-bot/harvest")
    report = check_roles(workspace, git(origin, "rev-parse", "main"), head)
    assert report.ok, [v.as_text() for v in report.violations]


# ------------------------------------------------------------------------------------------------- GitLab

needs_gitlab_ci_local = pytest.mark.skipif(
    shutil.which("rsync") is None, reason="rsync is missing (apt-get install rsync): gitlab-ci-local copies with it"
)


def gitlab(work: Path, env: dict[str, str], job: str, *variables: str, file: str = ".gitlab-ci.yml"):
    args = [str(npm_tool("gitlab-ci-local")), "--force-shell-executor", "--file", file, "--no-color"]
    args += ["--ignore-predefined-vars", "CI_PIPELINE_SOURCE,CI_COMMIT_SHA,CI_DEFAULT_BRANCH,CI_PAGES_URL"]
    for variable in variables:
        args += ["--variable", variable]
    return subprocess.run([*args, job], cwd=work, env=env, capture_output=True, text=True, timeout=600)


@needs_gitlab_ci_local
def test_gitlab_pages_and_merge_request_jobs(repo, pip_shim: Path) -> None:
    origin, work = repo
    git(work, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    env = tools_env(pip_shim)
    done = gitlab(work, env, "pages", "CI_PIPELINE_SOURCE=push", "CI_PAGES_URL=https://ana.gitlab.io/portail")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<loc>https://ana.gitlab.io/portail/" in (work / "public/sitemap.xml").read_text()
    done = gitlab(work, env, "portal", "CI_PIPELINE_SOURCE=merge_request_event")
    assert done.returncode == 0 and "PASS" in done.stdout, done.stdout + done.stderr


@needs_gitlab_ci_local
def test_gitlab_scheduled_links_job_opens_a_merge_request_as_the_bot(repo, pip_shim: Path, server) -> None:
    origin, work = repo
    git(work, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    env = tools_env(pip_shim)
    variables = ["CI_PIPELINE_SOURCE=schedule", "PORTAL_TASK=links", f"PORTAL_PUSH_URL={origin}", "CI_PIPELINE_ID=7"]
    done = gitlab(work, env, "links", *variables)
    assert done.returncode == 0, done.stdout + done.stderr
    head = git(origin, "rev-parse", "refs/heads/portal-bot/links")
    assert git(origin, "log", "-1", "--format=%an <%ae>", head) == f"{BOT_USERNAME} <{BOT_EMAIL}>"
    report = check_roles(work, git(origin, "rev-parse", "main"), head)
    assert report.ok and {v.rule for v in report.verdicts} == {"generated"}


@needs_gitlab_ci_local
def test_gitlab_role_check_kept_outside_the_repository_judges_the_merge_request(repo, pip_shim: Path) -> None:
    origin, work = repo
    git(work, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    roles = work.parent / "portal-ci" / "portal-roles.gitlab-ci.yml"  # the protected project's copy
    roles.parent.mkdir()
    shutil.move(work / "ci/portal-roles.gitlab-ci.yml", roles)
    env = tools_env(pip_shim)
    outcomes = {}
    for who, email in (("ana", "ana@example.org"), ("mallory", "mallory@evil.test")):
        git(work, "checkout", "-q", "-B", f"mr-{who}", "main")
        site = work / "content/site.yaml"
        site.write_text(site.read_text() + f"# {who}\n")
        git(work, "-c", f"user.email={email}", "commit", "-q", "-am", f"site.yaml by {who}")
        head = git(work, "rev-parse", "HEAD")
        variables = ["CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main"]
        relative = os.path.relpath(roles, work)
        done = gitlab(work, env, "portal-check-roles", *variables, f"CI_COMMIT_SHA={head}", file=relative)
        outcomes[who] = (done.returncode, done.stdout + done.stderr)
    assert outcomes["ana"][0] == 0, outcomes["ana"][1]
    assert outcomes["mallory"][0] != 0 and "maintainers" in outcomes["mallory"][1], outcomes["mallory"][1]


def test_publish_builds_the_example_portal(repo, pip_shim: Path, tmp_path: Path) -> None:
    """The example portal of this project (content/) published by the workflow portal init wrote."""
    origin, work = repo
    shutil.rmtree(work / "content")
    shutil.copytree(PROJECT / "content", work / "content")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "the example portal")
    git(work, "push", "-q", "origin", "main")
    workspace = clone(origin, tmp_path / "publish")
    runner = Runner(work / ".github/workflows/publish.yml", workspace, tools_env(pip_shim), origin)
    results = runner.run_job("build", {"actions/configure-pages": {"base_url": PAGES_URL}})
    assert [code for _, code, _ in results] == [0] * len(results), results
    site = workspace / "_site"
    base_url = yaml.safe_load((PROJECT / "content/site.yaml").read_text())["base_url"]
    assert f"<loc>{base_url}" in (site / "sitemap.xml").read_text()  # site.yaml's own address wins
    public = [p for p in (PROJECT / "content").glob("**/datasets/*.yaml") if "private: true" not in p.read_text()]
    assert len(list(site.glob("datasets/*/index.html"))) == len(public)


def test_the_metrics_job_imports_matomo_reports_as_the_bot(repo, pip_shim, tmp_path, server) -> None:
    """Yesterday's Matomo reports, fetched from a Matomo answering on 127.0.0.1 (the page-URL and download
    reports, flat JSON as the Reporting API gives them), imported and proposed by the bot."""
    import json

    host = server.base.removeprefix("http://")
    reports = {
        "Actions.getPageUrls": [{"label": "/datasets/arrets-de-bus/", "nb_hits": 7, "nb_visits": 5}],
        "Actions.getDownloads": [{"label": f"{host}/files/arrets.csv", "nb_hits": 3, "nb_visits": 2}],
    }
    asked: list[dict] = []

    def matomo(query: dict[str, list[str]]) -> tuple[int, bytes, str]:
        asked.append(query)
        return 200, json.dumps(reports[query["method"][0]]).encode(), "application/json"

    server.routes["/matomo/index.php"] = matomo
    origin, work = repo
    workspace = clone(origin, tmp_path / "metrics")
    secrets = {"MATOMO_URL": f"{server.base}/matomo/", "MATOMO_SITE_ID": "3", "MATOMO_TOKEN": "t0ken"}
    runner = Runner(work / ".github/workflows/metrics.yml", workspace, tools_env(pip_shim, **secrets), origin)
    for step in runner.workflow["jobs"]["metrics"]["steps"]:  # secrets reach the step through its env
        for name, value in (step.get("env") or {}).items():
            if "secrets." in str(value):
                step["env"][name] = secrets[name]
    results = runner.run_job("metrics", {})
    assert [code for _, code, _ in results] == [0] * len(results), results
    assert {q["method"][0] for q in asked} == set(reports) and all(q["token_auth"] == ["t0ken"] for q in asked)
    head = git(origin, "rev-parse", "refs/heads/portal-bot/metrics")
    changed = git(origin, "diff", "--name-only", "main", head).splitlines()
    assert len(changed) == 1 and changed[0].startswith("content/metrics/")
    rows = git(origin, "show", f"{head}:{changed[0]}")
    assert "dataset;arrets-de-bus;7;" in rows and ";3;" in rows, rows
    report = check_roles(workspace, git(origin, "rev-parse", "main"), head)
    assert report.ok and {v.rule for v in report.verdicts} == {"generated"}, [v.as_text() for v in report.verdicts]
