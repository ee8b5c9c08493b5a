"""Harvester runs against a real local HTTP server: the diff rules, the job log, failures that change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import HERE
from harvest_helpers import Clock, add_harvester, datasets_of, serve, snapshot

import generator.cli.harvest  # noqa: F401  (registers `portal harvest` until the CLI imports it itself)
from generator import schemas
from generator.cli import main
from generator.harvest import run
from generator.harvest.fetch import Fetcher
from generator.validate import validate

FIXTURES = HERE / "fixtures" / "harvest"
CATALOGUE = (FIXTURES / "catalogue.ttl").read_text(encoding="utf-8")
ORG = "ville-exemple"


def fetcher() -> Fetcher:
    return Fetcher("https://data.example.org/", retries=2, sleep=lambda seconds: None)


@pytest.fixture
def server():
    with serve() as server:
        server.body = CATALOGUE
        server.routes["/catalogue.ttl"] = lambda query: (200, server.body.encode(), "text/turtle")
        yield server


@pytest.fixture
def content(portal: Path, server) -> Path:
    (portal / "organizations" / ORG / "harvesters" / "catalogue.yaml").unlink()
    add_harvester(portal, ORG, "distant", backend="dcat", url=server.url("/catalogue.ttl"), frequency="weekly")
    return portal


def harvest(content: Path, clock: Clock | None = None, target: str = f"{ORG}/distant", **kwargs):
    (job,) = run(content, target, now=clock or Clock(), fetcher=fetcher(), **kwargs)
    return job


def job_logs(content: Path, name: str = "distant") -> list[dict]:
    folder = content / "organizations" / ORG / "harvesters" / name / "jobs"
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]


def harvested(content: Path) -> dict[str, dict]:
    return {slug: d for slug, d in datasets_of(content, ORG).items() if "harvest" in d}


def test_first_run_creates_datasets_and_a_valid_job_log(content: Path, server) -> None:
    job = harvest(content)
    assert job.status == "done-errors"
    assert job.counts == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "archived": 0,
        "deleted": 0,
        "skipped": 0,
        "failed": 1,
    }
    found = harvested(content)
    assert sorted(found) == ["arbres-d-alignement", "stations-de-velos"]
    velos = found["stations-de-velos"]
    assert velos["title"] == "Stations de vélos"  # the site's first language (fr) wins
    assert velos["description"] == "Les stations de **vélos** en libre service."
    assert velos["license"] == "etalab-2.0"
    assert velos["frequency"] == "weekly"
    assert velos["tags"] == ["mobilite", "velo"]
    assert velos["created"] == "2021-03-01"
    assert velos["last_modified"] == "2024-05-02T08:30:00+02:00"
    assert velos["temporal_coverage"] == {"start": "2021-01-01", "end": "2023-12-31"}
    assert velos["spatial"] == {"zones": ["fr:commune:45234"]}
    assert velos["contact_point"] == {"name": "Service mobilité", "email": "mobilite@ville.example.org"}
    resources = {r["url"]: r for r in velos["resources"]}
    csv = resources["https://files.remote.example.org/velos.csv"]
    assert (csv["title"], csv["format"], csv["mime"], csv["filesize"]) == ("Stations (CSV)", "csv", "text/csv", 2048)
    assert csv["checksum"] == {
        "type": "sha256",
        "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }
    assert (csv["created"], csv["last_modified"]) == ("2021-03-01", "2024-05-02")
    assert resources["https://api.remote.example.org/velos"]["format"] == "json"
    assert velos["harvest"] == {
        "source": "distant",
        "remote_id": "velos-001",
        "remote_uri": "https://remote.example.org/datasets/velos",
        "remote_modified": "2024-05-02T08:30:00+02:00",
        "harvested": "2026-11-28T10:00:03Z",
    }
    arbres = found["arbres-d-alignement"]
    # unknown license and frequency stay visible
    assert (arbres["license"], arbres["frequency"]) == ("other", "unknown")
    assert arbres["harvest"]["unmapped"] == {
        "frequency": "http://publications.europa.eu/resource/authority/frequency/ONCE_IN_A_BLUE_MOON",
    }
    # an unknown license is the source's own, kept in the content (shown and exported), not only unmapped
    assert arbres["license_source"] == {"url": "https://licenses.example.org/ma-licence-maison"}
    assert arbres["resources"][0]["format"] == "geojson"
    (log,) = job_logs(content)
    assert list(schemas.validator("harvest-job").iter_errors(log)) == []
    assert log["status"] == "done-errors"
    failed = [item for item in log["items"] if item["status"] == "failed"]
    assert [(i["remote_id"], i["error"]) for i in failed] == [("sans-titre-003", "the dataset has no title")]
    assert failed[0]["remote_uri"].startswith("_:")  # a blank node: its label says which one
    assert log["started"] == "2026-11-28T10:00:02Z" and log["ended"] > log["started"]
    assert [p.as_text() for p in validate(content).problems] == []
    assert server.user_agents[0] == "portal-harvester/0.1.0 (+https://data.example.org/)"


def test_rerun_on_unchanged_remote_writes_no_dataset(content: Path) -> None:
    clock = Clock()
    harvest(content, clock)
    before = snapshot(content / "organizations" / ORG / "datasets")
    clock.advance(days=7)
    job = harvest(content, clock)
    assert (job.counts["unchanged"], job.counts["created"], job.counts["updated"]) == (2, 0, 0)
    assert job.changes == {}
    assert snapshot(content / "organizations" / ORG / "datasets") == before
    assert len(job_logs(content)) == 2  # every run is logged


def test_changed_record_updates_only_harvested_fields(content: Path, server) -> None:
    clock = Clock()
    harvest(content, clock)
    path = content / "organizations" / ORG / "datasets" / "stations-de-velos.yaml"
    data = yaml.safe_load(path.read_text())
    data["private"] = True  # a person's own setting on the dataset: kept
    data["acronym"] = "VLS"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    server.body = CATALOGUE.replace("Les stations de **vélos**", "Toutes les stations de **vélos**")
    clock.advance(days=1)
    job = harvest(content, clock)
    assert (job.counts["updated"], job.counts["unchanged"]) == (1, 1)
    velos = harvested(content)["stations-de-velos"]
    assert velos["description"].startswith("Toutes les stations")
    assert (velos["private"], velos["acronym"]) == (True, "VLS")
    assert velos["harvest"]["harvested"] > "2026-11-29"
    assert harvested(content)["arbres-d-alignement"]["harvest"]["harvested"] < "2026-11-29"


def test_remote_id_changed_with_same_uri_is_the_same_dataset(content: Path, server) -> None:
    clock = Clock()
    harvest(content, clock)
    server.body = CATALOGUE.replace('dct:identifier "velos-001"', 'dct:identifier "velos-v2"')
    job = harvest(content, clock)
    assert job.counts["created"] == 0 and job.counts["updated"] == 1 and job.counts["archived"] == 0
    assert sorted(harvested(content)) == ["arbres-d-alignement", "stations-de-velos"]
    assert harvested(content)["stations-de-velos"]["harvest"]["remote_id"] == "velos-v2"


def test_slug_used_elsewhere_is_never_overwritten(content: Path) -> None:
    other = content / "organizations" / ORG / "datasets" / "stations-de-velos.yaml"
    other.write_text(
        "title: Nos stations\ndescription: Saisi à la main.\nlicense: etalab-2.0\n"
        "created: 2020-01-01\nlast_modified: 2020-01-01\n"
    )
    before = other.read_bytes()
    job = harvest(content)
    assert other.read_bytes() == before
    created = [item.dataset for item in job.items if item.status == "created"]
    assert "stations-de-velos" not in created
    assert any(slug.startswith("stations-de-velos-") for slug in created)
    assert [p.as_text() for p in validate(content).problems] == []
    assert harvest(content).counts["unchanged"] == 2  # the suffixed slug is stable


def test_vanished_datasets_are_archived_then_deleted_when_configured(content: Path, server) -> None:
    clock = Clock()
    harvest(content, clock)
    start = server.body.index("<https://remote.example.org/datasets/arbres> a dcat:Dataset")
    server.body = server.body[:start] + server.body[server.body.index("_:sans-titre a") :]
    job = harvest(content, clock)
    assert job.counts["archived"] == 1
    assert harvested(content)["arbres-d-alignement"]["archived"] is True
    assert harvest(content, clock).counts["archived"] == 0  # already archived: unchanged
    add_harvester(content, ORG, "distant", backend="dcat", url=server.url("/catalogue.ttl"), vanished="delete")
    job = harvest(content, clock)
    assert job.counts["deleted"] == 1
    assert sorted(harvested(content)) == ["stations-de-velos"]


def test_reappearing_dataset_is_unarchived(content: Path, server) -> None:
    clock = Clock()
    harvest(content, clock)
    full = server.body
    server.body = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://remote.example.org/c> a dcat:Catalog .\n"
    assert harvest(content, clock).counts["archived"] == 2
    server.body = full
    assert harvest(content, clock).counts["updated"] == 2
    assert not any(d.get("archived") for d in harvested(content).values())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; dct:title 'x' .", "is not valid Turtle"),
        ("not rdf at all {", "is not valid Turtle"),
    ],
)
def test_unparseable_catalogue_fails_and_changes_nothing(content: Path, server, body: str, message: str) -> None:
    clock = Clock()
    harvest(content, clock)
    before = snapshot(content / "organizations" / ORG / "datasets")
    server.body = body
    job = harvest(content, clock)
    assert job.status == "failed" and message in job.error
    assert snapshot(content / "organizations" / ORG / "datasets") == before
    log = job_logs(content)[-1]
    assert log["status"] == "failed" and message in log["error"]
    assert list(schemas.validator("harvest-job").iter_errors(log)) == []


def test_network_failure_fails_and_changes_nothing(content: Path, server) -> None:
    clock = Clock()
    harvest(content, clock)
    before = snapshot(content / "organizations" / ORG / "datasets")
    add_harvester(content, ORG, "distant", backend="dcat", url="http://127.0.0.1:9/catalogue.ttl")
    job = harvest(content, clock)
    assert job.status == "failed"
    assert job.error.startswith("cannot reach http://127.0.0.1:9/catalogue.ttl") and "(after 3 attempts)" in job.error
    assert snapshot(content / "organizations" / ORG / "datasets") == before
    assert job_logs(content)[-1]["status"] == "failed"


def test_http_error_and_size_limit(content: Path, server) -> None:
    server.routes["/gone.ttl"] = lambda query: (404, b"gone", "text/plain")
    add_harvester(content, ORG, "distant", backend="dcat", url=server.url("/gone.ttl"))
    job = harvest(content)
    assert job.status == "failed" and "answered HTTP 404" in job.error
    small = Fetcher(max_bytes=100, sleep=lambda s: None)
    with pytest.raises(Exception, match="over the limit of 100"):
        small.get(server.url("/catalogue.ttl"))
    small.close()


def test_retries_with_backoff_then_succeeds(server) -> None:
    answers = [(503, b"busy", "text/plain"), (503, b"busy", "text/plain"), (200, b"ok", "text/plain")]
    server.routes["/flaky"] = lambda query: answers.pop(0)
    waits: list[float] = []
    client = Fetcher(retries=3, backoff=0.5, sleep=waits.append)
    assert client.get(server.url("/flaky")).content == b"ok"
    assert waits == [0.5, 1.0]
    client.close()


def test_dry_run_writes_nothing(content: Path) -> None:
    before = snapshot(content)
    job = harvest(content, dry_run=True)
    assert job.counts["created"] == 2 and job.path is None
    assert snapshot(content) == before


def test_filters_keep_matching_records(content: Path, server) -> None:
    add_harvester(content, ORG, "distant", backend="dcat", url=server.url("/catalogue.ttl"), filters={"tags": ["velo"]})
    job = harvest(content)
    assert sorted(harvested(content)) == ["stations-de-velos"]
    assert job.counts["skipped"] == 1
    add_harvester(
        content, ORG, "distant", backend="dcat", url=server.url("/catalogue.ttl"), filters={"organization": "Métropole"}
    )
    job = harvest(content)
    assert job.counts["created"] == 1 and job.counts["archived"] == 1


def test_invalid_dataset_is_a_failed_item(content: Path, server) -> None:
    server.body = CATALOGUE.replace('dct:title "Arbres d\'alignement"', 'dct:title "' + "A" * 1200 + '"')
    job = harvest(content)
    assert job.counts["created"] == 2  # a title over 1000 characters is cut, not refused
    server.body = CATALOGUE.replace('"Les arbres des rues."', '"' + "x" * 200_001 + '"')
    job = harvest(content)
    (item,) = [i for i in job.items if i.remote_id == "arbres-002"]
    assert item.status == "failed" and item.error.startswith("invalid dataset at description:")
    server.body = CATALOGUE.replace('"2020-06-15"^^xsd:date', '"2020-99-99"')
    job = harvest(content)
    arbres = next(d for d in harvested(content).values() if d["harvest"]["remote_id"] == "arbres-002")
    assert arbres["harvest"]["unmapped"]["issued"] == "2020-99-99"


def test_due_selection_reads_the_last_job(content: Path, server) -> None:
    clock = Clock()
    (job,) = run(content, due=True, now=clock, fetcher=fetcher())  # never ran: due
    assert job.harvester == "distant"
    assert run(content, due=True, now=clock, fetcher=fetcher()) == []  # weekly, ran a second ago
    clock.advance(days=7)
    assert len(run(content, due=True, now=clock, fetcher=fetcher())) == 1


def test_invalid_harvester_file_is_a_failed_job(content: Path) -> None:
    add_harvester(content, ORG, "distant", backend="gopher", url="gopher://x")
    job = harvest(content)
    assert job.status == "failed" and "the harvester file is invalid" in job.error


def test_unknown_target_is_a_usage_error(content: Path, runner) -> None:
    result = runner.invoke(main, ["harvest", "nobody/nothing", "--content", str(content)])
    assert result.exit_code == 2
    assert "no harvester nobody/nothing" in result.output


def test_cli_harvest_and_json(content: Path, runner, monkeypatch) -> None:
    monkeypatch.setattr("generator.harvest.Fetcher", lambda base_url: fetcher())
    result = runner.invoke(main, ["harvest", ORG, "--content", str(content)])
    assert result.exit_code == 3, result.output  # one record failed, the others were harvested: done-errors
    assert f"{ORG}/distant: done-errors (2 created, 1 failed)" in result.output
    assert "sans-titre-003: the dataset has no title" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(main, ["harvest", f"{ORG}/distant", "--content", str(content), "--format", "json"])
    (job,) = json.loads(result.output)
    assert job["counts"]["unchanged"] == 2 and job["changed"] == []
    # a run that failed as a whole (nothing harvested) exits 1, distinct from done-errors' 3
    add_harvester(content, ORG, "distant", backend="dcat", url="http://127.0.0.1:9/catalogue.ttl")
    monkeypatch.setattr("generator.harvest.Fetcher", lambda base_url: Fetcher(retries=0))
    result = runner.invoke(main, ["harvest", f"{ORG}/distant", "--content", str(content)])
    assert result.exit_code == 1, result.output
    assert f"{ORG}/distant: failed" in result.output and "cannot reach http://127.0.0.1:9/" in result.output


def test_transport_failures_never_raise(content: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer")

    client = Fetcher(retries=1, sleep=lambda s: None, transport=httpx.MockTransport(broken))
    (job,) = run(content, f"{ORG}/distant", now=Clock(), fetcher=client)
    assert job.status == "failed" and "connection reset by peer" in job.error


def test_unchanged_catalogue_is_not_parsed_again(content: Path, server, monkeypatch) -> None:
    from generator.harvest import dcat

    server.body = CATALOGUE[: CATALOGUE.index("_:sans-titre a")]  # no failing record: the run is "done"
    clock = Clock()
    assert harvest(content, clock).status == "done"
    parsed: list[str] = []
    real_parse = dcat.parse
    monkeypatch.setattr(dcat, "parse", lambda page, *a: parsed.append(page.url) or real_parse(page, *a))
    job = harvest(content, clock)
    assert (job.status, job.counts["unchanged"], parsed) == ("done", 2, [])
    assert job_logs(content)[-1]["catalogue"]["pages"][0]["url"] == server.url("/catalogue.ttl")
    (content / "organizations" / ORG / "datasets" / "arbres-d-alignement.yaml").unlink()  # deleted by hand
    job = harvest(content, clock)
    assert job.counts["created"] == 1 and len(parsed) == 1  # a full run puts it back
    server.body += " "  # any change to a page: read again
    assert harvest(content, clock).counts["unchanged"] == 2 and len(parsed) == 2
