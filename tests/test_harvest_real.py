"""Harvest fidelity on real catalogue files (tests/fixtures/harvest/real/, see its README), served over HTTP.

One test per family and per defect of issue 17: text keeps its language, licences are matched whole (the
source's own kept), one resource-type rule, spatial boxes/geometries/places, stated dates only (dct:created
as a fallback, never the harvest day), CKAN scheming fields and legacy extras, failed items named. The
harvest -> build -> export chain is in ``test_export_harvested.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harvest_helpers import Clock, add_harvester, datasets_of, serve

from generator.harvest import run
from generator.harvest.ckan import package_record
from generator.harvest.fetch import Fetcher
from generator.harvest.mapping import to_record

REAL = Path(__file__).parent / "fixtures" / "harvest" / "real"
ORG = "ville-exemple"


def real_server(server) -> None:
    """Route the real files on a local server (the CKAN package as a package_search answer)."""
    server.roots["/f/"] = REAL
    package = json.loads((REAL / "ckan-scheming-dcat-ap.json").read_text(encoding="utf-8"))
    answer = json.dumps({"success": True, "result": {"count": 1, "results": [package]}}).encode()
    server.routes["/ckan/api/3/action/package_search"] = lambda query: (200, answer, "application/json")

    def demo(query):  # page 1 is the real file; its link to page 2 points here, answered as an empty last page
        if query.get("page", ["1"])[0] != "1":
            return 200, b"", "text/turtle"
        body = (REAL / "ckanext-dcat-demo.ttl").read_text(encoding="utf-8")
        body = body.replace("http://demo.ckan.org/catalog.ttl?page=", server.url("/demo/catalog.ttl?page="))
        return 200, body.encode(), "text/turtle"

    server.routes["/demo/catalog.ttl"] = demo


SOURCES = {
    "ch": ("dcat", "/f/dcat-ap-ch-1901.xml"),
    "no": ("dcat", "/f/dcat-ap-no-fdk.ttl"),
    "geodcat": ("dcat", "/f/geodcat-ap-dataset.ttl"),
    "arcgis": ("datajson", "/f/arcgis-hub-apur.data.json"),
    "demo": ("dcat", "/demo/catalog.ttl?page=1"),
    "scheming": ("ckan", "/ckan/"),
}


@pytest.fixture(scope="module")
def server():
    with serve() as server:
        real_server(server)
        yield server


def harvest(content: Path, server, name: str, languages: list[str] | None = None):
    """Harvest one real source into the organization; the job and the harvested datasets by slug."""
    if languages:
        site = content / "site.yaml"
        site.write_text(site.read_text().replace("languages: [fr, en]", f"languages: [{', '.join(languages)}]"))
    backend, path = SOURCES[name]
    add_harvester(content, ORG, name, backend=backend, url=server.url(path))
    with Fetcher("https://data.example.org/", retries=0) as client:
        (job,) = run(content, f"{ORG}/{name}", now=Clock(), fetcher=client)
    found = {s: d for s, d in datasets_of(content, ORG).items() if d.get("harvest", {}).get("source") == name}
    return job, found


# ----------------------------------------------------------------------------------- 1. languages


def test_dcat_ap_ch_text_keeps_its_languages(portal: Path, server) -> None:
    job, found = harvest(portal, server, "ch")
    assert job.status == "done"
    (ch,) = found.values()
    # the site reads fr first: the French title is shown, the German one kept as a translation
    assert (ch["title"], ch["language"]) == ("Annuaire statistique de la Suisse 1901", "fr")
    assert ch["translations"] == {"de": {"title": "Statistisches Jahrbuch der Schweiz 1901"}}
    assert ch["data_languages"] == ["de", "fr"]  # dct:language: the data's, not the interface's
    assert ch["license"] == "cc0-1.0"
    assert ch["spatial"] == {"places": [{"label": "Schweiz"}]}
    assert ch["temporal_coverage"] == {"start": "1901-01-01", "end": "1901-12-31"}  # schema:startDate/endDate
    assert (ch["created"], ch["last_modified"]) == ("1900-12-31", "2018-04-24")
    assert ch["contact_point"] == {"name": "info@bfs.admin.ch", "email": "auskunftsdienst@bfs.admin.ch"}
    # what the model cannot hold is kept, not dropped
    assert "dct:conformsTo" in ch["harvest"]["unmapped"] and "dcat:theme" in ch["harvest"]["unmapped"]


def test_dcat_ap_ch_in_a_site_of_neither_language(portal: Path, server) -> None:
    _job, found = harvest(portal, server, "ch", languages=["en"])
    (ch,) = found.values()
    assert (ch["title"], ch["language"]) == ("Statistisches Jahrbuch der Schweiz 1901", "de")
    assert ch["translations"] == {"fr": {"title": "Annuaire statistique de la Suisse 1901"}}


def test_dcat_ap_no_norwegian_text_and_a_named_failed_item(portal: Path, server) -> None:
    job, found = harvest(portal, server, "no")
    (no,) = found.values()
    assert (no["title"], no["description"], no["language"]) == ("Dataset 0", "Description of dataset 0", "nb")
    assert no["data_languages"] == ["no"]
    # 8. the blank-node dataset without identifier is named (label, title) with the reason; the run goes on
    assert job.status == "done-errors" and job.counts["created"] == 1 and job.counts["failed"] == 1
    (item,) = [i for i in job.items if i.status == "failed"]
    assert item.remote_uri.startswith("_:") and item.title == "Is filtered"
    assert item.error == "the dataset has no identifier: the next harvest could not recognise it"
    # 2. NLOD is no license of ours: the source's own kept
    assert (no["license"], no["license_source"]) == ("other", {"url": "https://data.norge.no/nlod/no"})
    # 5. only what the source states: issued, no modified (no harvest day in its place)
    assert no["created"] == "2019-03-22" and "last_modified" not in no


# ------------------------------------------------------------------------- 3., 4., 5. GeoDCAT-AP


def test_geodcat_ap_box_service_created_and_license_label(portal: Path, server) -> None:
    job, found = harvest(portal, server, "geodcat")
    assert job.status == "done"
    (geo,) = found.values()
    assert geo["spatial"] == {"bbox": [-31.285, 27.642, 34.099, 70.075]}  # the GML envelope and the WKT agree
    assert geo["created"] == "2019-10-31" and "last_modified" not in geo  # dct:created stands in for issued
    (wms,) = geo["resources"]
    assert wms["type"] == "api" and wms["format"] == "tiff"  # a WMS (dct:conformsTo of its access service)
    assert geo["license"] == "other" and geo["license_source"]["title"].startswith("The full noise contour maps")
    assert (geo["frequency"], geo["language"], geo["data_languages"]) == ("irregular", "en", ["en"])


# ----------------------------------------------------------------------- 3., 4. ArcGIS Hub data.json


def test_arcgis_hub_services_are_apis_files_are_main_boxes_kept(portal: Path, server) -> None:
    job, found = harvest(portal, server, "arcgis")
    assert job.status == "done" and job.counts["created"] == 71
    appui = found["appui-innovation"]
    types = {r["title"]: (r["type"], r["format"]) for r in appui["resources"]}
    assert types["Esri Rest API"] == ("api", "esri-rest")
    assert types["CSV"] == ("main", "csv") and types["GeoJSON"] == ("main", "geojson")
    assert types["Shapefile"] == ("main", "zip") and types["ArcGIS Open Dataset"] == ("main", "web-page")
    assert appui["spatial"] == {"bbox": [1.9515, 48.6827, 2.598, 49.0496]}
    assert appui["license_source"] == {
        "url": "http://cassini.apur.opendata.arcgis.com/datasets/e0f57349b46e42428f4ef2fbcb443aba_0/license.json"
    }
    assert (appui["created"], appui["last_modified"]) == ("2016-10-07", "2016-12-06T18:26:31.821Z")
    assert appui["harvest"]["unmapped"] == {"theme": '["geospatial"]', "webService": types_url(appui)}
    every = [r for d in found.values() for r in d.get("resources", [])]
    assert {r["type"] for r in every if r["title"] == "Esri Rest API"} == {"api"}
    assert {r["type"] for r in every if r["title"] != "Esri Rest API"} == {"main"}


def types_url(dataset: dict) -> str:
    return next(r["url"] for r in dataset["resources"] if r["title"] == "Esri Rest API")


# ------------------------------------------------------------------- 3. ckanext-dcat access URLs


def test_ckanext_dcat_access_urls_to_files_are_main(portal: Path, server) -> None:
    job, found = harvest(portal, server, "demo")
    assert job.status == "done" and job.counts["created"] == 100
    every = [r for d in found.values() for r in d.get("resources", [])]
    assert len(every) == 140  # every distribution, each with only dcat:accessURL
    # files are main; the three whose format says WMS or API are services
    assert {r["format"] for r in every if r["type"] == "api"} == {"wms", "api"}
    assert sum(r["type"] == "main" for r in every) == 137
    xlsx = [r for r in every if r["format"] == "xlsx"]
    pdf = [r for r in every if r["format"] == "pdf"]
    assert len(xlsx) >= 6 and len(pdf) >= 5 and {r["type"] for r in xlsx + pdf} == {"main"}  # the issue's case
    assert all("language" not in d for d in found.values())  # untagged literals: language unknown, not invented


# ------------------------------------------------------------------------------ 6. CKAN scheming


def test_ckan_scheming_top_level_fields(portal: Path, server) -> None:
    job, found = harvest(portal, server, "scheming")
    assert job.status == "done"
    (ds,) = found.values()
    assert (ds["created"], ds["last_modified"], ds["frequency"]) == ("2024-05-01", "2024-05-05", "monthly")
    assert ds["temporal_coverage"] == {"start": "1905-03-01", "end": "2013-01-05"}
    assert ds["spatial"] == {
        "places": [{"uri": "https://sws.geonames.org/6361390/", "label": "Tarragona"}],
        "bbox": [-2.1604, 42.7611, -2.0938, 42.7931],
        "geometry": "POLYGON((11.9936 54.0486,11.9936 54.2466,12.3045 54.2466,12.3045 54.0486,11.9936 54.0486))",
    }
    assert ds["contact_point"] == {"name": "Contact 1", "email": "contact1@example.org", "url": "https://example.org"}
    assert ds["data_languages"] == ["en", "ca", "es"]
    # the resource license (CC BY 3.0): not CC BY 4.0, its family with the source's own URL
    assert (ds["license"], ds["license_source"]) == ("other-at", {"url": "http://creativecommons.org/licenses/by/3.0/"})
    (res,) = ds["resources"]
    assert res["type"] == "main" and res["checksum"] == {
        "type": "sha1",
        "value": "4304cf2e751e6053c90b1804c89c0ebb758f395a",
    }
    unmapped = ds["harvest"]["unmapped"]
    assert {"identifier", "version", "provenance", "theme", "conforms_to", "creator"} <= set(unmapped)


def test_ckan_legacy_extras_map_like_scheming_fields() -> None:
    """The same real package with its scheming fields moved into legacy ``extras`` (JSON text) maps the same."""
    package = json.loads((REAL / "ckan-scheming-dcat-ap.json").read_text(encoding="utf-8"))
    moved = ("issued", "modified", "frequency", "temporal_coverage", "spatial_coverage", "contact", "language")
    legacy = {k: v for k, v in package.items() if k not in moved}
    legacy["extras"] = [
        {"key": k, "value": v if isinstance(v, str) else json.dumps(v)} for k, v in package.items() if k in moved
    ]
    scheming = to_record(package_record(package, "https://ckan.example.org"), "o/h").dataset
    extras = to_record(package_record(legacy, "https://ckan.example.org"), "o/h").dataset
    assert extras == scheming
    assert extras["spatial"]["bbox"] == [-2.1604, 42.7611, -2.0938, 42.7931]
