"""``sitemap.xml`` (a sitemap index) with ``hreflang`` alternates, and ``robots.txt`` pointing at it.

Sitemaps hold at most 50,000 URLs each, so ``sitemap.xml`` is always an index of ``sitemaps/<n>.xml`` files of
at most :data:`PER_FILE` URLs. Every page listed exists in each site language; each language version is its own
``<url>`` with ``xhtml:link rel="alternate" hreflang`` to all of them (Google's recommended form). Listed:
home, the four listings, every dataset, API, organization, reuse and user page; ``lastmod`` is a dataset's
``last_modified`` (an API's ``last_modified`` or ``created``; the newest of its datasets' for an organization).
Pagination pages, dashboards and resource redirects are left out. ``robots.txt`` is only read by crawlers at a
host's root: with a sub-path base URL, copy its ``Sitemap:`` line into the host's own robots.txt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

PER_FILE = 10_000  # URLs per sitemap file (the protocol's limit is 50,000 and 50 MB)


def pages(index: Any) -> Iterator[tuple[str, str | None]]:
    """``(page path, lastmod or None)`` for every page the sitemap lists."""
    yield "", (index.reference_date.isoformat() if index.reference_date else None)
    yield "datasets/", None
    yield "organizations/", None
    yield "reuses/", None
    yield "dataservices/", None
    for d in index.datasets:
        yield f"datasets/{d.slug}/", d.last_modified[:10]
    for api in index.dataservices:
        yield f"dataservices/{api.slug}/", api.changed[:10]
    for org in index.organizations:
        datasets = index.datasets_of.get(("organization", org.slug), [])
        yield f"organizations/{org.slug}/", max((d.last_modified[:10] for d in datasets), default=None)
    for reuse in index.reuses:
        yield f"reuses/{reuse.slug}/", None
    for username in sorted(index.portal.users):
        yield f"users/{username}/", None


def _url_entries(index: Any, urls: Any) -> Iterator[str]:
    languages = urls.languages
    for path, lastmod in pages(index):
        alternates = "".join(
            f'    <xhtml:link rel="alternate" hreflang="{lang}" href="{escape(urls.absolute(path, lang))}"/>\n'
            for lang in languages
        ) if len(languages) > 1 else ""  # fmt: skip
        for lang in languages:
            entry = f"  <url>\n    <loc>{escape(urls.absolute(path, lang))}</loc>\n"
            if lastmod:
                entry += f"    <lastmod>{lastmod}</lastmod>\n"
            yield entry + alternates + "  </url>\n"


def files(index: Any, urls: Any) -> Iterator[tuple[str, bytes]]:
    entries = list(_url_entries(index, urls))
    chunks = [entries[i : i + PER_FILE] for i in range(0, len(entries), PER_FILE)]
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    )
    index_entries = []
    for number, chunk in enumerate(chunks, start=1):
        name = f"sitemaps/{number}.xml"
        yield name, (head + "".join(chunk) + "</urlset>\n").encode("utf-8")
        index_entries.append(f"  <sitemap><loc>{escape(urls.base_url + name)}</loc></sitemap>\n")
    yield (
        "sitemap.xml",
        (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(index_entries)
            + "</sitemapindex>\n"
        ).encode("utf-8"),
    )
    yield "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {urls.base_url}sitemap.xml\n".encode()
