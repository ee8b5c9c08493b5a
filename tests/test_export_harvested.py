"""Harvest -> build -> export on the real catalogue files: what the source said is what the portal publishes.

The six real files of tests/fixtures/harvest/real/ are harvested into one portal, which is built; the DCAT-AP 3
catalogue must pass the official shapes and ranges with zero violations (pyshacl without inference, as in
test_export_dcat.py) and carry each literal's real language, the data's languages, the source's own licence,
GeoDCAT-AP boxes and geometries, the stated dates only, and the provenance of every harvested dataset.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL, SHARED
from harvest_helpers import Clock, add_harvester, datasets_of, serve
from test_harvest_real import ORG, SOURCES, real_server

from generator.build import build
from generator.harvest import run
from generator.harvest.fetch import Fetcher

rdflib = pytest.importorskip("rdflib")
pyshacl = pytest.importorskip("pyshacl")
from rdflib import Literal, Namespace, URIRef  # noqa: E402
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, SKOS  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

BASE = "https://data.example.org/"
EU_LANG = "http://publications.europa.eu/resource/authority/language/"
ADMS = Namespace("http://www.w3.org/ns/adms#")
PROV = Namespace("http://www.w3.org/ns/prov#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
VALIDATORS = SHARED / "validators"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """The minimal portal with the six real sources harvested into it, built once."""
    import shutil

    content = tmp_path_factory.mktemp("harvested") / "content"
    shutil.copytree(MINIMAL, content)
    with serve() as server:
        real_server(server)
        for name, (backend, path) in SOURCES.items():
            add_harvester(content, ORG, name, backend=backend, url=server.url(path))
        with Fetcher("https://data.example.org/", retries=0) as client:
            jobs = [job for name in SOURCES for job in run(content, f"{ORG}/{name}", now=Clock(), fetcher=client)]
    assert {j.harvester: j.status for j in jobs} == {
        "arcgis": "done", "ch": "done", "demo": "done", "geodcat": "done", "no": "done-errors", "scheming": "done"
    }  # fmt: skip
    output = content.parent / "site"
    build(content, output)
    return content, output


@pytest.fixture(scope="module")
def graph(site) -> rdflib.Graph:
    g = rdflib.Graph()  # every page of the site-wide catalogue (100 datasets a page)
    for path in [site[1] / "catalog.ttl", *sorted((site[1] / "catalog").glob("*.ttl"))]:
        g.parse(path, format="turtle")
    return g


def slug_of(content: Path, source: str, title_start: str = "") -> str:
    return next(
        s
        for s, d in datasets_of(content, ORG).items()
        if d.get("harvest", {}).get("source") == source and d["title"].startswith(title_start)
    )


def dataset(content: Path, source: str, title_start: str = "") -> URIRef:
    return URIRef(f"{BASE}datasets/{slug_of(content, source, title_start)}/")


def test_exports_pass_the_dcat_ap_3_shapes_and_ranges(graph) -> None:
    if not VALIDATORS.is_dir():
        pytest.skip("../shared/validators is not available")
    shapes = rdflib.Graph()
    for name in ("dcat-ap-3/shapes.ttl", "dcat-ap-3/range.ttl"):
        shapes.parse(VALIDATORS / name, format="turtle")
    _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes, advanced=True)
    violations = sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    )
    assert violations == []
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) >= 1 + 1 + 1 + 71 + 100 + 1


def test_literals_keep_their_language_and_dct_language_is_the_datas(site, graph) -> None:
    content, _ = site
    ch = dataset(content, "ch")
    titles = {(str(t), t.language) for t in graph.objects(ch, DCTERMS.title)}
    assert titles == {
        ("Annuaire statistique de la Suisse 1901", "fr"),
        ("Statistisches Jahrbuch der Schweiz 1901", "de"),
    }
    assert set(graph.objects(ch, DCTERMS.language)) == {URIRef(EU_LANG + "DEU"), URIRef(EU_LANG + "FRA")}
    no = dataset(content, "no")
    assert {t.language for t in graph.objects(no, DCTERMS.title)} == {"nb"}
    assert {k.language for k in graph.objects(no, DCAT.keyword)} == {"nb"}
    assert set(graph.objects(no, DCTERMS.language)) == {URIRef(EU_LANG + "NOR")}
    # untagged at the source: untagged here, never relabelled with the site's language
    demo = dataset(content, "demo")
    assert {t.language for t in graph.objects(demo, DCTERMS.title)} == {None}
    assert list(graph.objects(demo, DCTERMS.language)) == []
    # the portal's own datasets are written in its first language
    own = URIRef(f"{BASE}datasets/arrets-de-bus/")
    assert {t.language for t in graph.objects(own, DCTERMS.title)} == {"fr"}


def test_unknown_licences_are_exported_as_the_source_gave_them(site, graph) -> None:
    content, _ = site
    nlod = URIRef("https://data.norge.no/nlod/no")
    assert nlod in set(graph.objects(dataset(content, "no"), DCTERMS.license))
    assert (nlod, RDF.type, DCTERMS.LicenseDocument) in graph
    cc3 = URIRef("http://creativecommons.org/licenses/by/3.0/")
    assert set(graph.objects(dataset(content, "scheming"), DCTERMS.license)) == {cc3}
    (label_only,) = graph.objects(dataset(content, "geodcat"), DCTERMS.license)
    assert str(graph.value(label_only, DCTERMS.title)).startswith("The full noise contour maps")


def test_spatial_is_exported_as_geodcat_ap_says(site, graph) -> None:
    content, _ = site
    locations = {graph.value(p, DCAT.bbox) for p in graph.objects(dataset(content, "geodcat"), DCTERMS.spatial)}
    (box,) = locations - {None}
    assert box.datatype == WKT
    assert str(box) == "POLYGON((-31.285 27.642,34.099 27.642,34.099 70.075,-31.285 70.075,-31.285 27.642))"
    scheming = dataset(content, "scheming")
    places = set(graph.objects(scheming, DCTERMS.spatial))
    geonames = URIRef("https://sws.geonames.org/6361390/")
    assert geonames in places and graph.value(geonames, SKOS.prefLabel) == Literal("Tarragona")
    geometries = [graph.value(p, LOCN.geometry) for p in places if graph.value(p, LOCN.geometry)]
    assert [(str(g)[:12], g.datatype) for g in geometries] == [("POLYGON((11.", WKT)]
    named = {graph.value(p, SKOS.prefLabel) for p in graph.objects(dataset(content, "ch"), DCTERMS.spatial)}
    assert named == {Literal("Schweiz")}


def test_only_stated_dates_are_published(site, graph) -> None:
    content, _ = site
    geo = dataset(content, "geodcat")  # dct:created only
    assert [str(v) for v in graph.objects(geo, DCTERMS.issued)] == ["2019-10-31"]
    assert list(graph.objects(geo, DCTERMS.modified)) == []
    no = dataset(content, "no")
    assert list(graph.objects(no, DCTERMS.modified)) == []
    harvest_day = "2026-11-28"
    assert not [o for o in graph.objects(None, DCTERMS.issued) if str(o).startswith(harvest_day)]
    assert not [o for o in graph.objects(None, DCTERMS.modified) if str(o).startswith(harvest_day)]


def test_every_harvested_dataset_carries_its_provenance(site, graph) -> None:
    content, _ = site
    harvested = {s: d for s, d in datasets_of(content, ORG).items() if "harvest" in d}
    for slug, data in harvested.items():
        subject = URIRef(f"{BASE}datasets/{slug}/")
        remote_id, remote_uri = data["harvest"]["remote_id"], data["harvest"]["remote_uri"]
        assert Literal(remote_id) in set(graph.objects(subject, DCTERMS.identifier)), slug
        (identifier,) = graph.objects(subject, ADMS.identifier)
        assert graph.value(identifier, SKOS.notation) == Literal(remote_id)
        assert graph.value(subject, PROV.wasDerivedFrom) == URIRef(remote_uri)


def test_service_resources_are_data_services(site, graph) -> None:
    content, _ = site
    (dist,) = graph.objects(dataset(content, "geodcat"), DCAT.distribution)
    assert graph.value(dist, DCAT.downloadURL) is None
    service = graph.value(dist, DCAT.accessService)
    assert (service, RDF.type, DCAT.DataService) in graph
    assert str(graph.value(service, DCAT.endpointURL)).endswith("service=WMS")


def test_the_page_shows_the_readers_language_else_the_original_with_lang(site) -> None:
    content, output = site
    slug = slug_of(content, "ch")
    french = (output / "datasets" / slug / "index.html").read_text(encoding="utf-8")
    english = (output / "en" / "datasets" / slug / "index.html").read_text(encoding="utf-8")
    assert '<h1 data-pagefind-meta="title">Annuaire statistique de la Suisse 1901' in french
    assert '<h1 data-pagefind-meta="title" lang="fr">Annuaire statistique de la Suisse 1901' in english
    geo = (output / "datasets" / slug_of(content, "geodcat") / "index.html").read_text(encoding="utf-8")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in geo and "<polyline" in geo
    assert "-31.285, 27.642, 34.099, 70.075" in geo
    assert 'lang="en"' in geo  # an English text on a French page
    no = (output / "datasets" / slug_of(content, "no") / "index.html").read_text(encoding="utf-8")
    assert 'href="https://data.norge.no/nlod/no"' in no  # the source's own licence, shown


def test_a_translation_in_the_readers_language_is_shown_without_lang() -> None:
    from generator.model import Dataset
    from generator.render import localized

    data = {
        "title": "Statistisches Jahrbuch",
        "description": "Beschreibung",
        "language": "de",
        "translations": {"fr": {"title": "Annuaire statistique"}},
        "license": "cc0-1.0",
        "harvest": {"source": "ch", "remote_id": "1", "harvested": "2026-11-28T10:00:00Z"},
    }
    dataset = Dataset.from_data("jahrbuch", ("organization", ORG), "x.yaml", data)
    french = localized(dataset, "fr", "fr")
    assert (french["title"], french["lang"]) == ("Annuaire statistique", None)
    assert (french["description"], french["description_lang"]) == ("Beschreibung", "de")  # no French description
    english = localized(dataset, "en", "fr")
    assert (english["title"], english["lang"]) == ("Statistisches Jahrbuch", "de")
    # no stated date: none shown or exported, the harvest day only orders lists
    assert (dataset.issued, dataset.modified, dataset.created) == (None, None, "2026-11-28")


def test_the_dashboard_names_the_failed_record(site) -> None:
    _content, output = site
    pages = [p.read_text(encoding="utf-8") for p in output.rglob("*.html")]
    failed = [
        p for p in pages if 'class="small job-errors"' in p and "(Is filtered): the dataset has no identifier" in p
    ]
    assert failed and "<code>_:" in failed[0]  # no identifier: the blank node label and the title say which


def test_the_api_carries_the_source_licence(site) -> None:
    import json

    content, output = site
    data = json.loads((output / "api" / "datasets" / f"{slug_of(content, 'no')}.json").read_text(encoding="utf-8"))
    assert data["license"]["id"] == "other"
    assert data["license"]["source"] == {"url": "https://data.norge.no/nlod/no"}
