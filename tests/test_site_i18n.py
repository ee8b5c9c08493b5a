"""What readers read: plural forms of every count, every interface string translated, no exception text,
link-check outcomes in words, zones by name."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PROJECT
from site_helpers import RAW_LINK_ERRORS, add_activity

from generator import i18n, linkcheck
from generator.build import build
from generator.render import LICENSE_WORDS
from generator.vocabularies import LICENSES

ORG = "organizations/ville-exemple"
NBSP = "\u202f"  # French groups thousands with a narrow no-break space


class Texts(HTMLParser):
    """The text nodes of a page a reader sees (scripts and styles left out), whitespace-normalized."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def texts_of(page: Path) -> list[str]:
    parser = Texts()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.texts


def stats(page: Path) -> list[tuple[str, str]]:
    """Every ``<strong>count</strong> words`` of a page's lists of figures, as (count, words)."""
    raw = page.read_text(encoding="utf-8")
    found = re.findall(r"<li>(?:<a [^>]*>)?<strong>([^<]+)</strong> ([^<]+?)\s*(?:</a>)?</li>", raw)
    return [(html.unescape(n), html.unescape(words)) for n, words in found]


def plural_forms(language: str) -> dict[str, tuple[str, str]]:
    """Every plural message of the catalog of ``language``: each translated form -> (singular, plural)."""
    forms = {}
    for message in i18n.read_catalog(language):
        if message.pluralizable and message.id:
            for form in message.string:
                forms[form] = message.id
    return forms


def count_of(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


# ---------------------------------------------------------------------------------------------- plurals


@pytest.mark.parametrize("n", [0, 1, 2, 1000])
def test_every_count_takes_the_plural_form_of_its_number(portal: Path, tmp_path: Path, n: int) -> None:
    """Views and downloads are ``n``; every figure of the dashboards and the home page agrees with its number."""
    resource = "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40"
    (portal / "metrics").mkdir()
    (portal / "metrics/2024-03.csv").write_text(
        f"kind;id;views;downloads\ndataset;arrets-de-bus;{n};0\nresource;{resource};0;{n}\n", encoding="utf-8"
    )
    out = tmp_path / "site"
    build(portal, out)
    expected = {
        ("fr", 0): ("0 page vue", "0 téléchargement"),
        ("fr", 1): ("1 page vue", "1 téléchargement"),
        ("fr", 2): ("2 pages vues", "2 téléchargements"),
        ("fr", 1000): (f"1{NBSP}000 pages vues", f"1{NBSP}000 téléchargements"),
        ("en", 0): ("0 page views", "0 downloads"),
        ("en", 1): ("1 page view", "1 download"),
        ("en", 2): ("2 page views", "2 downloads"),
        ("en", 1000): ("1,000 page views", "1,000 downloads"),
    }
    for language, prefix in (("fr", ""), ("en", "en/")):
        translations = i18n.translations(language)
        forms = plural_forms(language)
        for page in (f"{ORG}/dashboard/index.html", "dashboard/index.html", "index.html"):
            figures = stats(out / prefix / page)
            assert figures, page
            shown = {f"{count} {words}" for count, words in figures}
            if "dashboard" in page:
                assert set(expected[language, n]) <= shown, (language, page, shown)
            for count, words in figures:
                assert words in forms, f"{language} {page}: '{count} {words}' is not a plural message"
                singular, plural = forms[words]
                assert words == translations.ngettext(singular, plural, count_of(count)), (language, count, words)


def test_no_template_shows_a_number_beside_a_singular_message() -> None:
    """A count followed by ``_("...")`` instead of ``ngettext`` (how "1 membres" came to be)."""
    theme = PROJECT / "themes" / "default"
    for template in theme.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"dm\.stat\([^,]+, _\(", text), template.name
        assert not re.search(r"\|\s*number\s*\}\}(</strong>)?\s*\{\{\s*_\(", text), template.name


# ------------------------------------------------------------------------------- untranslated, raw text


def _untranslated_patterns() -> list[tuple[str, re.Pattern]]:
    """Each English message whose French differs, as a pattern matching a whole text node that shows it."""
    patterns = []
    for message in i18n.read_catalog("fr"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            parts = re.split(r"%\(\w+\)s", msgid.replace("%%", "%"))
            patterns.append((msgid, re.compile(".+?".join(re.escape(re.sub(r"\s+", " ", p)) for p in parts))))
    return patterns


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example portal with audience figures and a link check holding every kind of failure."""
    root = tmp_path_factory.mktemp("example")
    content = root / "content"
    shutil.copytree(PROJECT / "content", content)
    add_activity(content)
    out = root / "site"
    build(content, out)
    return out


def test_french_pages_hold_no_english_message(example_site: Path) -> None:
    patterns = _untranslated_patterns()
    pages = [p for p in example_site.rglob("*.html") if p.relative_to(example_site).parts[0] != "en"]
    assert len(pages) > 100
    found = set()
    for page in pages:
        for text in texts_of(page):
            for msgid, pattern in patterns:
                if pattern.fullmatch(text):
                    found.add(f"{page.relative_to(example_site)}: {text!r} (msgid {msgid!r})")
    assert not found, "untranslated on French pages:\n" + "\n".join(sorted(found)[:40])


def test_no_page_shows_an_exception_text(example_site: Path) -> None:
    raw_text = re.compile(r"\[Errno|Traceback|\b[A-Z]\w+(Error|Exception)\b|cannot connect|^timeout$")
    found = []
    for page in example_site.rglob("*.html"):
        for text in texts_of(page):
            if raw_text.search(text) or any(error in text for error in RAW_LINK_ERRORS):
                found.append(f"{page.relative_to(example_site)}: {text!r}")
    assert not found, "\n".join(found[:40])


def test_link_check_outcomes_are_told_in_words(example_site: Path) -> None:
    dashboard = "organizations/ligeo-mobilites/dashboard/index.html"
    french, english = " ".join(texts_of(example_site / dashboard)), " ".join(texts_of(example_site / "en" / dashboard))
    for words in (
        "404 Not Found",
        "500 Internal Server Error",
        "le serveur est injoignable",
        "délai d’attente dépassé",
    ):
        assert words in french, words
    for words in ("404 Not Found", "the server could not be reached", "timed out", "the connection failed"):
        assert words in english, words


def test_license_labels_are_translated(portal: Path, tmp_path: Path) -> None:
    dataset = portal / ORG / "datasets/arrets-de-bus.yaml"
    dataset.write_text(dataset.read_text(encoding="utf-8").replace("license: etalab-2.0", "license: other"), "utf-8")
    out = tmp_path / "site"
    build(portal, out)
    for prefix, word in (("", "Autre"), ("en/", "Other")):
        page = out / prefix / "datasets/arrets-de-bus/index.html"
        assert word in texts_of(page)
        assert f'data-pagefind-filter="license:{word}"' in page.read_text(encoding="utf-8")  # the search facet too
        assert word in texts_of(out / prefix / "datasets/index.html")  # the dataset's card


def test_the_license_words_are_the_vocabulary_titles() -> None:
    """render.LICENSE_WORDS marks titles for the catalogs: a title renamed in vocabularies would lose its French."""
    titles = {lic.title for lic in LICENSES.values()}
    assert set(LICENSE_WORDS) <= titles
    assert {t for t in titles if t.startswith(("Other", "License"))} == set(LICENSE_WORDS)


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (404, "", ("http", "404 Not Found")),
        (599, "", ("http", "599")),
        (None, "timeout", ("timeout", "")),
        (None, "cannot connect: [Errno -2] Name or service not known", ("unreachable", "")),
        (None, "more than 10 redirects", ("redirects", "")),
        (None, "unsupported URL", ("unsupported", "")),
        (None, "RemoteProtocolError: Server disconnected without sending a response.", ("failed", "")),
    ],
)
def test_link_check_problems(status: int | None, error: str, code: tuple[str, str]) -> None:
    assert linkcheck.problem(status, error) == code


def test_a_refused_connection_is_unreachable() -> None:
    """A real check of a closed port on 127.0.0.1 (nothing listens on the discard port)."""
    outcome = linkcheck.check_urls(["http://127.0.0.1:9/file.csv"], retries=0, timeout=2)["http://127.0.0.1:9/file.csv"]
    assert linkcheck.problem(outcome.status, outcome.error) == ("unreachable", "")


# ------------------------------------------------------------------------------------------------- zones


def test_zones_are_shown_by_name_and_exported_as_codes(portal: Path, tmp_path: Path) -> None:
    dataset = portal / ORG / "datasets/arrets-de-bus.yaml"
    text = dataset.read_text(encoding="utf-8")
    dataset.write_text(text.replace('["fr:commune:99999"]', '["fr:commune:45234", "fr:commune:99999"]'), "utf-8")
    (portal / "zones.yaml").write_text(
        "zones:\n  - code: fr:commune:45234\n    name: Orléans\n"
        "    geometry: {type: Point, coordinates: [1.9093, 47.9030]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build(portal, out)
    for prefix in ("", "en/"):
        raw = (out / prefix / "datasets/arrets-de-bus/index.html").read_text(encoding="utf-8")
        assert "<dd>Orléans, <code>fr:commune:99999</code>" in raw  # an unknown code stays a code
    catalog = (out / "catalog.ttl").read_text(encoding="utf-8")
    assert '"fr:commune:45234"' in catalog and "Orléans" not in catalog
    # a renamed zone shows on the next (incremental) build
    (portal / "zones.yaml").write_text("zones:\n  - code: fr:commune:45234\n    name: Orléans (Loiret)\n", "utf-8")
    build(portal, out)
    assert "<dd>Orléans (Loiret), <code>" in (out / "datasets/arrets-de-bus/index.html").read_text(encoding="utf-8")
