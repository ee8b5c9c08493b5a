"""APIs (data services) on the site: their pages in both languages, the listing, the links between APIs and the
datasets they serve, search facets, sitemap, quality, dashboards and link checks (against a real local server)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT
from site_helpers import broken_links
from test_links_check import FAST, base, closed_port, server  # noqa: F401 - server: a real HTTP server fixture

from generator import linkcheck, search
from generator.build import build
from generator.cli import dashboard as _registers_commands  # noqa: F401
from generator.cli import main
from generator.model import Dataservice, EndpointDescription
from generator.pages import PER_PAGE
from generator.quality import API_CRITERIA, dataservice_quality

MVL = "organizations/metropole-val-de-loire"
VILLE = "organizations/ville-exemple"


def _text(path: Path) -> str:
    """A page's words as a reader sees them: no tags, no scripts, entities decoded, blanks collapsed."""
    page = re.sub(r"<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example portal, built once (with its search index)."""
    root = tmp_path_factory.mktemp("apis")
    content = root / "repo" / "content"
    shutil.copytree(PROJECT / "content", content)
    build(content, root / "site")
    return root / "site"


# --- the page of an API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", ["Accès restreint", "sur demande", "Demander l'accès", "98 % du temps", "Limites d'appels",
              "Jeux de données exposés par cette API (2)", "4 septembre 2023"]),
        ("en/", ["Restricted access", "on request", "Request access", "98% of the time", "Rate limits",
                 "Datasets served by this API (2)", "4 September 2023"]),
    ],
)  # fmt: skip
def test_the_page_of_a_restricted_api_in_both_languages(site: Path, prefix: str, words: list[str]) -> None:
    page = site / prefix / "dataservices/api-temps-reel-ligeo/index.html"
    text, source = _text(page), page.read_text(encoding="utf-8")
    for word in ["API temps réel SIRI du réseau Ligéo", "(SIRI Ligéo)", "Ligéo Mobilités", *words]:
        assert word in text, word
    assert f'<html lang="{prefix[:2] or "fr"}">' in source
    # the request link, the base URL, the documentation, the contact, the owner and the served datasets
    assert 'href="https://www.ligeo-mobilites.example.fr/donnees-ouvertes/demande-acces"' in source
    assert "<code>https://api.ligeo-mobilites.example.fr/siri/2.0/</code>" in source
    assert 'href="https://www.ligeo-mobilites.example.fr/donnees-ouvertes/siri"' in source
    assert 'href="mailto:opendata@ligeo-mobilites.example.fr"' in source
    assert f'href="/{prefix}organizations/ligeo-mobilites/"' in source
    for slug in ("gtfs-reseau-ligeo", "perturbations-reseau-ligeo"):
        assert f'href="/{prefix}datasets/{slug}/"' in source
    assert "1 requête par seconde par jeton" in text and "Open Data Commons Open Database License" in text
    assert "<strong>" in source and "SIRI</strong>" in source  # the description's Markdown
    # quality: no technical description; the URLs not checked yet
    missing = source.split('class="criterion missing"')[1:]
    assert len(missing) == 1 and ("Technical description" in missing[0] or "Description technique" in missing[0])
    assert source.count('class="criterion unknown"') == 1


def test_an_open_api_with_an_openapi_description_and_a_high_value_wms(site: Path) -> None:
    parkings = site / "en/dataservices/api-parkings/index.html"
    source = parkings.read_text(encoding="utf-8")
    assert "Open access" in _text(parkings) and "Anyone may call this API, without an account." in _text(parkings)
    assert "Request access" not in source
    assert 'href="https://api.metropole-valdeloire.example.fr/parkings/v2/openapi.json"' in source
    assert "(OpenAPI)" in _text(parkings)
    assert "99.5% of the time" in _text(parkings)  # not rounded to 100%
    wms = (site / "dataservices/wms-plui/index.html").read_text(encoding="utf-8")
    assert "badge-hvd" in wms and "Données de forte valeur (UE)" in wms and "Usage des sols" in wms
    assert "(WMS)" in _text(site / "dataservices/wms-plui/index.html")


def test_an_api_page_embeds_its_schema_org_web_api(site: Path) -> None:
    """The page carries the WebAPI JSON-LD of generator.export.schemaorg, in the page's language."""
    for page, url in (
        ("dataservices/api-parkings/index.html", "https://data.example.fr/dataservices/api-parkings/"),
        ("en/dataservices/api-parkings/index.html", "https://data.example.fr/en/dataservices/api-parkings/"),
    ):
        source = (site / page).read_text(encoding="utf-8")
        data = json.loads(source.split('<script type="application/ld+json">')[1].split("</script>")[0])
        assert data["@type"] == "WebAPI" and data["url"] == url
        assert data["potentialAction"]["target"]["urlTemplate"].startswith("https://api.")


def _add_api(content: Path, slug: str, owner: str = VILLE, **fields) -> Path:
    data = {
        "title": f"API {slug}",
        "description": "Les arrêts par API.",
        "base_api_url": "https://api.example.org/arrets/",
        "access_type": "open",
        "created": "2024-01-01",
        "datasets": ["arrets-de-bus"],
        **fields,
    }
    folder = content / owner / "dataservices"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def test_markdown_is_sanitized_and_an_archived_api_says_so(portal: Path, tmp_path: Path) -> None:
    _add_api(
        portal,
        "api-arrets",
        description="Les **arrêts** <script>alert(1)</script> [clic](javascript:alert(2)) <img src=x onerror=alert(3)>",
        archived=True,
        access_type="open_with_account",
    )
    build(portal, tmp_path / "site")
    for prefix, words in (("", ["archivée", "Accès avec un compte"]), ("en/", ["archived", "Access with an account"])):
        page = tmp_path / "site" / prefix / "dataservices/api-arrets/index.html"
        source = page.read_text(encoding="utf-8")
        assert "<strong>arrêts</strong>" in source
        assert "<script>alert" not in source and 'href="javascript' not in source and "onerror" not in source
        assert 'class="notice"' in source and all(word in _text(page) for word in words)
        # open with an account, without a request URL: the page says so, and quality counts it missing
        assert ("contactez-le" if not prefix else "contact it") in _text(page)
        assert source.count('class="criterion missing"') >= 3  # access link, not archived, short description


# --- private APIs, links both ways, the listing -------------------------------------------------------------


def test_a_private_api_is_nowhere_on_the_site(portal: Path, tmp_path: Path) -> None:
    _add_api(portal, "api-publique", title="API publique")
    _add_api(portal, "api-secrete", title="API secrète cachée", private=True)
    site = tmp_path / "site"
    build(portal, site)
    assert (site / "dataservices/api-publique/index.html").is_file()
    assert not (site / "dataservices/api-secrete").exists() and not (site / "en/dataservices/api-secrete").exists()
    leaks = [
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file() and (b"api-secrete" in p.read_bytes() or "API secrète".encode() in p.read_bytes())
    ]
    assert leaks == []  # pages, listing, dataset and organization pages, dashboards, sitemap, exports
    # the public one is everywhere it belongs
    for rel in ("dataservices/index.html", "datasets/arrets-de-bus/index.html", f"{VILLE}/index.html"):
        assert 'href="/dataservices/api-publique/"' in (site / rel).read_text(encoding="utf-8"), rel
    assert "https://data.example.org/dataservices/api-publique/" in (site / "sitemaps/1.xml").read_text()
    assert broken_links(site, "https://data.example.org/") == []


def test_links_both_ways_leave_out_private_datasets(portal: Path, tmp_path: Path) -> None:
    secret = portal / VILLE / "datasets/interne.yaml"
    shutil.copyfile(portal / VILLE / "datasets/arrets-de-bus.yaml", secret)
    text = secret.read_text(encoding="utf-8").replace("title: Arrêts de bus", "title: Données internes")
    text = re.sub(r"id: [0-9a-f-]+", "id: 5d1e1a57-0000-4000-8000-000000000001", text)
    secret.write_text(text + "private: true\n", encoding="utf-8")
    _add_api(portal, "api-arrets", owner="users/marie", datasets=["arrets-de-bus", "interne"])
    site = tmp_path / "site"
    build(portal, site)
    page = (site / "dataservices/api-arrets/index.html").read_text(encoding="utf-8")
    assert 'href="/datasets/arrets-de-bus/"' in page and "interne" not in page and "Données internes" not in page
    assert "(1)" in _text(site / "dataservices/api-arrets/index.html")  # one dataset served, as far as readers know
    dataset = (site / "en/datasets/arrets-de-bus/index.html").read_text(encoding="utf-8")
    assert "APIs serving this dataset" in dataset and 'href="/en/dataservices/api-arrets/"' in dataset
    # a user's API: on the user's page, linked to the user
    assert 'href="/dataservices/api-arrets/"' in (site / "users/marie/index.html").read_text(encoding="utf-8")
    assert 'href="/users/marie/"' in page


def test_the_listing_is_paged_and_sorted_like_the_datasets(portal: Path, tmp_path: Path) -> None:
    count = PER_PAGE + 5
    for n in range(count):
        _add_api(portal, f"api-{n:02d}", title=f"API numéro {count - n}")
    site = tmp_path / "site"
    build(portal, site)
    first = (site / "dataservices/index.html").read_text(encoding="utf-8")
    second = (site / "en/dataservices/page/2/index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="/dataservices/(api-\d+)/"', first) == [f"api-{n:02d}" for n in range(PER_PAGE)]
    assert re.findall(r'href="/en/dataservices/(api-\d+)/"', second) == [f"api-{n:02d}" for n in range(PER_PAGE, count)]
    assert f"{count + 1} API, triées par nom." in _text(site / "dataservices/index.html")  # and the fixture's api-bus
    assert 'href="/dataservices/page/2/" rel="next"' in first and 'href="/en/dataservices/" rel="prev"' in second
    # in the main menu of every page, current on its own pages
    assert '<a href="/en/dataservices/">APIs</a>' in (site / "en/index.html").read_text(encoding="utf-8")
    assert '<a href="/dataservices/" aria-current="page">API</a>' in first


def test_the_sitemap_lists_the_listing_and_each_api(site: Path) -> None:
    sitemap = (site / "sitemaps/1.xml").read_text(encoding="utf-8")
    base_url = "https://data.example.fr/"
    assert f"<loc>{base_url}dataservices/</loc>" in sitemap and f"<loc>{base_url}en/dataservices/</loc>" in sitemap
    entry = sitemap.split(f"<loc>{base_url}dataservices/api-parkings/</loc>")[1].split("</url>")[0]
    assert "<lastmod>2025-01-15</lastmod>" in entry
    assert f"<loc>{base_url}dataservices/wms-plui/</loc>\n    <lastmod>2023-02-01</lastmod>" in sitemap


# --- search -------------------------------------------------------------------------------------------------


def _filters(site: Path) -> dict[str, dict[str, dict[str, int]]]:
    """language -> facet -> value -> number of pages, read from the Pagefind bundle."""
    bundle = site / search.BUNDLE
    entry = json.loads((bundle / search.ENTRY).read_text(encoding="utf-8"))
    found: dict[str, dict[str, dict[str, int]]] = {}
    for language, info in entry["languages"].items():
        meta = search._read(bundle / f"pagefind.{info['hash']}.pf_meta")
        facets = found[language] = {}
        for _, file_hash in meta[3]:
            name, values = search._read(bundle / "filter" / f"{file_hash}.pf_filter")
            facets[name] = {value: len(pages) for value, pages in values}
    return found


def test_the_search_index_tells_apis_from_datasets(site: Path) -> None:
    if not (site / search.BUNDLE).is_dir():  # pragma: no cover - pagefind is a test dependency
        pytest.skip("built without Pagefind")
    datasets = len(list(site.glob("datasets/*/index.html"))) - len(list(site.glob("datasets/r/index.html")))
    filters = _filters(site)
    assert filters["fr"]["type"] == {"API": 3, "Jeux de données": datasets}
    assert filters["en"]["type"] == {"APIs": 3, "Datasets": datasets}
    assert filters["fr"]["access"] == {"Accès ouvert": 2, "Accès restreint": 1}
    assert filters["en"]["access"] == {"Open access": 2, "Restricted access": 1}
    # the WMS of the PLUi is high-value data: counted in the existing facet, its categories too
    wms = (site / "en/dataservices/wms-plui/index.html").read_text(encoding="utf-8")
    assert 'data-pagefind-filter="hvd:All high-value data"' in wms and 'data-pagefind-filter="hvd:Land use"' in wms
    assert 'data-pagefind-filter="organization:Métropole de Val-de-Loire"' in wms
    listing = (site / "en/datasets/index.html").read_text(encoding="utf-8")
    assert '"type": "Type"' in listing and '"access": "Access"' in listing


# --- quality ------------------------------------------------------------------------------------------------


def _api(**fields) -> Dataservice:
    data = {
        "slug": "api",
        "owner": ("organization", "o"),
        "path": "organizations/o/dataservices/api.yaml",
        "title": "API",
        "description": "x" * 101,
        "base_api_url": "https://api.example.org/",
        "access_type": "open",
        "created": "2024-01-01",
        "endpoint_description": EndpointDescription("https://api.example.org/openapi.json", "openapi"),
        "documentation_url": "https://doc.example.org/",
        "availability": 99.0,
        "license": "etalab-2.0",
        "contact_point": {"name": "Données"},
        "datasets": ["d"],
    }
    return Dataservice(**{**data, **fields})


def _check(check_id: str, url: str, status: int | None) -> linkcheck.Check:
    return linkcheck.Check(check_id, url, status, error="" if status else "timeout")


def test_the_quality_criteria_of_an_api() -> None:
    good = dataservice_quality(_api(), {"d"})
    assert good.missing == [] and good.unknown == ["api_links_available"] and good.score == 1.0
    assert list(good.criteria) == list(API_CRITERIA)
    cases = {
        "api_description": _api(description="Court."),
        "api_endpoint_description": _api(endpoint_description=None),
        "api_documentation": _api(documentation_url=None),
        "api_license": _api(license=None),
        "api_contact_point": _api(contact_point=None),
        "api_availability": _api(availability=None),
        "api_access": _api(access_type="restricted"),
        "api_active": _api(archived=True),
    }
    for criterion, api in cases.items():
        assert dataservice_quality(api, {"d"}).missing == [criterion], criterion
    assert dataservice_quality(_api(), set()).missing == ["api_datasets"]  # it serves only private datasets
    assert dataservice_quality(_api(access_type="open_with_account"), {"d"}).missing == ["api_access"]
    asked = _api(access_type="restricted", authorization_request_url="https://api.example.org/demande")
    assert dataservice_quality(asked, {"d"}).missing == []


def test_link_checks_of_an_api_are_a_criterion_and_anomalies() -> None:
    api = _api()
    links = linkcheck.dataservice_links(api)
    assert [i for i, _ in links] == [f"dataservice:api:{which}" for which in ("base", "endpoint", "documentation")]
    ok = {i: _check(i, url, 200) for i, url in links}
    assert dataservice_quality(api, {"d"}, ok).criteria["api_links_available"] is True
    assert linkcheck.dataservice_anomalies(api, ok) == []
    broken = {**ok, "dataservice:api:endpoint": _check("dataservice:api:endpoint", links[1][1], 404)}
    assert dataservice_quality(api, {"d"}, broken).criteria["api_links_available"] is False
    assert linkcheck.dataservice_anomalies(api, broken) == [("endpoint", "broken", {"status": 404, "error": ""})]
    stale = {**ok, "dataservice:api:base": _check("dataservice:api:base", "https://old.example.org/", 404)}
    assert dataservice_quality(api, {"d"}, stale).criteria["api_links_available"] is None  # checked elsewhere
    assert linkcheck.dataservice_anomalies(api, stale) == []


# --- dashboards ---------------------------------------------------------------------------------------------


def test_the_organization_dashboard_has_a_row_per_api_and_the_site_dashboard_counts_them(site: Path) -> None:
    page = site / "en" / MVL / "dashboard/index.html"
    source = page.read_text(encoding="utf-8")
    table = source.split('<table class="metrics dataservices">')[1].split("</table>")[0]
    rows = re.findall(r'<tr>\s*<th scope="row"><a href="/en/dataservices/([^/]+)/">', table)
    assert rows == ["api-parkings", "wms-plui"]
    wms = table.split("dataservices/wms-plui/")[1]
    assert "Open access" in wms and "78%" in wms
    assert "Missing: Documentation page" in _text(page) and "Missing: Contact point filled in" in _text(page)
    assert re.search(r"<strong>2</strong>\s*APIs", source)
    assert re.search(r"<strong>1</strong>\s*API with anomalies", source)
    total = (site / "en/dashboard/index.html").read_text(encoding="utf-8")
    assert re.search(r"<strong>3</strong>\s*APIs", total)
    assert re.search(r"<strong>2</strong>\s*APIs with anomalies", total)


# --- link checks against a real server ----------------------------------------------------------------------


def test_links_check_checks_the_urls_of_public_apis_and_the_site_shows_a_broken_one(
    portal: Path,
    server,  # noqa: F811 - the fixture imported from test_links_check
    runner,
    tmp_path: Path,
) -> None:
    root = base(server)
    (portal / VILLE / "dataservices/api-bus.yaml").unlink()  # its URLs are on hosts that do not resolve here
    _add_api(
        portal,
        "api-arrets",
        base_api_url=f"{root}/ok.csv",
        endpoint_description={"url": f"{root}/missing", "format": "openapi"},
        documentation_url=f"http://127.0.0.1:{closed_port()}/doc",
    )
    _add_api(portal, "api-privee", base_api_url=f"{root}/private-api", private=True)
    clock = lambda: dt.datetime(2026, 11, 3, 4, 5, 6, tzinfo=dt.UTC)  # noqa: E731
    checks = {c.resource: c for c in linkcheck.check(portal, clock=clock, **FAST)}
    assert ("GET", "/private-api") not in server.requests and ("HEAD", "/private-api") not in server.requests
    assert checks["dataservice:api-arrets:base"].status == 200
    assert checks["dataservice:api-arrets:endpoint"].status == 404
    assert checks["dataservice:api-arrets:documentation"].error.startswith("cannot connect")
    assert not any("api-privee" in check_id for check_id in checks)
    assert ("dataservice:api-arrets:endpoint" + f";{root}/missing;404;") in (portal / "links/checks.csv").read_text()

    build(portal, tmp_path / "site")
    page = tmp_path / "site" / "en/dataservices/api-arrets/index.html"
    assert "Broken link: Technical description (404 Not Found)" in _text(page)
    assert "Broken link: Documentation (the server could not be reached)" in _text(page)
    assert "Missing: All its addresses answer" in _text(page)
    board = tmp_path / "site" / "en" / VILLE / "dashboard/index.html"
    assert "Broken link: Technical description (404 Not Found)" in _text(board)
    # the broken links it counts: the resource's (no such host) and the API's two
    assert re.search(r"<strong>3</strong>\s*broken links", board.read_text(encoding="utf-8"))

    result = runner.invoke(main, ["links", "check", "--content", str(portal), "--retries", "0", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    assert "checked 1 resources: 0 available, 1 broken; 3 API URLs: 1 available, 2 broken" in result.output
