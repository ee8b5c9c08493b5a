"""The search of a portal whose index is in shards, in a real browser: the same answers as the one bundle.

The example portal is built twice: with its one bundle, and in 8 shards (``PORTAL_SEARCH_SHARD_SIZE=3``).
For words, facets alone, words with a facet, in both languages, the sharded site must find the same
datasets, count them the same, and offer the same facet values with the same counts as the single bundle.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from e2e.fixtures import *  # noqa: F403 - the fixtures browser, page
from e2e.harness import PROJECT, serve

from generator import search
from generator.build import build

pytestmark = pytest.mark.browser

SHARDS = 8


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URLs of the example portal built with one bundle ("single") and in shards ("sharded")."""
    root = tmp_path_factory.mktemp("shards")
    shutil.copytree(PROJECT / "content", root / "content")
    build(root / "content", root / "single", base_url="http://127.0.0.1/")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
        build(root / "content", root / "sharded", base_url="http://127.0.0.1/")
    assert len(list((root / "sharded" / search.BUNDLE).glob(f"{SHARDS}-*"))) == SHARDS
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve(root / name)) for name in ("single", "sharded")}


def _answer(page, url: str) -> dict:
    """What a reader sees: the count, every result (More results clicked through), the facets and counts."""
    page.goto(url)
    page.wait_for_selector("#search-app[data-ready=true]", state="attached")
    while page.locator("#search-more").count():
        shown = page.locator("#search-results > li").count()
        page.locator("#search-more").click()
        page.wait_for_function(f"document.querySelectorAll('#search-results > li').length > {shown}")
    links = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    facets = page.locator("#search-facets fieldset label").all_inner_texts()
    return {"status": page.locator("#search-status").inner_text(), "links": links, "facets": sorted(facets)}


QUERIES = [
    "datasets/?q=tramway",
    "en/datasets/?q=tramway",
    "en/datasets/?q=budget",
    "datasets/?format=CSV",
    "en/datasets/?q=budget&organization=M%C3%A9tropole+de+Val-de-Loire",
    "en/datasets/?hvd=All+high-value+data",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_shards_answer_as_the_one_bundle(page, sites: dict[str, str], query: str) -> None:
    single = _answer(page, sites["single"] + query)
    sharded = _answer(page, sites["sharded"] + query)
    assert single["links"], f"the example portal has results for {query}: {single['status']}"
    assert sharded["status"] == single["status"]
    assert sorted(sharded["links"]) == sorted(single["links"])
    assert sharded["facets"] == single["facets"]
    language = "en/" if query.startswith("en/") else ""
    assert all(link.startswith((f"/{language}datasets/", f"/{language}dataservices/")) for link in sharded["links"])
    if "hvd=" in query:  # an API is in its shard as a dataset is: the example's high-value WMS is found
        assert f"/{language}dataservices/wms-plui/" in sharded["links"]


def test_the_results_come_from_several_shards_and_the_best_first(page, sites: dict[str, str]) -> None:
    answer = _answer(page, sites["sharded"] + "datasets/?format=CSV")
    slugs = [re.sub(r"^/datasets/([^/]+)/$", r"\1", link) for link in answer["links"]]
    assert len({search.shard_of(slug, SHARDS) for slug in slugs}) > 1  # merged: not the first shard's alone
    # relevance across shards: the dataset named after the words comes first, wherever its shard is
    assert _answer(page, sites["sharded"] + "datasets/?q=gtfs")["links"][0] == "/datasets/gtfs-reseau-ligeo/"
    assert _answer(page, sites["single"] + "datasets/?q=gtfs")["links"][0] == "/datasets/gtfs-reseau-ligeo/"


def test_a_word_a_shard_lacks_loosens_that_shard_only_and_ranks_below(page, sites: dict[str, str]) -> None:
    """Pagefind ignores a word its index lacks (or takes its longest prefix it has) rather than find nothing.
    A shard that lacks "potable" answers "eau" alone: more results than the one bundle's, but those that
    hold both words come first, as the one bundle ranks them."""
    single = _answer(page, sites["single"] + "datasets/?q=eau+potable")
    sharded = _answer(page, sites["sharded"] + "datasets/?q=eau+potable")
    assert single["links"] and len(sharded["links"]) >= len(single["links"])
    assert sorted(sharded["links"][: len(single["links"])]) == sorted(single["links"])
