"""Hostile text in every field: Markdown is sanitized, plain text is escaped, nothing runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from site_helpers import Tags, tags_of

from generator.build import build
from generator.markdown import outline, render

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<iframe src=https://evil.example/></iframe>",
    "<svg onload=alert(1)>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<object data=x></object><embed src=x>",
    '"><script>alert(1)</script>',
    "<style>body{display:none}</style><form action=x><input></form>",
    "![x](javascript:alert(1))",
    '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
]
ALL = "\n\n".join(PAYLOADS)
FORBIDDEN_TAGS = {"script", "iframe", "svg", "object", "embed", "form", "style", "input"}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def assert_harmless(site: Path) -> None:
    for file in sorted(site.rglob("*.html")):
        for tag, attrs in tags_of(file):
            where = f"{file.relative_to(site)}: <{tag} {attrs}>"
            if tag == "script":  # schema.org JSON-LD (checked in test_export_files.py), the theme's search script
                allowed = ({"type": "application/ld+json"}, {"type": "module", "src": "/static/search.js"})
                assert attrs in allowed, where
                continue
            assert tag not in FORBIDDEN_TAGS - {"form", "input"}, where  # the theme's own search form
            if tag == "form":
                assert attrs.get("action") == "/datasets/" or attrs.get("action") == "/en/datasets/", where
            for name, value in attrs.items():
                assert not name.startswith("on"), where
                is_url = name in ("href", "src", "action") or (name == "content" and "http-equiv" in attrs)
                if is_url and value:
                    lowered = value.replace(" ", "").lower()
                    assert "javascript:" not in lowered and "data:" not in lowered, where


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_payload_is_neutralized(payload: str) -> None:
    parser = Tags()
    parser.feed(str(render(payload, 2)))
    for tag, attrs in parser.tags:
        assert tag not in FORBIDDEN_TAGS, (payload, tag)
        assert not any(name.startswith("on") for name in attrs), (payload, attrs)
        for value in (attrs.get("href"), attrs.get("src")):
            assert not value or value.startswith(("https://", "x")), (payload, value)


def test_external_links_get_rel() -> None:
    assert 'rel="nofollow ugc noopener"' in str(render("[a](https://example.org/)", 2))


def test_markdown_headings_are_shifted_under_the_page_outline() -> None:
    assert str(render("# Titre", 2)).startswith("<h3>")
    assert str(render("#### Titre\n\n##### Sous-titre", 2)) == "<h3>Titre</h3>\n<h4>Sous-titre</h4>\n"
    assert str(render("## A\n\n<h1>raw</h1>", 1)) == "<h2>A</h2>\n<h2>raw</h2>"
    assert str(render("###### deep", 1)).startswith("<h2>")
    assert "<h" not in str(render("`<h1>` in code\n\n    <h2>indented</h2>", 2)).replace("&lt;h", "")


@pytest.mark.parametrize(
    ("levels", "section", "fitted"),
    [
        ([4], 1, [2]),  # the case: #### right under the page's h1
        ([4, 5, 4], 2, [3, 4, 3]),
        ([1, 3, 2], 2, [3, 4, 4]),  # no skip from h3 to h5
        ([3, 1], 2, [3, 3]),  # nothing above the section's child level
        ([1, 2, 3, 4, 5, 6], 3, [4, 5, 6, 6, 6, 6]),  # capped at h6
        ([2], 6, [6]),
        ([], 2, []),
    ],
)
def test_outline_of_markdown_headings(levels: list[int], section: int, fitted: list[int]) -> None:
    assert outline(levels, section) == fitted


def test_payloads_in_every_field_are_harmless(portal: Path, tmp_path: Path) -> None:
    org = portal / "organizations" / "ville-exemple"
    (org / "organization.yaml").write_text(
        f"name: {_q(ALL)}\nacronym: {_q(PAYLOADS[1])}\ndescription: {_q(ALL)}\ncreated: 2020-01-15\n"
        "contact_point:\n  name: " + _q(PAYLOADS[0]) + "\n"
        "members:\n  - user: marie\n    role: admin\n    since: 2020-01-15\n"
        "  - user: paul\n    role: editor\n    since: 2021-06-01\n"
    )
    (portal / "users" / "paul.yaml").write_text(
        f"name: {_q(PAYLOADS[5])}\nemails: [paul@example.org]\nabout: {_q(ALL)}\n"
    )
    (org / "datasets" / "arrets-de-bus.yaml").write_text(
        f"title: {_q(ALL)}\nacronym: {_q(PAYLOADS[0])}\ndescription: {_q(ALL)}\nlicense: etalab-2.0\n"
        "created: 2020-02-01\nlast_modified: 2024-03-01\ntags: [transport]\nresources:\n"
        "  - id: res-xss\n"
        f"    title: {_q(ALL)}\n"
        f"    description: {_q(ALL)}\n"
        '    url: "https://evil.example/a\\"><script>alert(1)</script>?x=1&y=\'2\'"\n'
        "    type: main\n    format: csv\n"
    )
    (org / "reuses" / "carte-des-arrets.yaml").write_text(
        f"title: {_q(ALL)}\ndescription: {_q(ALL)}\nurl: https://carte.example.org/\ntype: visualization\n"
        "created: 2021-01-01\ndatasets: [arrets-de-bus]\n"
    )
    (org / "discussions" / "arret-manquant.yaml").write_text(
        f"subject: arrets-de-bus\ntitle: {_q(ALL)}\nmessages:\n"
        f"  - author: paul\n    posted: 2024-04-01T09:00:00+02:00\n    content: {_q(ALL)}\n"
    )
    site = portal / "site.yaml"
    site.write_text(site.read_text().replace("title: Portail minimal", f"title: {_q(ALL)}"))
    out = tmp_path / "site"
    build(portal, out)
    assert_harmless(out)
    page = (out / "datasets" / "arrets-de-bus" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # plain fields are shown, escaped
    redirect = (out / "datasets" / "r" / "res-xss" / "index.html").read_text()
    assert "<script" not in redirect
    escaped = "https://evil.example/a&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;?x=1&amp;y=&#39;2&#39;"
    assert f'content="0; url={escaped}"' in redirect and f'href="{escaped}"' in redirect
