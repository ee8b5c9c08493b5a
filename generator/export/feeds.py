"""Atom feeds (RFC 4287) of new and of updated datasets, site-wide and per organization.

``feeds/new-datasets.atom`` lists the 50 most recently created datasets, ``feeds/updated-datasets.atom`` the
50 most recently modified; each organization has the same two under ``organizations/<org>/feeds/``. Nothing
comes from the clock: an entry's ``updated`` is the dataset's ``last_modified`` (``published``: ``created``),
a feed's ``updated`` is its newest entry's, so two builds write the same bytes. Dates without a time are
written as midnight UTC, as Atom requires a date-time. Entry ids are the dataset URIs of the DCAT export.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..markdown import plain
from ..model import Dataset
from .rdf import clean

FEED_SIZE = 50
TITLES = {
    "new": {"fr": "Nouveaux jeux de données", "en": "New datasets"},
    "updated": {"fr": "Jeux de données mis à jour", "en": "Updated datasets"},
}


def atom_date(value: str) -> str:
    """An RFC 3339 date-time: a date becomes midnight UTC."""
    return f"{value}T00:00:00Z" if len(value) == 10 else value


def _text(value: str) -> str:
    return escape(clean(value))


def _attr(value: str) -> str:
    return quoteattr(clean(value))


class Summaries(dict):
    """Plain-text excerpts of descriptions, each computed once per build (a dataset is in several feeds).

    Only the start of the Markdown is rendered: rendering costs about a microsecond per character."""

    def of(self, d: Dataset) -> str:
        text = self.get(d.slug)
        if text is None:
            text = self[d.slug] = _text(plain(d.description[:800], 300))
        return text


def feed(
    index: Any, urls: Any, kind: str, datasets: list[Dataset], path: str, title: str, page: str, summaries: Summaries
) -> bytes:
    """One feed: ``kind`` is ``new`` (by created) or ``updated`` (by last_modified)."""
    key = (lambda d: (d.created[:10], d.slug)) if kind == "new" else (lambda d: (d.last_modified, d.slug))
    entries = sorted(datasets, key=key, reverse=True)[:FEED_SIZE]
    base = urls.base_url
    newest = max((atom_date(d.last_modified) for d in entries), default=None)
    updated = newest or atom_date(index.reference_date.isoformat() if index.reference_date else "1970-01-01")
    lang = index.site.languages[0]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">\n',
        f"  <id>{_text(base + path)}</id>\n",
        f"  <title>{_text(title)}</title>\n",
        f"  <updated>{updated}</updated>\n",
        f'  <link rel="self" type="application/atom+xml" href={_attr(base + path)}/>\n',
        f'  <link rel="alternate" type="text/html" href={_attr(base + page)}/>\n',
        f"  <author><name>{_text(index.site.title)}</name><uri>{_text(base)}</uri></author>\n",
        "  <generator>portal</generator>\n",
    ]
    for d in entries:
        url = f"{base}datasets/{d.slug}/"
        owner = index.owner_name(d.owner)
        parts += [
            "  <entry>\n",
            f"    <id>{_text(url)}</id>\n",
            f"    <title>{_text(d.title)}</title>\n",
            f'    <link rel="alternate" type="text/html" href={_attr(url)}/>\n',
            f"    <published>{atom_date(d.created)}</published>\n",
            f"    <updated>{atom_date(d.last_modified)}</updated>\n",
            f"    <author><name>{_text(owner)}</name><uri>{_text(base + index.owner_path(d.owner))}</uri></author>\n",
            f"    <summary>{summaries.of(d)}</summary>\n",
            *(f"    <category term={_attr(tag)}/>\n" for tag in d.tags),
            "  </entry>\n",
        ]
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def site_files(index: Any, urls: Any, summaries: Summaries | None = None) -> Iterator[tuple[str, bytes]]:
    lang = index.site.languages[0]
    summaries = summaries or Summaries()
    for kind in ("new", "updated"):
        path = f"feeds/{kind}-datasets.atom"
        title = f"{TITLES[kind].get(lang, TITLES[kind]['en'])} · {index.site.title}"
        yield path, feed(index, urls, kind, index.datasets, path, title, "datasets/", summaries)


def organization_files(
    index: Any, urls: Any, org: Any, summaries: Summaries | None = None
) -> Iterator[tuple[str, bytes]]:
    lang = index.site.languages[0]
    summaries = summaries or Summaries()
    datasets = index.datasets_of.get(("organization", org.slug), [])
    for kind in ("new", "updated"):
        path = f"organizations/{org.slug}/feeds/{kind}-datasets.atom"
        title = f"{TITLES[kind].get(lang, TITLES[kind]['en'])} · {org.name}"
        yield path, feed(index, urls, kind, datasets, path, title, f"organizations/{org.slug}/", summaries)
