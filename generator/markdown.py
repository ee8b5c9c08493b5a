"""Markdown to safe HTML: markdown-it-py (CommonMark + tables + strikethrough), then nh3 (Ammonia).

Markdown in content is written by contributors and may carry raw HTML: everything rendered goes through
one nh3 allow-list. What survives: text formatting, headings, lists, tables, code, quotes, images and
links with http(s)/mailto URLs (relative links too). What never survives: ``<script>``, ``<style>``,
``<iframe>``, ``<svg>``, ``<object>``, forms, every ``on*`` event handler, ``style`` attributes, and
``javascript:``, ``data:`` or ``vbscript:`` URLs (whatever their case or entity encoding). Links to other
sites get ``rel="nofollow ugc noopener"``; headings are shifted down (``#`` becomes ``<h3>``) so content
never breaks the page's heading outline.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup", "table",
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
_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6"}

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _shift_headings(self, tokens, idx, options, env):  # markdown-it renderer rule signature
    token = tokens[idx]
    token.tag = _SHIFT.get(token.tag, token.tag)
    return self.renderToken(tokens, idx, options, env)


_md.add_render_rule("heading_open", _shift_headings)
_md.add_render_rule("heading_close", _shift_headings)


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
_HTML: dict[str, Markup] = {}
_WORDS: dict[str, str] = {}


def render(text: str | None) -> Markup:
    """Safe HTML for a Markdown ``text``, ready to insert in a template."""
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
        found = _WORDS[text] = html.unescape(" ".join(nh3.clean(str(render(text)), tags=set()).split()))
    return found


def plain(text: str | None, limit: int = 200) -> str:
    """A one-line text excerpt of Markdown (for cards and meta descriptions); HTML-free, not escaped."""
    found = words(text)
    return found if len(found) <= limit else found[: limit - 1].rsplit(" ", 1)[0] + "…"


def prerender(texts: list[str]) -> list[tuple[str, str]]:
    """``(html, words)`` of each text: the work a build hands to its pool before rendering pages."""
    return [(str(render(text)), words(text)) for text in texts]


def remember(texts: list[str], rendered: list[tuple[str, str]]) -> None:
    """Fill this process's cache with results of :func:`prerender` computed elsewhere."""
    for text, (html_text, text_words) in zip(texts, rendered, strict=True):
        _HTML[text] = Markup(html_text)
        _WORDS[text] = text_words
