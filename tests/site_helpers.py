"""Helpers of the site tests: parse built HTML, crawl links, compare folders."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class Tags(HTMLParser):
    """Every start tag of a document, as (tag, {attribute: value})."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(path: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def page_url(site: Path, file: Path, base_url: str) -> str:
    rel = file.relative_to(site).as_posix()
    if rel.endswith("index.html"):
        rel = rel[: -len("index.html")]
    return base_url + rel


def resolve(site: Path, base_url: str, url: str) -> Path | None:
    """The file an internal URL serves, or None when the URL leaves the site's base."""
    base_path = urlsplit(base_url).path
    path = unquote(urlsplit(url).path)
    if not path.startswith(base_path):
        return None
    target = site / path[len(base_path) :]
    return target / "index.html" if path.endswith("/") else target


def broken_links(site: Path, base_url: str) -> list[str]:
    """Every internal href/src of every page that does not resolve to a file of ``site``."""
    host = urlsplit(base_url).netloc
    broken = []
    for file in sorted(site.rglob("*.html")):
        if "/datasets/r/" in f"/{file.relative_to(site).as_posix()}":
            continue  # resource redirects point at the resources themselves, not at the site
        here = page_url(site, file, base_url)
        for tag, attrs in tags_of(file):
            for name in ("href", "src"):
                value = attrs.get(name)
                if not value or tag == "a" and value.startswith(("mailto:", "#")):
                    continue
                absolute = urljoin(here, value)
                parts = urlsplit(absolute)
                if parts.scheme not in ("http", "https") or parts.netloc != host:
                    continue
                target = resolve(site, base_url, absolute)
                if target is None or not target.is_file():
                    broken.append(f"{file.relative_to(site)}: {value}")
    return broken


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# What a link check of the example portal could find, as ``links check`` writes it: the raw ``error`` texts
# (httpx's) stay in checks.csv for maintainers; pages must show none of them.
RAW_LINK_ERRORS = (
    "cannot connect: [Errno -2] Name or service not known",
    "timeout",
    "RemoteProtocolError: Server disconnected without sending a response.",
)


def add_activity(content: Path, org: str = "ligeo-mobilites") -> None:
    """Give a portal six months of audience (an access log, ingested for real) and a link check of ``org``'s
    resources with every kind of outcome, so that dashboards show figures, charts and broken links."""
    from generator import linkcheck, metrics
    from generator.portal import load_portal

    portal, _ = load_portal(content)
    datasets = sorted((d for d in portal.datasets.values() if not d.private), key=lambda d: d.slug)
    lines = []
    for month in range(6):
        day = (
            dt.datetime(2024, 9 + month, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
            if month < 4
            else dt.datetime(2025, month - 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        )
        for rank, dataset in enumerate(datasets):
            for visit in range((rank * 7 + month * 5) % 23 + (month + 1) * 2):
                stamp = (day + dt.timedelta(minutes=visit)).strftime("%d/%b/%Y:%H:%M:%S %z")
                client = f"10.{month}.{rank}.{visit}"
                lines.append(
                    f'{client} - - [{stamp}] "GET /datasets/{dataset.slug}/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0"'
                )
                if visit % 3 == 0 and dataset.resources:
                    rid = dataset.resources[0].id
                    lines.append(f'{client} - - [{stamp}] "GET /datasets/r/{rid}/ HTTP/1.1" 200 512 "-" "Mozilla/5.0"')
    log = content.parent / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metrics.ingest(content, [log])
    resources = sorted((r.id, r.url) for d in datasets if d.owner == ("organization", org) for r in d.resources)
    outcomes = [
        (200, ""),
        (404, ""),
        (None, RAW_LINK_ERRORS[0]),
        (None, RAW_LINK_ERRORS[1]),
        (500, ""),
        (None, RAW_LINK_ERRORS[2]),
    ]
    checks = [
        linkcheck.Check(rid, url, status, url if status else "", "", "", None, "2025-02-20T08:00:00Z", error)
        for (rid, url), (status, error) in zip(resources, outcomes + [(200, "")] * len(resources), strict=False)
    ]
    linkcheck.write(content / linkcheck.CHECKS_FILE, checks)
