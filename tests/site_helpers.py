"""Helpers of the site tests: parse built HTML, crawl links, compare folders."""

from __future__ import annotations

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
