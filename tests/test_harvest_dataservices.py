"""Harvesting the APIs of a DCAT catalogue (dcat:DataService) into API files, as datasets are harvested."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from gitrepo import ORG, GitRepo, denied, git
from harvest_helpers import Clock, _TextDates, add_harvester, dataservices_of, datasets_of, serve

from generator.harvest import run
from generator.harvest.fetch import Fetcher
from generator.validate import validate

pytest.importorskip("rdflib")

SLUG = ORG.rsplit("/", 1)[1]
EU = "http://publications.europa.eu/resource/authority/"
CATALOGUE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .

<https://remote.example/catalog> a dcat:Catalog ;
    dcat:dataset <https://remote.example/datasets/trafic> ;
    dcat:service <https://remote.example/apis/trafic>, __ANONYMOUS__<https://remote.example/apis/sans-adresse> .

<https://remote.example/datasets/trafic> a dcat:Dataset ;
    dct:identifier "trafic" ;
    dct:title "Trafic routier"@fr ;
    dct:description "Comptages."@fr ;
    dcat:distribution <https://remote.example/datasets/trafic/wfs> .

<https://remote.example/datasets/trafic/wfs> a dcat:Distribution ;
    dct:title "Flux WFS" ;
    dcat:accessURL <https://geo.remote.example/wfs> ;
    dcat:accessService <https://remote.example/datasets/trafic/wfs#service> .

<https://remote.example/datasets/trafic/wfs#service> a dcat:DataService ;
    dct:title "Flux WFS" ;
    dcat:endpointURL <https://geo.remote.example/wfs> .

<https://remote.example/apis/trafic> a dcat:DataService ;
    dct:identifier "api-trafic" ;
    dct:title "API __TITLE__"@fr ;
    dct:alternative "API-T"@fr ;
    dct:description "Les comptages en **temps réel**."@fr ;
    dcat:endpointURL <https://api.remote.example/trafic/> ;
    dcat:endpointDescription <https://api.remote.example/trafic/capabilities> ;
    foaf:page <https://remote.example/docs/trafic> ;
    dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> ;
    dct:accessRights <__RIGHTS__> ;
    dcat:keyword "Trafic"@fr, "temps réel"@fr ;
    dct:issued "2022-04-01"^^<http://www.w3.org/2001/XMLSchema#date> ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Service mobilité" ; vcard:hasEmail <mailto:mobilite@remote.example> ] ;
    dcat:servesDataset <https://remote.example/datasets/trafic>, <https://elsewhere.example/datasets/meteo> ;
    dcatap:hvdCategory <http://data.europa.eu/bna/c_b79e35eb> .

<https://api.remote.example/trafic/capabilities> dct:format <__EU__file-type/WFS_SRVC> .

__ANONYMOUS_NODE__

<https://remote.example/apis/sans-adresse> a dcat:DataService ;
    dct:title "API sans adresse" .
"""


# an API without URI, whose access rights are none of the EU table's
ANONYMOUS = """_:anonymous a dcat:DataService ;
    dct:identifier "api-anonyme" ;
    dct:title "API anonyme" ;
    dcat:endpointURL <https://api.remote.example/anonyme/> ;
    dct:accessRights <https://rights.example/secret> .
"""


def _catalogue(title: str = "du trafic", rights: str = EU + "access-right/RESTRICTED", anonymous: bool = True) -> bytes:
    text = CATALOGUE.replace("__TITLE__", title).replace("__RIGHTS__", rights).replace("__EU__", EU)
    text = text.replace("__ANONYMOUS__", "_:anonymous, " if anonymous else "")
    return text.replace("__ANONYMOUS_NODE__", ANONYMOUS if anonymous else "").encode()


@pytest.fixture
def remote():
    with serve() as server:
        server.catalogue = _catalogue()  # type: ignore[attr-defined]
        server.routes["/catalogue.ttl"] = lambda query: (200, server.catalogue, "text/turtle")  # type: ignore[attr-defined]
        yield server


def _run(content: Path, clock: Clock):
    fetcher = Fetcher("https://data.example.org/", retries=0, sleep=lambda seconds: None)
    (job,) = run(content, f"{SLUG}/distant", now=clock, fetcher=fetcher)
    fetcher.close()
    return job


def test_the_apis_of_a_catalogue_become_api_files(portal: Path, remote) -> None:
    add_harvester(portal, SLUG, "distant", backend="dcat", url=remote.url("/catalogue.ttl"))
    job = _run(portal, Clock())
    assert job.status == "done-errors"  # the API without endpoint URL
    assert job.counts["created"] == 1 and job.service_counts["created"] == 2 and job.service_counts["failed"] == 1
    failed = [i for i in job.items if i.status == "failed"]
    assert [(i.kind, i.remote_uri, i.error) for i in failed] == [
        ("dataservice", "https://remote.example/apis/sans-adresse", "the API has no http(s) endpoint URL")
    ]
    (dataset_slug,) = [slug for slug, d in datasets_of(portal, SLUG).items() if "harvest" in d]
    apis = {slug: d for slug, d in dataservices_of(portal, SLUG).items() if "harvest" in d}
    assert sorted(apis) == ["api-anonyme", "api-du-trafic"]  # the distribution's service stays a resource
    api = apis["api-du-trafic"]
    assert {k: v for k, v in api.items() if k != "harvest"} == {
        "title": "API du trafic",
        "acronym": "API-T",
        "description": "Les comptages en **temps réel**.",
        "base_api_url": "https://api.remote.example/trafic/",
        "endpoint_description": {"url": "https://api.remote.example/trafic/capabilities", "format": "wfs"},
        "documentation_url": "https://remote.example/docs/trafic",
        "access_type": "open_with_account",  # RESTRICTED: on a condition anyone can meet
        "license": "etalab-2.0",
        "contact_point": {"name": "Service mobilité", "email": "mobilite@remote.example"},
        "datasets": [dataset_slug],  # the harvested copy
        "tags": ["temps-reel", "trafic"],
        "hvd_categories": ["c_b79e35eb"],
        "created": "2022-04-01",
    }
    assert api["harvest"]["remote_id"] == "api-trafic"
    assert api["harvest"]["unmapped"] == {"datasets": "https://elsewhere.example/datasets/meteo"}
    anonymous = apis["api-anonyme"]
    assert anonymous["access_type"] == "restricted"  # an unknown right is never read as open
    assert anonymous["harvest"]["unmapped"] == {"access_rights": "https://rights.example/secret"}
    assert anonymous["created"] == "2026-11-28"  # no stated date: the harvest's
    assert [p.as_text() for p in validate(portal).problems] == []
    log = yaml.load((portal / job.path).read_text(encoding="utf-8"), Loader=_TextDates)
    assert log["dataservices"]["created"] == 2 and log["counts"]["created"] == 1
    assert {"status": "created", "remote_id": "api-trafic", "dataservice": "api-du-trafic"} in log["items"]


def test_a_rerun_updates_keeps_peoples_keys_and_archives_vanished_apis(portal: Path, remote) -> None:
    add_harvester(portal, SLUG, "distant", backend="dcat", url=remote.url("/catalogue.ttl"))
    clock = Clock()
    _run(portal, clock)
    path = portal / "organizations" / SLUG / "dataservices" / "api-du-trafic.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
    data["rate_limiting"] = "5 requêtes par seconde"  # what people add: the harvester keeps it
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = path.read_bytes()
    clock.advance(days=1)
    job = _run(portal, clock)
    assert job.service_counts["unchanged"] == 2 and path.read_bytes() == before
    remote.catalogue = _catalogue("des comptages", EU + "access-right/PUBLIC", anonymous=False)
    clock.advance(days=1)
    job = _run(portal, clock)
    assert job.service_counts["updated"] == 1 and job.service_counts["archived"] == 1
    apis = dataservices_of(portal, SLUG)
    assert apis["api-bus"].get("archived") is None  # people's API is never the harvester's
    assert apis["api-du-trafic"]["title"] == "API des comptages"  # same file: matched by remote id
    assert apis["api-du-trafic"]["access_type"] == "open"
    assert apis["api-du-trafic"]["rate_limiting"] == "5 requêtes par seconde"
    assert apis["api-anonyme"]["archived"] is True
    assert [p.as_text() for p in validate(portal).problems] == []


def test_the_bot_may_commit_harvested_apis(tmp_path: Path, remote) -> None:
    repo = GitRepo(tmp_path / "repo")
    add_harvester(repo.root / "content", SLUG, "distant", backend="dcat", url=remote.url("/catalogue.ttl"))
    repo.base = repo.commit("marie", "an admin adds a harvester")
    job = _run(repo.root / "content", Clock())
    assert job.service_counts["created"] == 2
    repo.commit("robot", "harvest")
    changed = git(repo.root, "diff", "--name-only", repo.base, "HEAD").splitlines()
    assert any("/dataservices/" in path for path in changed)
    report = repo.check()
    assert report.ok, [v.message for v in report.violations]
    # and no more than that: an API the bot writes without a harvest block is refused
    planted = {"title": "x", "description": "y", "base_api_url": "https://x.example/", "access_type": "open"}
    repo.write(f"{ORG}/dataservices/plantee.yaml", {**planted, "created": "2024-01-01"})
    repo.commit("robot")
    assert denied(repo.check()) == [("org-content", f"{ORG}/dataservices/plantee.yaml")]


def test_the_harvesters_filters_apply_to_apis_too(portal: Path, remote) -> None:
    """tags: [trafic] keeps the API with that keyword; the other API and the dataset (no keyword) are skipped."""
    add_harvester(
        portal, SLUG, "distant", backend="dcat", url=remote.url("/catalogue.ttl"), filters={"tags": ["trafic"]}
    )
    job = _run(portal, Clock())
    assert job.counts["skipped"] == 1 and job.counts["created"] == 0
    assert job.service_counts["skipped"] == 1 and job.service_counts["created"] == 1
    api = dataservices_of(portal, SLUG)["api-du-trafic"]
    assert "datasets" not in api  # the dataset it serves was not harvested: its URI stays in unmapped
    assert api["harvest"]["unmapped"]["datasets"] == (
        "https://elsewhere.example/datasets/meteo | https://remote.example/datasets/trafic"
    )
    assert [p.as_text() for p in validate(portal).problems] == []
