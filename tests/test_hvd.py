"""The EU's high-value datasets: the category table, content, export (DCAT-AP HVD shapes), harvest, pages."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import PROJECT, SHARED

from generator.build import build
from generator.validate import validate
from generator.vocabularies import HVD_CATEGORIES, HVD_LEGISLATION, hvd_code, hvd_codes, hvd_top

rdflib = pytest.importorskip("rdflib")
pyshacl = pytest.importorskip("pyshacl")
from rdflib.namespace import DCAT, RDF, SH, SKOS  # noqa: E402

# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

HVD_SHAPES = SHARED / "validators" / "dcat-ap-hvd"
R5R = rdflib.Namespace("http://data.europa.eu/r5r/")
BNA = "http://data.europa.eu/bna/"
BASE = "https://data.example.fr/"
# the regulation's six themes, as the Publications Office's list names them
TOP = {
    "c_ac64a52d": ("Geospatial", "Géospatiales"),
    "c_dd313021": ("Earth observation and environment", "Observation de la terre et environnement"),
    "c_164e0bf5": ("Meteorological", "Météorologiques"),
    "c_e1da4e07": ("Statistics", "Statistiques"),
    "c_a9135398": ("Companies and company ownership", "Entreprises et propriété d'entreprises"),
    "c_b79e35eb": ("Mobility", "Mobilité"),
}
EXAMPLE_HVD = {
    "gtfs-reseau-ligeo": ["c_b79e35eb", "c_4b74ea13"],
    "base-adresse-locale-metropole": ["c_ac64a52d", "c_c3de25e4"],
    "occupation-sols-regionale": ["c_b21e1296"],
    "niveaux-loire-prises-eau": ["c_dd313021", "c_06b1eec4"],
}
EXAMPLE_HVD_APIS = {"wms-plui": ["c_dd313021", "c_ad9ae929"]}


# --- the table -----------------------------------------------------------------------------------------------


def test_the_table_is_the_eu_list_with_both_languages() -> None:
    path = PROJECT / "generator" / "data" / "hvd-categories.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(HVD_CATEGORIES) == 96
    tops = {code: (c.labels["en"], c.labels["fr"]) for code, c in HVD_CATEGORIES.items() if c.parent is None}
    assert tops == TOP
    for category in HVD_CATEGORIES.values():
        assert category.labels["en"] and category.labels["fr"], category.code
        assert category.parent is None or category.parent in HVD_CATEGORIES
        assert hvd_top(category.code) in TOP
    assert HVD_CATEGORIES["c_1e787364"].parent == "c_b151a0ba"  # a third level: inland waterways
    assert hvd_top("c_1e787364") == "c_b79e35eb"
    assert "Publications Office" in (path.parent / "README.md").read_text()


def test_a_category_is_its_code_or_its_uri() -> None:
    assert hvd_code("c_b79e35eb") == "c_b79e35eb"
    assert hvd_code(BNA + "c_b79e35eb") == "c_b79e35eb"
    assert hvd_code("https://data.europa.eu/bna/c_b79e35eb") == "c_b79e35eb"
    assert hvd_code("mobility") is None
    assert hvd_code(BNA + "c_00000000") is None
    assert hvd_codes(["c_b79e35eb", BNA + "c_b79e35eb", "c_4b74ea13"]) == ["c_b79e35eb", "c_4b74ea13"]


def test_the_schema_lists_every_category_in_both_forms() -> None:
    import json

    schema = json.loads((PROJECT / "schemas" / "common.schema.json").read_text())
    allowed = set(schema["$defs"]["hvd_category"]["enum"])
    assert allowed == set(HVD_CATEGORIES) | {BNA + code for code in HVD_CATEGORIES}


# --- content -------------------------------------------------------------------------------------------------


def _dataset(content: Path, categories: str) -> Path:
    path = content / "organizations" / "ville-exemple" / "datasets" / "arrets-de-bus.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "title: Arrêts de bus\ndescription: Position des arrêts.\nlicense: etalab-2.0\n"
        f"created: 2020-02-01\nlast_modified: 2024-03-01\nhvd_categories:\n{categories}",
        encoding="utf-8",
    )
    return path


def test_an_unknown_category_is_reported_at_its_line_with_what_to_use(portal: Path) -> None:
    _dataset(portal, "  - c_b79e35eb\n  - mobility\n  - c_b79e35ec\n")
    problems = validate(portal).problems
    assert [(p.line, p.code) for p in problems] == [(8, "not-allowed"), (9, "not-allowed")]
    unknown, typo = problems
    assert "'mobility' is not an allowed value at hvd_categories[1]" in unknown.message
    assert "c_b79e35eb (Mobility)" in unknown.hint and "docs/content.md" in unknown.hint
    assert typo.hint == "did you mean c_b79e35eb?"


def test_the_model_keeps_one_form_of_each_category(portal: Path) -> None:
    from generator.model import Portal

    _dataset(portal, f"  - c_4b74ea13\n  - {BNA}c_b79e35eb\n  - c_b79e35eb\n")
    result = validate(portal)
    assert result.problems == []
    model = Portal.from_entries(result.entries)
    assert model.datasets["arrets-de-bus"].hvd_categories == ["c_4b74ea13", "c_b79e35eb"]


# --- export --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hvd") / "site"
    build(PROJECT / "content", out)
    return out


def _graph(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format={"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}[path.suffix[1:]])
    return graph


def hvd_part(graph: rdflib.Graph) -> rdflib.Graph:
    """The high-value datasets and APIs and every node they lead to (distributions, services, concepts...).

    The DCAT-AP HVD shapes target every dataset, distribution and service of the graph they are given: they
    describe a catalogue of HVDs only, so the rest of ours is left out, as an HVD harvester selects it. An HVD
    API may serve a dataset that is not a high-value one (the example's WMS of the PLUi does): that link is
    left out with the dataset, else the shapes would judge the dataset as an HVD.
    """
    hvd = set(graph.subjects(R5R.applicableLegislation, None))
    part, seen = rdflib.Graph(), set()
    todo = [s for s in hvd if {(s, RDF.type, DCAT.Dataset), (s, RDF.type, DCAT.DataService)} & set(graph)]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for predicate, obj in graph.predicate_objects(node):
            if (obj, RDF.type, DCAT.Dataset) in graph and obj not in hvd:
                continue
            part.add((node, predicate, obj))
            if not isinstance(obj, rdflib.Literal) and predicate != RDF.type:
                todo.append(obj)
    return part


@pytest.fixture(scope="module")
def hvd_shapes() -> rdflib.Graph:
    """SEMIC's DCAT-AP 3.0.0-hvd constraints (base) and class ranges: hvd-SHACL.ttl is their union plus
    the recommendations (warnings); -full adds the vocabularies' codelist checks."""
    if not HVD_SHAPES.is_dir():
        pytest.skip("../shared/validators/dcat-ap-hvd is not available")
    graph = rdflib.Graph()
    for name in ("hvd-SHACL-base.ttl", "hvd-SHACL-ranges.ttl"):
        graph.parse(HVD_SHAPES / name, format="turtle")
    return graph


def _violations(data: rdflib.Graph, shapes: rdflib.Graph) -> list[str]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, advanced=True)  # no inference
    return sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    )


def test_semic_examples_fail_the_range_shapes_without_inference(hvd_shapes) -> None:
    """The shapes run as intended: SEMIC's own examples leave their URLs and concepts untyped."""
    counts = {}
    for path in sorted(HVD_SHAPES.glob("example-*.ttl")):
        counts[path.name] = len(_violations(_graph(path), hvd_shapes))
    assert len(counts) == 3 and all(8 <= n <= 14 for n in counts.values()), counts


@pytest.mark.parametrize("syntax", ["ttl", "rdf", "jsonld"])
def test_the_hvd_part_of_the_catalog_has_no_hvd_violation(site, hvd_shapes, syntax: str) -> None:
    part = hvd_part(_graph(site / f"catalog.{syntax}"))
    assert len(set(part.subjects(RDF.type, DCAT.Dataset))) == len(EXAMPLE_HVD)
    assert set(part.subjects(RDF.type, DCAT.DataService)), "an HVD dataset with an API resource"
    api = rdflib.URIRef(f"{BASE}dataservices/wms-plui/")
    # the HVD API is in the part the shapes judge, with what they ask of it
    for predicate in (R5R.hvdCategory, DCAT.contactPoint, DCAT.endpointDescription, rdflib.namespace.FOAF.page):
        assert (api, predicate, None) in part, predicate
    assert _violations(part, hvd_shapes) == []


def test_organization_catalogs_have_no_hvd_violation(site, hvd_shapes) -> None:
    graph = rdflib.Graph()
    for path in sorted((site / "organizations").glob("*/catalog.ttl")):
        graph += _graph(path)
    assert _violations(hvd_part(graph), hvd_shapes) == []


def test_hvd_datasets_name_the_regulation_and_their_categories(site) -> None:
    graph = _graph(site / "catalog.ttl")
    legislation = rdflib.URIRef(HVD_LEGISLATION)
    assert (legislation, RDF.type, rdflib.URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in graph
    marked = {str(s) for s in graph.subjects(R5R.applicableLegislation, legislation)}
    for slug, codes in EXAMPLE_HVD.items():
        dataset = rdflib.URIRef(f"{BASE}datasets/{slug}/")
        assert str(dataset) in marked
        assert {str(c) for c in graph.objects(dataset, R5R.hvdCategory)} == {BNA + c for c in codes}
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert (distribution, R5R.applicableLegislation, legislation) in graph
    mobility = rdflib.URIRef(BNA + "c_b79e35eb")
    assert (mobility, RDF.type, SKOS.Concept) in graph
    assert {(str(x), x.language) for x in graph.objects(mobility, SKOS.prefLabel)} == {
        ("Mobility", "en"),
        ("Mobilité", "fr"),
    }
    # nothing else is marked: the HVD datasets, their distributions, the services of their API resources and
    # the HVD APIs
    datasets = {rdflib.URIRef(f"{BASE}datasets/{slug}/") for slug in EXAMPLE_HVD}
    distributions = {d for s in datasets for d in graph.objects(s, DCAT.distribution)}
    services = {s for d in distributions for s in graph.objects(d, DCAT.accessService)}
    apis = {rdflib.URIRef(f"{BASE}dataservices/{slug}/") for slug in EXAMPLE_HVD_APIS}
    assert services
    assert {rdflib.URIRef(u) for u in marked} == datasets | distributions | services | apis
    for slug, codes in EXAMPLE_HVD_APIS.items():
        api = rdflib.URIRef(f"{BASE}dataservices/{slug}/")
        assert {str(c) for c in graph.objects(api, R5R.hvdCategory)} == {BNA + c for c in codes}


# --- harvest -------------------------------------------------------------------------------------------------


def test_harvested_categories_are_codes_and_unknown_ones_stay_raw() -> None:
    from generator.harvest.mapping import RemoteDataset, to_record

    remote = RemoteDataset(
        remote_id="x",
        title="Horaires",
        licenses=["cc-by-4.0"],
        hvd_categories=[BNA + "c_b79e35eb", "https://data.europa.eu/bna/c_4b74ea13", BNA + "c_unknown"],
    )
    record = to_record(remote, "org/h")
    assert record.dataset["hvd_categories"] == ["c_b79e35eb", "c_4b74ea13"]
    assert record.unmapped["hvd_categories"] == BNA + "c_unknown"
    assert "hvd_categories" not in to_record(RemoteDataset(remote_id="y", title="T"), "org/h").dataset


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "words"),
    [("", ["Données de forte valeur (UE)", ">Mobilité</a>", ">Réseaux de transport</a>", "Règlement d'exécution"]),
     ("en/", ["High-value data (EU)", ">Mobility</a>", ">Transport networks</a>", "Implementing Regulation"])],
)  # fmt: skip
def test_the_dataset_page_shows_its_categories_in_the_readers_language(site, prefix: str, words: list[str]) -> None:
    html = (site / prefix / "datasets" / "gtfs-reseau-ligeo" / "index.html").read_text(encoding="utf-8")
    for word in words:
        assert word in html
    assert f'<a href="{BNA}c_b79e35eb" rel="noopener">' in html
    assert f'href="{HVD_LEGISLATION}"' in html
    other = (site / prefix / "datasets" / "plui-val-de-loire" / "index.html").read_text(encoding="utf-8")
    kicker = other.split('<p class="kicker"', 1)[1].split("</p>", 1)[0]
    assert "badge-hvd" not in kicker and "hvd:" not in other
    # the high-value WMS that serves it keeps its own badge, on its card
    card = other.split('<section aria-labelledby="dataservices-title"', 1)[1].split("</section>", 1)[0]
    assert "dataservices/wms-plui/" in card and "badge-hvd" in card


def test_listings_badge_the_high_value_datasets(site) -> None:
    for prefix in ("", "en/"):
        pages = [site / prefix / "datasets" / "index.html", *(site / prefix / "datasets" / "page").glob("*/index.html")]
        badges = sum(p.read_text(encoding="utf-8").count('class="badge badge-hvd"') for p in pages)
        assert badges == len(EXAMPLE_HVD), prefix


def test_the_search_files_each_hvd_dataset_under_its_categories_and_their_themes(site) -> None:
    html = (site / "en" / "datasets" / "occupation-sols-regionale" / "index.html").read_text(encoding="utf-8")
    filters = sorted(set(re.findall(r'data-pagefind-filter="hvd:([^"]+)"', html)))
    assert filters == ["All high-value data", "Earth observation and environment", "Land cover"]
    french = (site / "datasets" / "occupation-sols-regionale" / "index.html").read_text(encoding="utf-8")
    assert 'data-pagefind-filter="hvd:Occupation des terres"' in french
