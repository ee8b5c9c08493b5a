"""A real HTTP server on 127.0.0.1 for the harvester tests, and a portal with harvesters to point at it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".rdf": "application/rdf+xml",
    ".xml": "application/rdf+xml",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".nt": "application/n-triples",
}
# a route answers (status, body, media type) for the query string of a request
Route = Callable[[dict[str, list[str]]], tuple[int, bytes, str]]


class Server:
    """Serves files of ``roots`` (URL prefix -> folder) and ``routes`` (path -> function); counts requests."""

    def __init__(self) -> None:
        self.roots: dict[str, Path] = {}
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.user_agents: list[str] = []
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def answer(self, target: str, user_agent: str) -> tuple[int, bytes, str]:
        self.requests.append(target)
        self.user_agents.append(user_agent)
        parts = urlsplit(target)
        if parts.path in self.routes:
            return self.routes[parts.path](parse_qs(parts.query))
        for prefix, folder in self.roots.items():
            if parts.path.startswith(prefix):
                file = (folder / parts.path[len(prefix) :]).resolve()
                if file.is_file() and folder.resolve() in file.parents:
                    return 200, file.read_bytes(), MEDIA_TYPES.get(file.suffix, "application/octet-stream")
        return 404, b"not found", "text/plain"


@contextmanager
def serve() -> Iterator[Server]:
    server = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status, body, media_type = server.answer(self.path, self.headers.get("User-Agent", ""))
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (a form POST answers like a GET with the form as query)
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(length).decode("utf-8", "replace")
            self.path = f"{self.path}{'&' if '?' in self.path else '?'}{form}"
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def add_harvester(content: Path, org: str, name: str, **config: object) -> None:
    path = content / "organizations" / org / "harvesters" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


class Clock:
    """A clock that moves one second per reading, from a fixed start."""

    def __init__(self, start: str = "2026-11-28T10:00:00+00:00") -> None:
        self.now = dt.datetime.fromisoformat(start)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def datasets_of(content: Path, org: str, folder: str = "datasets") -> dict[str, dict]:
    """Every dataset file of an organization, by slug (dates kept as text)."""
    found = {}
    for path in sorted((content / "organizations" / org / folder).glob("*.yaml")):
        found[path.stem] = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
    return found


def dataservices_of(content: Path, org: str) -> dict[str, dict]:
    """Every API file of an organization, by slug (dates kept as text)."""
    return datasets_of(content, org, "dataservices")


class _TextDates(yaml.SafeLoader):
    pass


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime, to prove that a run wrote nothing."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }
