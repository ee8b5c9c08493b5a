"""Markdown to safe HTML: markdown-it-py (CommonMark + tables + strikethrough), then nh3 (Ammonia).

Markdown in content is written by contributors and may carry raw HTML: everything rendered goes through
one nh3 allow-list. What survives: text formatting, headings, lists, tables, code, quotes, images and
links with http(s)/mailto URLs (relative links too). What never survives: ``<script>``, ``<style>``,
``<iframe>``, ``<svg>``, ``<object>``, forms, every ``on*`` event handler, ``style`` attributes, and
``javascript:``, ``data:`` or ``vbscript:`` URLs (whatever their case or entity encoding). Links to other
sites get ``rel="nofollow ugc noopener"``.

Headings are fitted under the section they appear in (:func:`fit_headings`): a description whose first
heading is ``####``, shown under an ``<h2>``, starts at ``<h3>``, and never skips a level on the way down,
so that whatever Markdown a contributor writes the page keeps a coherent outline (RGAA 9.1, and the Nu
HTML Checker's "heading follows heading, skipping levels").
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# nh3's output writes a heading's tags exactly so (it keeps no attribute on them); code is escaped in it
_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def outline(levels: list[int], section: int) -> list[int]:
    """The levels that headings ``levels`` (in document order) take under a heading of level ``section``.

    The top heading becomes ``section + 1`` and the others keep their distance to it, except that none is
    more than one level below the heading before it (``#`` then ``###`` becomes h3 then h4 under an h2) nor
    above ``section + 1``; ``h6`` is the floor HTML has.
    """
    if not levels:
        return []
    top, previous, fitted = min(levels), section, []
    for level in levels:
        wanted = section + 1 + level - top
        previous = min(6, max(section + 1, min(wanted, previous + 1)))
        fitted.append(previous)
    return fitted


def fit_headings(html_text: str, section: int) -> str:
    """Sanitized ``html_text`` with its headings moved under a heading of level ``section`` (see :func:`outline`)."""
    tags = list(_HEADING_TAG.finditer(html_text))
    levels = iter(outline([int(tag[2]) for tag in tags if not tag[1]], section))
    parts, start, current = [], 0, 0
    for tag in tags:
        if not tag[1]:
            current = next(levels)
        parts += [html_text[start : tag.start()], f"<{tag[1]}h{current}>"]
        start = tag.end()
    parts.append(html_text[start:])
    return "".join(parts)


def sanitize(html: str) -> str:
    """``html`` with everything outside the allow-list removed (see the module docstring)."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


# One cache per process, keyed by the Markdown text: a text shows on several pages (its page, cards in
# listings, every translation), and parsing is the build's most expensive step. The build fills it for the
# whole portal before forking its workers (:func:`prerender` / :func:`remember`), so no worker parses a text
# another one already parsed. Unbounded on purpose: at 50,000 datasets it holds ~300 MB.
# The cache keeps the headings as written; fitting them under a section is a cheap pass done per call.
_HTML: dict[str, Markup] = {}
_WORDS: dict[str, str] = {}


def render(text: str | None, section: int = 2) -> Markup:
    """Safe HTML for a Markdown ``text``, shown under a heading of level ``section``, ready for a template.

    Templates say the level (``{{ text | markdown(2) }}``); the default serves a portal's own templates
    written before the level existed, where a text sits under an ``<h2>`` as the stock ones mostly do.
    """
    found = _sanitized(text)
    return Markup(fit_headings(found, section)) if "<h" in found else found


def _sanitized(text: str | None) -> Markup:
    if not text:
        return Markup("")
    found = _HTML.get(text)
    if found is None:
        found = _HTML[text] = Markup(sanitize(_md.render(text)))
    return found


def words(text: str | None) -> str:
    """The whole text of a Markdown ``text`` on one line, HTML-free and unescaped."""
    if not text:
        return ""
    found = _WORDS.get(text)
    if found is None:
        found = _WORDS[text] = html.unescape(" ".join(nh3.clean(str(_sanitized(text)), tags=set()).split()))
    return found


def plain(text: str | None, limit: int = 200) -> str:
    """A one-line text excerpt of Markdown (for cards and meta descriptions); HTML-free, not escaped."""
    found = words(text)
    return found if len(found) <= limit else found[: limit - 1].rsplit(" ", 1)[0] + "…"


def prerender(texts: list[str]) -> list[tuple[str, str]]:
    """``(html, words)`` of each text: the work a build hands to its pool before rendering pages."""
    return [(str(_sanitized(text)), words(text)) for text in texts]


def remember(texts: list[str], rendered: list[tuple[str, str]]) -> None:
    """Fill this process's cache with results of :func:`prerender` computed elsewhere."""
    for text, (html_text, text_words) in zip(texts, rendered, strict=True):
        _HTML[text] = Markup(html_text)
        _WORDS[text] = text_words
