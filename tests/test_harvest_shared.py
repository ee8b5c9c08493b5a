"""Harvests of the real catalogues in ../shared/fixtures/, served by a real HTTP server on 127.0.0.1.

Every file ends in a job (done, done-errors or failed with a clear message), never a traceback; the portal
stays valid; the datasets and resources obtained are checked where the file's content is known.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from conftest import SHARED
from harvest_helpers import Clock, add_harvester, datasets_of, serve

from generator import schemas
from generator.harvest import run
from generator.harvest.fetch import Fetcher
from generator.validate import validate

FIXTURES = SHARED / "fixtures"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not there")
ORG = "ville-exemple"
BACKENDS = {"ckan": "ckan", "datajson": "datajson"}
FAILING = {
    "dcat/dataset.ttl": 'Prefix "healthdcatap:" not bound',
    "semic/example-bee-population-dataset-series-combined.ttl": "is not valid Turtle",
    # its @context is a remote URL: fetched through our client, which these tests keep off the Internet
    "semic/example-bee-population-dataset-series-combined.jsonld": "its JSON-LD context cannot be read",
    "datajson/missing-catalog.data.json": "its @type is 'dcat:Test', not 'dcat:Catalog'",
    # served as they are, their Hydra next page is on data.test.org: a page that cannot be read fails the job
    # (served with their links rewritten, they harvest fully: test_udata_hydra_paged_collections_are_followed)
    "udata/paged-collection-1.jsonld": "cannot reach http://data.test.org/catalog.jsonld?page=2",
    "udata/partial-collection-1.jsonld": "cannot reach http://data.test.org/catalog.jsonld?page=2",
}
WITH_ERRORS = {
    "datajson/missing-dataset-fields.data.json": ["the dataset has no identifier"],
    "datajson/missing-identifier-title.data.json": ["the dataset has no identifier", "the dataset has no title"],
    "de/ex-23-dataservice.rdf": ["the dataset has no identifier"],  # a blank node without dct:identifier
}


def _files() -> list[str]:
    if not FIXTURES.is_dir():
        return []
    skip = {"ckan/package_list.json", "README.md"}
    names = [p.relative_to(FIXTURES).as_posix() for p in sorted(FIXTURES.rglob("*")) if p.is_file()]
    return [n for n in names if n not in skip and not n.startswith("ckan/") or n == "ckan/packages.json"]


def _local_only(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"tests stay off the Internet ({request.url.host})")


class LocalFetcher(Fetcher):
    """Our client, refusing every host but 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__("https://data.example.org/", retries=0, sleep=lambda s: None)
        self._real = self.client
        self._offline = httpx.Client(transport=httpx.MockTransport(_local_only))

    def _get_once(self, url, accept, params):
        self.client = self._real if httpx.URL(url).host == "127.0.0.1" else self._offline
        return super()._get_once(url, accept, params)

    def close(self) -> None:
        self._real.close()
        self._offline.close()


@pytest.fixture(scope="module")
def server():
    with serve() as server:
        server.roots["/f/"] = FIXTURES
        packages = (FIXTURES / "ckan" / "packages.json").read_bytes()
        server.routes["/ckan/api/3/action/package_search"] = lambda query: (200, packages, "application/json")

        def paged(kind: str):
            def route(query):
                page = query.get("page", ["1"])[0]
                body = (FIXTURES / "udata" / f"{kind}-collection-{page}.jsonld").read_text()
                body = body.replace("http://data.test.org/catalog.jsonld", server.url(f"/{kind}.jsonld"))
                return 200, body.encode(), "application/ld+json"

            return route

        server.routes["/paged.jsonld"] = paged("paged")
        server.routes["/partial.jsonld"] = paged("partial")
        yield server


def harvest(content: Path, url: str, backend: str = "dcat", name: str = "distant", languages=None):
    if languages:
        site = content / "site.yaml"
        site.write_text(site.read_text().replace("languages: [fr, en]", f"languages: [{', '.join(languages)}]"))
    add_harvester(content, ORG, name, backend=backend, url=url)
    client = LocalFetcher()
    try:
        (job,) = run(content, f"{ORG}/{name}", now=Clock(), fetcher=client)
    finally:
        client.close()
    return job


def harvested(content: Path) -> dict[str, dict]:
    return {slug: d for slug, d in datasets_of(content, ORG).items() if "harvest" in d}


def _backend(name: str) -> str:
    if name.startswith("ckan/"):
        return "ckan"
    if name.startswith("datajson/") or name == "udata/evian.json":
        return "datajson"
    return "dcat"


@pytest.mark.parametrize("name", _files())
def test_every_shared_catalogue_ends_in_a_clear_job(portal: Path, server, name: str) -> None:
    backend = _backend(name)
    url = server.url("/ckan/") if backend == "ckan" else server.url(f"/f/{name}")
    before = set(datasets_of(portal, ORG))
    job = harvest(portal, url, backend)
    jobs = sorted((portal / "organizations" / ORG / "harvesters" / "distant" / "jobs").glob("*.yaml"))
    log = yaml.safe_load(jobs[-1].read_text())
    assert list(schemas.validator("harvest-job").iter_errors(log)) == []
    if name in FAILING:
        assert job.status == "failed", job.counts
        assert FAILING[name] in job.error
        assert "Traceback" not in job.error
        assert set(datasets_of(portal, ORG)) == before  # nothing written
        return
    errors = sorted(item.error.split(":")[0] for item in job.items if item.error)
    assert errors == sorted(WITH_ERRORS.get(name, [])), errors
    assert job.status == ("done-errors" if name in WITH_ERRORS else "done")
    assert job.counts["created"] >= (0 if name in WITH_ERRORS else 1)
    assert [p.as_text() for p in validate(portal).problems] == []
    rerun = harvest(portal, url, backend)  # same remote: no dataset file written
    assert rerun.changes == {} and rerun.counts["unchanged"] == job.counts["created"]


def test_ckanext_dcat_catalog_rdf(portal: Path, server) -> None:
    harvest(portal, server.url("/f/dcat/catalog.rdf"))
    found = harvested(portal)
    assert sorted(found) == ["example-dataset-1", "example-dataset-2"]
    one = found["example-dataset-1"]
    assert one["tags"] == ["pollution", "stats"]
    assert sorted(r["format"] for r in one["resources"]) == ["csv", "pdf", "unknown"]
    assert "unmapped" not in one["harvest"]  # the unknown license is kept as the source's own
    assert one["license"] == "other"
    assert one["license_source"] == {"url": "https://data.some.org/link/to/license"}
    assert "Θεσσαλονίκη" in one["description"]
    assert sorted(r["format"] for r in found["example-dataset-2"]["resources"]) == ["html", "pdf"]


def test_multilingual_literals_follow_the_site_languages(portal: Path, server, tmp_path: Path) -> None:
    harvest(portal, server.url("/f/dcat/dataset_multilingual.ttl"))
    (english,) = harvested(portal).values()
    harvest(portal, server.url("/f/dcat/dataset_multilingual.ttl"), name="catalan", languages=["ca", "en"])
    catalan = next(d for d in harvested(portal).values() if d["harvest"]["source"] == "catalan")
    assert english["title"] != catalan["title"]
    assert english["harvest"]["remote_id"] == catalan["harvest"]["remote_id"]


def test_udata_hydra_paged_collections_are_followed(portal: Path, server) -> None:
    for kind in ("paged", "partial"):
        job = harvest(portal, server.url(f"/{kind}.jsonld"), name=kind)
        assert job.status == "done" and job.counts["created"] == 4, (kind, job.counts, job.error)
    assert server.requests.count("/paged.jsonld?page=2") == 1


def test_udata_catalog_with_a_dataset_without_description(portal: Path, server) -> None:
    job = harvest(portal, server.url("/f/udata/catalog.xml"))
    assert job.counts["created"] == 4
    descriptions = [d["description"] for d in harvested(portal).values()]
    assert "" in descriptions


def test_udata_blank_nodes_in_rdf_xml_and_jsonld(portal: Path, server) -> None:
    for name, count in (("bnodes.xml", 3), ("bnodes.jsonld", 3), ("flat.jsonld", 3), ("nested.jsonld", 1)):
        job = harvest(portal, server.url(f"/f/udata/{name}"), name=name.replace(".", "-"))
        assert (job.status, job.counts["created"]) == ("done", count), name
    resources = [r for d in harvested(portal).values() for r in d.get("resources", [])]
    assert resources and all(r["url"].startswith("http") for r in resources)


def test_ckan_package_search_with_null_organizations(portal: Path, server) -> None:
    job = harvest(portal, server.url("/ckan/"), "ckan")
    assert job.counts["created"] == 3
    found = harvested(portal)
    plants = found["100-validated-species-of-plants"]
    assert plants["license"] == "other-open"
    assert plants["harvest"]["remote_id"] == "62513382-3b26-4bc8-9096-40b6ce8383c0"
    assert plants["resources"][0]["format"] == "csv"
    assert plants["tags"] == ["flower", "image-recognition", "machine-learning"]


def test_datajson_evian_and_numerical_title(portal: Path, server) -> None:
    assert harvest(portal, server.url("/f/udata/evian.json"), "datajson").counts["created"] == 8
    job = harvest(portal, server.url("/f/datajson/numerical-title.data.json"), "datajson", name="numeric")
    assert job.counts["created"] == 1
    assert any(d["title"] == "707" for d in harvested(portal).values())


def _comparable(data: dict) -> dict:
    """A dataset without what depends on the harvester (its name, resource ids, harvest time)."""
    resources = sorted(({k: v for k, v in r.items() if k != "id"} for r in data.get("resources", [])), key=str)
    harvest = {k: v for k, v in data["harvest"].items() if k not in ("source", "harvested")}
    return {**data, "resources": resources, "harvest": harvest}


@pytest.mark.parametrize("variant", ["SIMPLE", "ADVANCED", "SIMPLE_V1.1", "ADVANCED_V1.1"])
def test_dcat_ap_de_three_serialisations_give_the_same_datasets(portal: Path, server, variant: str) -> None:
    results = {}
    for kind, ext in (("JSONLD", "jsonld"), ("TTL", "ttl"), ("RDF", "rdf")):
        name = f"de-{kind.lower()}"
        job = harvest(portal, server.url(f"/f/de/dcat_ap_de-RefImp_{kind}_{variant}.{ext}"), name=name)
        assert job.status == "done", (kind, job.error, job.items)
        results[kind] = {
            d["harvest"]["remote_id"]: _comparable(d)
            for d in harvested(portal).values()
            if d["harvest"]["source"] == name
        }
    assert results["JSONLD"] == results["TTL"] == results["RDF"]
    assert len(results["TTL"]) >= 1
