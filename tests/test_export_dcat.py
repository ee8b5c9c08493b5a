"""The DCAT-AP catalogues: official SHACL shapes (3.0.0 and 2.1.1), the three syntaxes agree, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL, PROJECT, SHARED
from site_helpers import files_of

from generator.build import build
from generator.export import rdf

rdflib = pytest.importorskip("rdflib")
pyshacl = pytest.importorskip("pyshacl")
from rdflib.compare import isomorphic  # noqa: E402
from rdflib.namespace import DCAT, RDF, SH  # noqa: E402

# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

VALIDATORS = SHARED / "validators"
# the files meant for validating catalogue content: the constraints and the class ranges. DCAT-AP 3's
# shapes_recommended.ttl only raises warnings; 2.1.1's mdr-vocabularies needs the EU vocabularies loaded.
SHAPES = {
    "3.0.0": ["dcat-ap-3/shapes.ttl", "dcat-ap-3/range.ttl"],
    "2.1.1": ["dcat-ap/dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap/dcat-ap_2.1.1_shacl_range.ttl"],
}
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def _parse(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format=FORMATS[path.suffix[1:]])
    return graph


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name, content in [("example", PROJECT / "content"), ("minimal", MINIMAL)]:
        out[name] = tmp_path_factory.mktemp(name) / "site"
        build(content, out[name])
    return out


@pytest.fixture(scope="module")
def shapes() -> dict[str, rdflib.Graph]:
    if not VALIDATORS.is_dir():
        pytest.skip("../shared/validators is not available")
    graphs = {}
    for version, files in SHAPES.items():
        graph = rdflib.Graph()
        for name in files:
            graph.parse(VALIDATORS / name, format="turtle")
        graphs[version] = graph
    return graphs


def _violations(data: rdflib.Graph, shapes: rdflib.Graph) -> list[str]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, advanced=True)
    return sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    )


@pytest.mark.parametrize("version", SHAPES)
@pytest.mark.parametrize("site", ["example", "minimal"])
def test_catalog_has_no_shacl_violation(sites, shapes, site: str, version: str) -> None:
    graph = _parse(sites[site] / "catalog.ttl")
    assert _violations(graph, shapes[version]) == []


@pytest.mark.parametrize("version", SHAPES)
def test_organization_catalogs_have_no_shacl_violation(sites, shapes, version: str) -> None:
    graph = rdflib.Graph()
    for path in sorted((sites["example"] / "organizations").glob("*/catalog.ttl")):
        graph += _parse(path)
    assert _violations(graph, shapes[version]) == []


@pytest.mark.parametrize("site", ["example", "minimal"])
def test_the_three_syntaxes_are_the_same_graph(sites, site: str) -> None:
    turtle = _parse(sites[site] / "catalog.ttl")
    assert isomorphic(turtle, _parse(sites[site] / "catalog.rdf"))
    assert isomorphic(turtle, _parse(sites[site] / "catalog.jsonld"))
    org = sorted((sites[site] / "organizations").glob("*/catalog.ttl"))[0].parent
    assert isomorphic(_parse(org / "catalog.ttl"), _parse(org / "catalog.jsonld"))


def test_catalog_content(sites) -> None:
    graph = _parse(sites["example"] / "catalog.ttl")
    base = "https://data.example.fr/"
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    public = len(list((sites["example"] / "api" / "datasets").glob("*.json")))
    assert len(datasets) == public == 47 - 1  # one private dataset
    assert all(str(d).startswith(base + "datasets/") for d in datasets)
    catalog = rdflib.URIRef(base + "#catalog")
    assert set(graph.objects(catalog, DCAT.dataset)) == datasets
    dataset = rdflib.URIRef(base + "datasets/plui-val-de-loire/")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    assert graph.value(dataset, dct.title).language == "fr"
    licenses = {str(o) for o in graph.objects(None, dct.license)}
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in licenses
    frequencies = {str(o) for o in graph.objects(None, dct.accrualPeriodicity)}
    assert frequencies and all(
        f.startswith("http://publications.europa.eu/resource/authority/frequency/") for f in frequencies
    )
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert distributions and all(str(d).startswith(base + "datasets/r/") for d in distributions)
    org_graph = _parse(sites["example"] / "organizations" / "diodp" / "catalog.ttl")
    org_datasets = set(org_graph.subjects(RDF.type, DCAT.Dataset))
    assert org_datasets and org_datasets < datasets


def test_private_datasets_are_in_no_catalog(sites) -> None:
    for path in sorted(sites["example"].rglob("catalog.*")):
        assert b"tableau-de-bord-interne-diodp" not in path.read_bytes(), path


def test_hostile_text_survives_every_syntax() -> None:
    nasty = 'a "quote" \\ back\nline\ttab </script> <!-- & \x01 \ud800 ]]> \u2028 é'
    node = rdf.Node(rdf.IRI(rdf.iri('https://x.org/a b<c>"d{e}|f^g`h\\i')), ["dcat:Dataset"])
    node.add("dct:title", rdf.text(nasty, "fr"))
    node.add("dct:description", rdf.text(nasty))
    node.add("dct:issued", rdf.typed("2024-01-01", "xsd:date"))
    node.add("dct:license", rdf.BNode("license-other"))
    graphs = []
    for fmt, syntax in FORMATS.items():
        graph = rdflib.Graph()
        graph.parse(data=rdf.serialize([node], fmt).decode(), format=syntax)
        graphs.append(graph)
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])
    subject = rdflib.URIRef("https://x.org/a%20b%3Cc%3E%22d%7Be%7D%7Cf%5Eg%60h%5Ci")
    title = graphs[0].value(subject, rdflib.URIRef("http://purl.org/dc/terms/title"))
    assert str(title) == rdf.clean(nasty) and "\x01" not in str(title) and title.language == "fr"
    json.loads(rdf.serialize([node], "jsonld"))


def test_exports_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """rdflib's store iterates sets; ours must not: two processes with different hash seeds, same bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"site-{seed}"
        code = "import sys; from generator.build import build; build(sys.argv[1], sys.argv[2])"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(MINIMAL), str(out)], check=True, env=env, cwd=PROJECT)
        outputs.append(files_of(out))
    assert outputs[0] == outputs[1]
