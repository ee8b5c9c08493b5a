"""The built example portal in a real browser (Debian's Chromium through Playwright).

A reader's journey (search, filter, dataset, download, language, dashboard), the keyboard alone, the page
without JavaScript, axe-core's WCAG 2.1 AA rules on every kind of page in both languages, and screenshots
at desktop and mobile widths in ``tests/_screenshots/`` for a person to look at. Skips when Chromium or
Playwright is missing (see docs/browser.md).
"""

from __future__ import annotations

import re

import pytest
from e2e.fixtures import *  # noqa: F403 - the fixtures browser, page, site_url
from e2e.harness import SCREENSHOTS, axe_violations, describe_violations, missing_tools

pytestmark = pytest.mark.browser

ORG = "ligeo-mobilites"
ORG_NAME = "Ligéo Mobilités"
DATASET = "gtfs-reseau-ligeo"

# every kind of page (path in the default language, name of its screenshots)
PAGE_KINDS = [
    ("", "home"),
    ("datasets/", "datasets"),
    ("datasets/?q=tramway", "search"),
    (f"datasets/{DATASET}/", "dataset"),
    ("organizations/", "organizations"),
    (f"organizations/{ORG}/", "organization"),
    (f"organizations/{ORG}/dashboard/", "dashboard"),
    ("dashboard/", "site-dashboard"),
    ("reuses/", "reuses"),
    ("reuses/tableau-de-bord-frequentation-ligeo/", "reuse"),
    ("dataservices/", "dataservices"),
    ("dataservices/api-temps-reel-ligeo/", "dataservice"),
    ("users/karima-haddad/", "user"),
    ("404.html", "404"),
]


def wait_for_search(page) -> None:
    page.wait_for_selector("#search-app[data-ready=true]", state="attached")


def test_reader_journey(page, site_url: str) -> None:
    """Home → search by a word of a description → filter by organization → dataset → download → English."""
    page.goto(site_url)
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("searchbox", name="Rechercher des jeux de données").first.fill("tramway")
    page.get_by_role("searchbox", name="Rechercher des jeux de données").first.press("Enter")
    page.wait_for_url(re.compile(r"/datasets/\?q=tramway"))
    wait_for_search(page)
    results = page.locator("#search-results > li")
    assert results.count() >= 2, page.locator("#search-status").inner_text()
    assert "tramway" in page.locator("#search-results mark").first.inner_text().lower()
    assert page.locator("#dataset-listing").is_hidden()

    # filter by organization: fewer results, all from that organization, and the URL keeps the filter
    before = results.count()
    page.locator("#search-facets fieldset[data-facet=organization]").get_by_label(re.compile(ORG_NAME)).check()
    page.wait_for_url(re.compile(r"organization="))
    page.wait_for_function(f"document.querySelectorAll('#search-results > li').length < {before}")
    metas = page.locator("#search-results .card-meta").all_inner_texts()
    assert metas and all(m.endswith(f" · {ORG_NAME}") for m in metas)  # the kind (dataset or API), the producer
    assert re.search(r"\d+ résultats? trouvés?", page.locator("#search-status").inner_text())

    # open the GTFS dataset from the results
    page.locator("#search-results a", has_text="GTFS").first.click()
    page.wait_for_url(re.compile(f"/datasets/{DATASET}/$"))
    assert "GTFS" in page.locator("h1").inner_text()

    # follow a resource's download link: the redirect page sends the browser to the file itself
    link = page.locator("table.resources a.button").first
    link.click()
    page.wait_for_url(re.compile(r"^https?://(?!127\.0\.0\.1)"))
    assert "external file:" in page.content()

    # back on the dataset, switch to English
    page.goto(f"{site_url}datasets/{DATASET}/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(f"/en/datasets/{DATASET}/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Resources").count() == 1


def test_search_in_english_uses_the_english_index(page, site_url: str) -> None:
    page.goto(f"{site_url}en/datasets/?q=tramway")
    wait_for_search(page)
    assert re.search(r"\d+ results? found", page.locator("#search-status").inner_text())
    hrefs = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("/en/datasets/") for h in hrefs)
    assert page.locator("#search-facets legend", has_text="Producer").count() == 1


def test_filters_alone_list_datasets(page, site_url: str) -> None:
    page.goto(f"{site_url}datasets/?format=GTFS")
    wait_for_search(page)
    titles = page.locator("#search-results a").all_inner_texts()
    assert any("GTFS" in t for t in titles)
    assert page.locator("#search-facets input[value=GTFS]").is_checked()


def test_the_high_value_facet_filters_by_eu_category(page, site_url: str) -> None:
    """The EU high-value datasets facet: all of them, then one theme, which includes its sub-categories."""
    page.goto(f"{site_url}en/datasets/")
    wait_for_search(page)
    facet = page.locator("#search-facets fieldset[data-facet=hvd]")
    assert facet.locator("legend").inner_text() == "High-value data (EU)"
    facet.get_by_label(re.compile("All high-value data")).check()
    page.wait_for_url(re.compile(r"hvd="))
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 5")  # 4 datasets, 1 API
    hrefs = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/en/dataservices/wms-plui/" in hrefs
    page.goto(f"{site_url}datasets/?hvd=Mobilit%C3%A9")
    wait_for_search(page)
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 1")
    assert "GTFS" in page.locator("#search-results a").first.inner_text()


def test_the_type_facet_tells_apis_from_datasets(page, site_url: str) -> None:
    """The APIs listing links to the search of APIs; the type and access facets narrow it."""
    page.goto(f"{site_url}en/dataservices/")
    page.get_by_role("link", name="Search the APIs").click()
    page.wait_for_url(re.compile(r"/en/datasets/\?type=APIs$"))
    wait_for_search(page)
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 3")
    hrefs = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == [f"/en/dataservices/{s}/" for s in ("api-parkings", "api-temps-reel-ligeo", "wms-plui")]
    assert all(m.startswith("API · ") for m in page.locator("#search-results .card-meta").all_inner_texts())
    assert page.locator("#search-facets fieldset[data-facet=type] legend").inner_text() == "Type"
    page.locator("#search-facets fieldset[data-facet=access]").get_by_label(re.compile("Restricted access")).check()
    page.wait_for_url(re.compile(r"access="))
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 1")
    assert "SIRI" in page.locator("#search-results a").first.inner_text()


def test_organization_dashboard(page, site_url: str) -> None:
    page.goto(f"{site_url}datasets/{DATASET}/")
    page.locator(".sidebar .owner a").click()
    page.wait_for_url(re.compile(f"/organizations/{ORG}/$"))
    page.get_by_role("link", name="Tableau de bord").first.click()
    page.wait_for_url(re.compile(f"/organizations/{ORG}/dashboard/$"))
    assert page.locator("h1").inner_text().startswith("Tableau de bord")
    charts = page.locator("svg.chart").all()
    assert len(charts) == 2  # page views and downloads per month: the example portal ships metrics
    for svg in charts:  # every chart has a text alternative (an SVG <title>: text_content, it has no inner_text)
        labelled = svg.get_attribute("aria-labelledby")
        assert svg.get_attribute("role") == "img" and labelled
        assert (page.locator(f"#{labelled}").text_content() or "").strip()


def test_keyboard_only(page, site_url: str) -> None:
    """Skip link, search, a result, the dataset's download button: Tab and Enter only, focus always visible."""
    page.goto(site_url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert _outline(page) != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    for _ in range(10):  # the home page's search field comes first in the main content
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "home-search":
            break
    assert page.evaluate("document.activeElement.id") == "home-search"
    page.keyboard.type("gtfs")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/datasets/\?q=gtfs"))
    wait_for_search(page)
    for _ in range(60):  # Tab through the form and the facets to the first result
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#search-results')"):
            break
    assert page.evaluate("!!document.activeElement.closest('#search-results')")
    assert _outline(page) != "none"
    # a facet checkbox toggles with the space bar and keeps the focus when the list is rebuilt
    page.focus("#search-facets input[type=checkbox]")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"&"))
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.goto(f"{site_url}datasets/?q=gtfs")
    wait_for_search(page)
    page.focus("#search-results a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/datasets/[a-z0-9-]+/$"))
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('table.resources a')"):
            break
    assert page.evaluate("document.activeElement.matches('table.resources a')")
    assert _outline(page) != "none"


def _outline(page) -> str:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle")


def test_without_javascript_the_search_is_the_plain_listing(browser, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url)
    page.locator("#home-search").fill("tramway")
    page.locator("#home-search").press("Enter")
    page.wait_for_url(re.compile(r"/datasets/\?q=tramway"))
    assert page.locator("#dataset-listing .card").count() == 20
    assert page.locator("#search-facets").is_hidden()
    context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_accessibility_violation_on_any_page(browser, site_url: str, lang: str) -> None:
    """axe-core, WCAG 2.1 A and AA, on every kind of page; screenshots at 1280 and 375 px on the way."""
    reason = missing_tools(axe=True)
    assert reason is None, reason
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = "" if lang == "fr" else "en/"
    failures = []
    for width, height, device in ((1280, 900, "desktop"), (375, 812, "mobile")):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        for path, name in PAGE_KINDS:
            url = site_url + prefix + path
            page.goto(url)
            if path.startswith("datasets/?"):
                wait_for_search(page)
            violations = axe_violations(page)
            if violations:
                failures.append(f"[{device}] " + describe_violations(url, violations))
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{device}.png"), full_page=True)
        context.close()
    assert not failures, "axe found WCAG 2.1 AA violations:\n" + "\n".join(failures)
