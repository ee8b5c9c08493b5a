"""A bot commits harvested datasets: check-roles accepts exactly what a harvester of the organization writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import HERE
from gitrepo import ORG, GitRepo, denied, git
from harvest_helpers import Clock, add_harvester, serve

from generator.harvest import run
from generator.harvest.fetch import Fetcher

CATALOGUE = (HERE / "fixtures" / "harvest" / "catalogue.ttl").read_text(encoding="utf-8")
SLUG = ORG.rsplit("/", 1)[1]
HARVESTED = {"source": "distant", "remote_id": "r1", "harvested": "2024-06-01T12:00:00+00:00"}


@pytest.fixture
def repo(tmp_path: Path):
    with serve() as server:
        server.routes["/catalogue.ttl"] = lambda query: (200, CATALOGUE.encode(), "text/turtle")
        repo = GitRepo(tmp_path / "repo")
        add_harvester(repo.root / "content", SLUG, "distant", backend="dcat", url=server.url("/catalogue.ttl"))
        repo.base = repo.commit("marie", "an admin adds a harvester")
        yield repo


def _dataset(**extra) -> dict:
    data = {"title": "Jeu", "description": "d", "license": "etalab-2.0", "created": "2024-01-01"}
    return {**data, "last_modified": "2024-01-01", **extra}


def test_a_real_harvest_committed_by_the_bot_is_accepted(repo: GitRepo) -> None:
    fetcher = Fetcher("https://data.example.org/", retries=1, sleep=lambda seconds: None)
    (job,) = run(repo.root / "content", f"{SLUG}/distant", now=Clock(), fetcher=fetcher)
    assert job.counts["created"] >= 2
    repo.commit("robot", "harvest")
    changed = git(repo.root, "diff", "--name-only", repo.base, "HEAD").splitlines()
    assert any("/datasets/" in path for path in changed) and any("/jobs/" in path for path in changed)
    report = repo.check()
    assert report.ok, [v.message for v in report.violations]


def test_the_bot_cannot_plant_a_dataset_naming_a_harvester_the_organization_lacks(repo: GitRepo) -> None:
    path = f"{ORG}/datasets/plante.yaml"
    repo.write(path, _dataset(harvest={**HARVESTED, "source": "inexistant"}))
    repo.commit("robot")
    assert denied(repo.check()) == [("org-content", path)]


def test_the_bot_cannot_take_over_a_dataset_people_publish(repo: GitRepo) -> None:
    path = f"{ORG}/datasets/arrets-de-bus.yaml"
    repo.edit(path, lambda d: d.update(harvest=HARVESTED, title="Repris par le robot"))
    repo.commit("robot")
    assert denied(repo.check()) == [("org-content", path)]


def test_the_bot_writes_a_dataset_of_an_existing_harvester(repo: GitRepo) -> None:
    path = f"{ORG}/datasets/moissonne.yaml"
    repo.write(path, _dataset(harvest=HARVESTED))
    repo.commit("robot")
    assert repo.check().ok
    repo.edit(path, lambda d: d.update(archived=True))
    repo.commit("robot")
    assert repo.check().ok


def test_a_person_without_a_role_cannot_write_a_harvested_dataset(repo: GitRepo) -> None:
    path = f"{ORG}/datasets/moissonne.yaml"
    repo.write(path, _dataset(harvest=HARVESTED))
    repo.commit("lucas")
    assert denied(repo.check()) == [("org-content", path)]
    assert yaml.safe_load((repo.root / path).read_text())["harvest"]["source"] == "distant"
