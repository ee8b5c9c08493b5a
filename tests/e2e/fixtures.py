"""Fixtures of the browser tests, imported by each ``tests/test_browser_*.py`` module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import add_activity

from generator.build import build

from .harness import CHROMIUM, CHROMIUM_ARGS, PROJECT, missing_browser, serve

__all__ = ["browser", "built_site", "page", "site_url"]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example portal (``content/``) with six months of audience and a link check, built once per module."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(PROJECT / "content", root / "content")
    add_activity(root / "content")
    out = root / "site"
    build(root / "content", out, base_url="http://127.0.0.1/")
    return out


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page at desktop width; requests leaving 127.0.0.1 are answered by a stub (closed network)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.route(lambda url: not url.startswith("http://127.0.0.1"), _external)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _external(route) -> None:
    route.fulfill(status=200, content_type="text/plain", body=f"external file: {route.request.url}")
