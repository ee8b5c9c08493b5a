"""APIs (data services) in the exports: DCAT-AP (with the official shapes), schema.org, and privacy."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL, PROJECT, SHARED

from generator.build import build
from generator.export import schemaorg
from generator.model import Portal
from generator.render import Urls
from generator.site_index import SiteIndex
from generator.validate import validate

rdflib = pytest.importorskip("rdflib")
pyshacl = pytest.importorskip("pyshacl")
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

BASE = "https://data.example.fr/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
SHAPES = ["dcat-ap-3/shapes.ttl", "dcat-ap-3/range.ttl"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("apis") / "site"
    build(PROJECT / "content", out)
    return out


@pytest.fixture(scope="module")
def minimal_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("apis-minimal") / "site"
    build(MINIMAL, out)
    return out


def _graph(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format={"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}[path.suffix[1:]])
    return graph


def _api(slug: str, base: str = BASE) -> rdflib.URIRef:
    return rdflib.URIRef(f"{base}dataservices/{slug}/")


@pytest.mark.parametrize("syntax", ["ttl", "rdf", "jsonld"])
def test_every_public_api_is_a_data_service_of_the_catalogue(site, syntax: str) -> None:
    graph = _graph(site / f"catalog.{syntax}")
    catalog = rdflib.URIRef(BASE + "#catalog")
    apis = {_api(s) for s in ("api-parkings", "api-temps-reel-ligeo", "wms-plui")}
    assert set(graph.objects(catalog, DCAT.service)) == apis
    assert apis <= set(graph.subjects(RDF.type, DCAT.DataService))
    parkings = _api("api-parkings")
    assert str(graph.value(parkings, DCTERMS.title)) == "API de disponibilité des parkings"
    assert graph.value(parkings, DCTERMS.title).language == "fr"
    assert str(graph.value(parkings, DCAT.endpointURL)) == "https://api.metropole-valdeloire.example.fr/parkings/v2/"
    description = graph.value(parkings, DCAT.endpointDescription)
    assert str(description) == "https://api.metropole-valdeloire.example.fr/parkings/v2/openapi.json"
    assert (description, RDF.type, rdflib.RDFS.Resource) in graph
    assert str(graph.value(parkings, DCTERMS.publisher)) == BASE + "organizations/metropole-val-de-loire/"
    assert str(graph.value(parkings, DCTERMS.license)) == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert str(graph.value(parkings, FOAF.page)) == "https://data.metropole-valdeloire.example.fr/pages/api-parkings/"
    assert graph.value(parkings, DCAT.landingPage) == parkings
    assert {str(k) for k in graph.objects(parkings, DCAT.keyword)} == {"stationnement", "temps-reel", "parkings"}
    contact = graph.value(parkings, DCAT.contactPoint)
    assert str(contact) == str(parkings) + "#contact"
    served = {str(d) for d in graph.objects(parkings, DCAT.servesDataset)}
    assert served == {BASE + "datasets/parkings-disponibilite-temps-reel/"}
    assert {str(d) for d in graph.objects(_api("api-temps-reel-ligeo"), DCAT.servesDataset)} == {
        BASE + "datasets/gtfs-reseau-ligeo/",
        BASE + "datasets/perturbations-reseau-ligeo/",
    }


def test_access_rights_follow_the_access_type(site, minimal_site) -> None:
    graph = _graph(site / "catalog.ttl")
    assert str(graph.value(_api("api-parkings"), DCTERMS.accessRights)) == ACCESS + "PUBLIC"
    assert str(graph.value(_api("api-temps-reel-ligeo"), DCTERMS.accessRights)) == ACCESS + "NON_PUBLIC"  # restricted
    minimal = _graph(minimal_site / "catalog.ttl")
    api = _api("api-bus", "https://data.example.org/")
    assert str(minimal.value(api, DCTERMS.accessRights)) == ACCESS + "RESTRICTED"  # open_with_account


def test_each_organization_catalogue_lists_its_own_apis(site) -> None:
    expected = {
        "metropole-val-de-loire": {"api-parkings", "wms-plui"},
        "ligeo-mobilites": {"api-temps-reel-ligeo"},
        "diodp": set(),
    }
    for org, slugs in expected.items():
        graph = _graph(site / "organizations" / org / "catalog.ttl")
        catalog = rdflib.URIRef(f"{BASE}organizations/{org}/#catalog")
        assert set(graph.objects(catalog, DCAT.service)) == {_api(s) for s in slugs}, org
        assert set(graph.subjects(RDF.type, DCAT.DataService)) >= {_api(s) for s in slugs}


def _private_portal(portal: Path) -> Path:
    """The minimal portal plus a private dataset and a private API, and a public API serving both datasets."""
    org = portal / "organizations" / "ville-exemple"
    (org / "datasets" / "comptages-internes.yaml").write_text(
        "title: Comptages internes\ndescription: Pour nous.\nlicense: etalab-2.0\ncreated: 2020-02-01\n"
        "last_modified: 2024-03-01\nprivate: true\n",
        encoding="utf-8",
    )
    (org / "dataservices" / "api-interne.yaml").write_text(
        "title: API interne des comptages\ndescription: Pour nous.\nbase_api_url: https://intranet.example.org/api/\n"
        "access_type: restricted\ncreated: 2021-01-01\nprivate: true\ndatasets: [comptages-internes]\n",
        encoding="utf-8",
    )
    (org / "dataservices" / "api-comptages.yaml").write_text(
        "title: API des comptages\ndescription: Les comptages.\nbase_api_url: https://api.example.org/comptages/\n"
        "access_type: restricted\ncreated: 2021-01-01\ndatasets: [arrets-de-bus, comptages-internes]\n",
        encoding="utf-8",
    )
    return portal


def test_private_apis_and_private_datasets_are_in_no_export(portal: Path, tmp_path: Path) -> None:
    _private_portal(portal)
    out = tmp_path / "site"
    build(portal, out)
    checked = 0
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".ttl", ".rdf", ".jsonld", ".json", ".csv", ".atom", ".xml"):
            data = path.read_bytes()
            for secret in (b"api-interne", b"intranet.example.org", b"comptages-internes", b"Comptages internes"):
                assert secret not in data, (path, secret)
            checked += 1
    assert checked > 20
    graph = _graph(out / "catalog.ttl")
    public = _api("api-comptages", "https://data.example.org/")
    assert (public, RDF.type, DCAT.DataService) in graph  # the public API is there, serving the public dataset only
    assert {str(d) for d in graph.objects(public, DCAT.servesDataset)} == {
        "https://data.example.org/datasets/arrets-de-bus/"
    }
    assert str(graph.value(public, DCTERMS.accessRights)) == ACCESS + "NON_PUBLIC"


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    if not (SHARED / "validators").is_dir():
        pytest.skip("../shared/validators is not available")
    graph = rdflib.Graph()
    for name in SHAPES:
        graph.parse(SHARED / "validators" / name, format="turtle")
    return graph


def test_a_portal_with_private_content_still_validates(portal: Path, tmp_path: Path, shapes) -> None:
    _private_portal(portal)
    out = tmp_path / "site"
    build(portal, out)
    for path in [out / "catalog.ttl", out / "organizations" / "ville-exemple" / "catalog.ttl"]:
        graph = _graph(path)
        assert len(set(graph.subjects(RDF.type, DCAT.DataService))) == 2  # api-bus and api-comptages
        _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes, advanced=True)
        assert list(report.subjects(SH.resultSeverity, SH.Violation)) == [], path


def test_an_api_without_a_public_dataset_or_a_license_still_validates(portal: Path, tmp_path: Path, shapes) -> None:
    """The optional fields left out: no licence, no description document, no dataset, no contact, a user's API."""
    folder = portal / "users" / "marie" / "dataservices"
    folder.mkdir(parents=True)
    (folder / "mon-api.yaml").write_text(
        "title: Mon API\ndescription: Un essai.\nbase_api_url: https://marie.example.org/api\n"
        "access_type: open\ncreated: 2022-05-01\n",
        encoding="utf-8",
    )
    assert validate(portal).problems == []
    out = tmp_path / "site"
    build(portal, out)
    graph = _graph(out / "catalog.ttl")
    api = _api("mon-api", "https://data.example.org/")
    assert str(graph.value(api, DCTERMS.publisher)) == "https://data.example.org/users/marie/"
    assert graph.value(api, DCTERMS.license) is None and graph.value(api, DCAT.servesDataset) is None
    _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes, advanced=True)
    assert list(report.subjects(SH.resultSeverity, SH.Violation)) == []


# --- CSV and the static JSON API -------------------------------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""), delimiter=";"))


def test_the_csv_tables_list_the_public_apis(site) -> None:
    rows = {r["slug"]: r for r in _csv(site / "dataservices.csv")}
    assert sorted(rows) == ["api-parkings", "api-temps-reel-ligeo", "wms-plui"]
    ligeo = rows["api-temps-reel-ligeo"]
    assert ligeo["url"] == BASE + "dataservices/api-temps-reel-ligeo/"
    assert ligeo["organization_id"] == "ligeo-mobilites" and ligeo["access_type"] == "restricted"
    assert ligeo["datasets"] == "gtfs-reseau-ligeo,perturbations-reseau-ligeo"
    assert ligeo["authorization_request_url"].endswith("/demande-acces") and ligeo["availability"] == "98"
    assert rows["wms-plui"]["hvd_categories"] == "c_dd313021,c_ad9ae929"
    assert rows["wms-plui"]["machine_documentation_format"] == "wms"
    org = _csv(site / "organizations" / "metropole-val-de-loire" / "dataservices.csv")
    assert [r["slug"] for r in org] == ["api-parkings", "wms-plui"]
    assert _csv(site / "organizations" / "diodp" / "dataservices.csv") == []


def test_the_json_api_serves_the_apis_as_its_openapi_description_says(site) -> None:
    import json

    from jsonschema import Draft202012Validator

    api = site / "api"
    openapi = json.loads((api / "openapi.json").read_text())
    assert {"/dataservices/pages/{page}.json", "/dataservices/{slug}.json"} <= set(openapi["paths"])

    def check(data: dict, schema: str) -> None:
        validator = Draft202012Validator({"$ref": f"#/components/schemas/{schema}", **openapi})
        assert list(validator.iter_errors(data)) == [], schema

    home = json.loads((api / "site.json").read_text())
    assert home["counts"]["dataservices"] == 3 and home["dataservices"] == BASE + "api/dataservices/pages/1.json"
    listing = json.loads((api / "dataservices" / "pages" / "1.json").read_text())
    check(listing, "DataservicePage")
    assert listing["total"] == 3 and [s["slug"] for s in listing["data"]] == sorted(s["slug"] for s in listing["data"])
    for summary in listing["data"]:
        item = json.loads((site / summary["api"][len(BASE) :]).read_text())
        check(item, "Dataservice")
        assert item["slug"] == summary["slug"]
    wms = json.loads((api / "dataservices" / "wms-plui.json").read_text())
    assert [d["slug"] for d in wms["datasets"]] == ["plui-val-de-loire"]
    assert wms["endpoint_description"]["format"] == "wms" and wms["hvd_categories"] == ["c_dd313021", "c_ad9ae929"]
    org = json.loads((api / "organizations" / "ligeo-mobilites.json").read_text())
    check(org, "Organization")
    assert [s["slug"] for s in org["dataservices"]] == ["api-temps-reel-ligeo"]
    assert org["exports"]["csv"]["dataservices"] == BASE + "organizations/ligeo-mobilites/dataservices.csv"


# --- schema.org ----------------------------------------------------------------------------------------------


def _index(content: Path) -> tuple[SiteIndex, Urls]:
    result = validate(content)
    assert result.problems == []
    portal = Portal.from_entries(result.entries)
    index = SiteIndex(portal, content)
    return index, Urls.make(portal.site.base_url, portal.site.languages)


def test_an_api_page_describes_a_schema_org_web_api() -> None:
    index, urls = _index(PROJECT / "content")
    service = index.portal.dataservices["api-temps-reel-ligeo"]
    data = schemaorg.dataservice(index, urls, service, "en")
    assert data["@type"] == "WebAPI" and data["@context"] == {"@vocab": "https://schema.org/"}
    assert data["@id"] == BASE + "dataservices/api-temps-reel-ligeo/"
    assert data["url"] == BASE + "en/dataservices/api-temps-reel-ligeo/"
    assert data["name"] == "API temps réel SIRI du réseau Ligéo" and data["alternateName"] == "SIRI Ligéo"
    assert "**" not in data["description"] and data["description"].startswith("Les passages en temps réel")
    assert data["provider"] == {
        "@type": "Organization",  # a company
        "@id": BASE + "organizations/ligeo-mobilites/",
        "name": index.portal.organizations["ligeo-mobilites"].name,
        "url": BASE + "organizations/ligeo-mobilites/",
    }
    assert data["documentation"] == "https://www.ligeo-mobilites.example.fr/donnees-ouvertes/siri"
    assert data["termsOfService"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert data["potentialAction"] == {
        "@type": "ConsumeAction",
        "target": {"@type": "EntryPoint", "urlTemplate": "https://api.ligeo-mobilites.example.fr/siri/2.0/"},
    }
    assert data["availableChannel"]["serviceUrl"].endswith("/donnees-ouvertes/demande-acces")
    wms = schemaorg.dataservice(index, urls, index.portal.dataservices["wms-plui"], "fr")
    assert wms["url"] == BASE + "dataservices/wms-plui/" and "documentation" not in wms
    assert wms["subjectOf"]["encodingFormat"] == "wms" and "availableChannel" not in wms


def test_the_web_api_json_ld_expands_to_schema_org_terms() -> None:
    """Parsed as JSON-LD (the inline context, nothing fetched): every key is a schema.org term."""
    import json

    index, urls = _index(PROJECT / "content")
    data = schemaorg.dataservice(index, urls, index.portal.dataservices["api-parkings"], "fr")
    graph = rdflib.Graph()
    graph.parse(data=json.dumps(json.loads(str(schemaorg.script_json(data)))), format="json-ld")
    schema = rdflib.Namespace("https://schema.org/")
    api = rdflib.URIRef(BASE + "dataservices/api-parkings/")
    assert (api, RDF.type, schema.WebAPI) in graph
    action = graph.value(api, schema.potentialAction)
    target = graph.value(action, schema.target)
    assert str(graph.value(target, schema.urlTemplate)) == "https://api.metropole-valdeloire.example.fr/parkings/v2/"
    assert {p for p in graph.predicates(api, None)} <= {
        RDF.type, schema.url, schema.name, schema.description, schema.identifier, schema.provider,
        schema.potentialAction, schema.alternateName, schema.documentation, schema.subjectOf, schema.termsOfService,
        schema.availableChannel,
    }  # fmt: skip
