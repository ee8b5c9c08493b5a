"""CSV tables, the static JSON API, Atom feeds, sitemap, robots.txt, and the JSON-LD and links in the pages."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import PROJECT
from site_helpers import tags_of

from generator.build import build
from generator.export import tables

BASE = "https://example.org/portal/"
PRIVATE = "tableau-de-bord-interne-diodp"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "site"
    build(PROJECT / "content", out, base_url=BASE)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("datasets.csv", tables.DATASET_COLUMNS),
        ("resources.csv", tables.RESOURCE_COLUMNS),
        ("organizations.csv", tables.ORGANIZATION_COLUMNS),
        ("reuses.csv", tables.REUSE_COLUMNS),
        ("discussions.csv", tables.DISCUSSION_COLUMNS),
        ("dataservices.csv", tables.DATASERVICE_COLUMNS),
    ],
)
def test_csv_tables_have_their_documented_columns(site: Path, name: str, columns: list[str]) -> None:
    header = (site / name).read_bytes().decode("utf-8").split("\r\n", 1)[0]
    assert header.split(";") == columns
    documented = (PROJECT / "docs" / "exports.md").read_text()
    for column in columns:
        assert f"`{column}`" in documented, f"{name}: column {column} is not documented in docs/exports.md"


def test_csv_content(site: Path) -> None:
    datasets = _rows(site / "datasets.csv")
    assert len(datasets) == 46 and PRIVATE not in {r["slug"] for r in datasets}
    plui = next(r for r in datasets if r["slug"] == "plui-val-de-loire")
    assert plui["url"] == BASE + "datasets/plui-val-de-loire/"
    assert 0 <= float(plui["quality_score"]) <= 1
    resources = _rows(site / "resources.csv")
    assert sum(int(r["resources_count"]) for r in datasets) == len(resources)
    assert all(r["permalink"].startswith(BASE + "datasets/r/") for r in resources)
    diodp = _rows(site / "organizations" / "diodp" / "datasets.csv")
    assert diodp and {r["organization_id"] for r in diodp} == {"diodp"}
    assert len(_rows(site / "organizations.csv")) == len(list((site / "organizations").glob("*/index.html")))


def test_no_export_mentions_a_private_dataset(site: Path) -> None:
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix != ".html":
            assert PRIVATE.encode() not in path.read_bytes(), path


def test_json_api(site: Path) -> None:
    api = site / "api"
    home = json.loads((api / "site.json").read_text())
    assert home["counts"]["datasets"] == 46
    listing = json.loads((api / "datasets" / "pages" / "1.json").read_text())
    assert listing["total"] == 46 and listing["pages"] == 1 and listing["next"] is None
    for summary in listing["data"]:
        assert summary["api"].startswith(BASE + "api/datasets/")
        item = api / summary["api"][len(BASE + "api/") :]
        dataset = json.loads(item.read_text())
        assert dataset["slug"] == summary["slug"]
    dataset = json.loads((api / "datasets" / "plui-val-de-loire.json").read_text())
    assert dataset["resources"] and dataset["license"]["url"]
    org = json.loads((api / "organizations" / "diodp.json").read_text())
    assert PRIVATE not in {d["slug"] for d in org["datasets"]}
    assert org["exports"]["catalog"]["ttl"] == BASE + "organizations/diodp/catalog.ttl"
    openapi = json.loads((api / "openapi.json").read_text())
    assert openapi["openapi"].startswith("3.1") and openapi["servers"] == [{"url": BASE + "api"}]
    for path in openapi["paths"]:
        assert path.endswith(".json")
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(openapi)))
    assert refs <= set(openapi["components"]["schemas"])


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feeds(site: Path) -> None:
    feed = ET.parse(site / "feeds" / "updated-datasets.atom").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert 0 < len(entries) <= 50
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert feed.find(f"{ATOM}updated").text == max(updated)
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith(BASE + "datasets/")
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", entry.find(f"{ATOM}updated").text)
    org_feed = ET.parse(site / "organizations" / "diodp" / "feeds" / "new-datasets.atom").getroot()
    assert org_feed.findall(f"{ATOM}entry")


def test_sitemap_and_robots(site: Path) -> None:
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ET.parse(site / "sitemap.xml").getroot()
    locations = [e.text for e in index.iter(f"{sm}loc")]
    assert locations == [BASE + "sitemaps/1.xml"]
    urls = ET.parse(site / "sitemaps" / "1.xml").getroot().findall(f"{sm}url")
    pages = {u.find(f"{sm}loc").text for u in urls}
    assert BASE + "datasets/plui-val-de-loire/" in pages and BASE + "en/datasets/plui-val-de-loire/" in pages
    for page in pages:
        path = page[len(BASE) :]
        assert (site / path / "index.html").is_file(), page
    alternates = urls[0].findall("{http://www.w3.org/1999/xhtml}link")
    assert {a.get("hreflang") for a in alternates} == {"fr", "en"}
    assert f"Sitemap: {BASE}sitemap.xml" in (site / "robots.txt").read_text()


def _json_ld(page: Path) -> list[str]:
    return re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.read_text(), re.S)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_pages_embed_schema_org_json_ld(site: Path) -> None:
    rdflib = pytest.importorskip("rdflib")
    (text,) = _json_ld(site / "datasets" / "plui-val-de-loire" / "index.html")
    data = json.loads(text)
    assert data["@type"] == "Dataset" and data["distribution"][0]["@type"] == "DataDownload"
    assert data["license"] and data["creator"]["@type"] in ("Organization", "GovernmentOrganization")
    graph = rdflib.Graph().parse(data=text, format="json-ld")
    schema = rdflib.Namespace("https://schema.org/")
    assert (rdflib.URIRef(BASE + "datasets/plui-val-de-loire/"), rdflib.RDF.type, schema.Dataset) in graph
    (org_text,) = _json_ld(site / "en" / "organizations" / "diodp" / "index.html")
    assert json.loads(org_text)["@type"] in ("Organization", "GovernmentOrganization")
    rdflib.Graph().parse(data=org_text, format="json-ld")


def test_json_ld_cannot_break_out_of_its_script(portal: Path, tmp_path: Path) -> None:
    dataset = portal / "organizations" / "ville-exemple" / "datasets" / "arrets-de-bus.yaml"
    hostile = '</script><script>alert(1)</script><!-- & "'
    dataset.write_text(dataset.read_text().replace("title: Arrêts de bus", f"title: {json.dumps(hostile)}"))
    out = tmp_path / "site"
    build(portal, out)
    page = out / "datasets" / "arrets-de-bus" / "index.html"
    (text,) = _json_ld(page)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == hostile
    assert [attrs for tag, attrs in tags_of(page) if tag == "script"] == [{"type": "application/ld+json"}]


def test_pages_link_the_exports_and_carry_open_graph(site: Path) -> None:
    home = site / "index.html"
    links = {a.get("href") for t, a in tags_of(home) if t == "a"}
    for path in ["catalog.ttl", "catalog.rdf", "catalog.jsonld", "datasets.csv", "api/openapi.json", "sitemap.xml"]:
        assert "/portal/" + path in links, path
    metas = {a.get("property"): a.get("content") for t, a in tags_of(home) if t == "meta" and a.get("property")}
    assert metas["og:url"] == BASE and metas["og:title"] and metas["og:locale"] == "fr_FR"
    org_links = {a.get("href") for t, a in tags_of(site / "organizations" / "diodp" / "index.html") if t == "a"}
    assert "/portal/organizations/diodp/catalog.ttl" in org_links
    assert "/portal/organizations/diodp/datasets.csv" in org_links
    feeds = [a for t, a in tags_of(home) if t == "link" and a.get("type") == "application/atom+xml"]
    assert feeds and all((site / a["href"][len("/portal/") :]).is_file() for a in feeds)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("- une liste Markdown", "- une liste Markdown"),  # a Markdown list item stays as written
        ("Arrêts de bus", "Arrêts de bus"),
        (-3, "-3"),  # numbers are numbers
    ],
)
def test_csv_cells_cannot_run_as_spreadsheet_formulas(cell, written) -> None:
    rows = list(csv.reader(io.StringIO(tables.to_csv(["a"], [[cell]]).decode("utf-8")), delimiter=";"))
    assert rows == [["a"], [written]]
