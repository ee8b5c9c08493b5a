"""``portal links check`` against real HTTP servers on 127.0.0.1: statuses, redirects, timeouts, limits."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generator import linkcheck
from generator.cli import dashboard as _registers_commands  # noqa: F401
from generator.cli import main
from generator.model import Dataset, Resource
from generator.quality import quality

FAST = dict(timeout=1.0, retries=0, backoff=0.01)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    routes: dict[str, tuple[int, dict[str, str], float]] = {
        "/ok.csv": (200, {"Content-Type": "text/csv; charset=utf-8", "Content-Length": "5"}, 0),
        "/moved": (301, {"Location": "/ok.csv", "Content-Length": "0"}, 0),
        "/found": (302, {"Location": "/ok.csv", "Content-Length": "0"}, 0),
        "/missing": (404, {"Content-Length": "0"}, 0),
        "/error": (500, {"Content-Length": "0"}, 0),
        "/timeout": (200, {"Content-Length": "0"}, 3.0),
        "/slow": (200, {"Content-Type": "application/json", "Content-Length": "2"}, 0.3),
        "/loop": (302, {"Location": "/loop", "Content-Length": "0"}, 0),
    }

    def log_message(self, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.open_connections += 1
            self.server.max_connections = max(self.server.max_connections, self.server.open_connections)

    def finish(self) -> None:
        with self.server.lock:
            self.server.open_connections -= 1
        super().finish()

    def respond(self, body: bool) -> None:
        self.server.requests.append((self.command, self.path))
        path = self.path
        if path == "/no-head" and self.command == "HEAD":
            status, headers, delay = 405, {"Content-Length": "0"}, 0
        elif path == "/no-head":
            status, headers, delay = 200, {"Content-Type": "text/plain", "Content-Length": "2"}, 0
        elif path == "/flaky":
            count = sum(1 for _, p in self.server.requests if p == "/flaky")
            status, headers, delay = (503 if count == 1 else 200), {"Content-Length": "0"}, 0
        elif path.startswith("/file/"):
            status, headers, delay = 200, {"Content-Type": "text/csv", "Content-Length": "3"}, 0.02
        else:
            status, headers, delay = self.routes.get(path, (404, {"Content-Length": "0"}, 0))
        time.sleep(delay)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if body and self.command == "GET" and headers.get("Content-Length", "0") != "0":
                self.wfile.write(b"x" * int(headers["Content-Length"]))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def do_HEAD(self) -> None:
        self.respond(body=False)

    def do_GET(self) -> None:
        self.respond(body=True)


@pytest.fixture
def portal(portal: Path) -> Path:
    """The minimal portal without its API: these tests check resources against the local server, and the API's
    URLs name hosts that do not resolve here (tests/test_dataservice_site.py checks APIs' URLs)."""
    (portal / "organizations/ville-exemple/dataservices/api-bus.yaml").unlink()
    return portal


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.lock = threading.Lock()
    httpd.open_connections = httpd.max_connections = 0
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def base(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: nobody listens there


def test_statuses_redirects_and_failures(server) -> None:
    root = base(server)
    refused = f"http://127.0.0.1:{closed_port()}/x"
    urls = [f"{root}{p}" for p in ("/ok.csv", "/moved", "/found", "/missing", "/error", "/no-head", "/loop")]
    got = linkcheck.check_urls([*urls, refused, "ftp://example.org/file"], **FAST)
    ok = got[f"{root}/ok.csv"]
    assert (ok.status, ok.content_type, ok.size, ok.redirects, ok.error) == (200, "text/csv", 5, "", "")
    moved = got[f"{root}/moved"]
    assert (moved.status, moved.final_url, moved.redirects) == (200, f"{root}/ok.csv", "301")
    assert got[f"{root}/found"].redirects == "302"
    assert got[f"{root}/missing"].status == 404
    assert got[f"{root}/error"].status == 500
    assert (got[f"{root}/no-head"].status, got[f"{root}/no-head"].size) == (200, 2)  # GET after a 405 to HEAD
    assert ("GET", "/no-head") in server.requests
    assert got[f"{root}/loop"].status is None and "redirects" in got[f"{root}/loop"].error
    assert got[refused].status is None and got[refused].error.startswith("cannot connect")
    assert got["ftp://example.org/file"].error == "unsupported URL"


def test_a_timeout_is_reported_and_does_not_hold_the_rest(server) -> None:
    root = base(server)
    started = time.perf_counter()
    got = linkcheck.check_urls([f"{root}/timeout", f"{root}/ok.csv"], timeout=0.5, retries=0)
    assert got[f"{root}/timeout"].status is None and got[f"{root}/timeout"].error == "timeout"
    assert got[f"{root}/ok.csv"].status == 200
    assert time.perf_counter() - started < 2.5


def test_a_slow_host_within_the_timeout_answers(server) -> None:
    got = linkcheck.check_urls([f"{base(server)}/slow"], timeout=2.0, retries=0)
    assert (got[f"{base(server)}/slow"].status, got[f"{base(server)}/slow"].content_type) == (200, "application/json")


def test_retries_with_backoff(server) -> None:
    url = f"{base(server)}/flaky"
    got = linkcheck.check_urls([url], timeout=1.0, retries=2, backoff=0.05)
    assert got[url].status == 200
    assert [r for r in server.requests if r[1] == "/flaky"] == [("HEAD", "/flaky")] * 2  # 503, then 200


def test_at_most_per_host_connections(server) -> None:
    urls = [f"{base(server)}/file/{i}" for i in range(60)]
    got = linkcheck.check_urls(urls, per_host=3, concurrency=50, **FAST)
    assert all(o.status == 200 for o in got.values())
    assert 1 <= server.max_connections <= 3


def resource(url: str, **more) -> Resource:
    return Resource(id="r1", title="R", url=url, type="main", format="csv", **more)


def test_anomalies_of_a_resource() -> None:
    check = linkcheck.Check("r1", "https://e.org/a", 200, "https://e.org/b", "301", "text/plain", 10)
    declared = resource("https://e.org/a", filesize=12, mime="text/csv")
    codes = [c for c, _ in linkcheck.resource_anomalies(declared, check)]
    assert codes == ["moved", "size-mismatch", "type-mismatch"]
    assert linkcheck.resource_anomalies(resource("https://e.org/a", filesize=10, mime="text/plain"), check)[1:] == []
    assert linkcheck.resource_anomalies(resource("https://e.org/other"), check) == []  # the URL changed: stale
    broken = linkcheck.Check("r1", "https://e.org/a", 404)
    assert linkcheck.resource_anomalies(resource("https://e.org/a"), broken) == [
        ("broken", {"status": 404, "error": ""})
    ]


def test_availability_criterion_uses_the_checks() -> None:
    dataset = Dataset(
        slug="d", owner=("organization", "o"), path="p", title="D", description="x", license="etalab-2.0",
        created="2020-01-01", last_modified="2024-03-01", resources=[resource("https://e.org/a", description="d")],
    )  # fmt: skip
    day = dt.date(2024, 3, 2)
    assert quality(dataset, day).criteria["resources_available"] is None
    good = {"r1": linkcheck.Check("r1", "https://e.org/a", 200)}
    assert quality(dataset, day, good).criteria["resources_available"] is True
    assert (
        quality(dataset, day, {"r1": linkcheck.Check("r1", "https://e.org/a", 500)}).criteria["resources_available"]
        is False
    )
    assert (
        quality(dataset, day, {"r1": linkcheck.Check("r1", "https://e.org/old", 200)}).criteria["resources_available"]
        is None
    )


def point_resource_at(portal: Path, url: str) -> None:
    path = portal / "organizations/ville-exemple/datasets/arrets-de-bus.yaml"
    path.write_text(path.read_text().replace("https://data.example.org/files/arrets.csv", url))


def test_check_writes_the_committed_file(portal: Path, server) -> None:
    point_resource_at(portal, f"{base(server)}/moved")
    clock = lambda: dt.datetime(2026, 11, 3, 4, 5, 6, 789, tzinfo=dt.UTC)  # noqa: E731
    checks = linkcheck.check(portal, clock=clock, **FAST)
    assert [c.status for c in checks] == [200]
    text = (portal / "links" / "checks.csv").read_text()
    assert text.splitlines() == [
        "resource;url;status;final_url;redirects;content_type;size;checked_at;error",
        f"0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40;{base(server)}/moved;200;{base(server)}/ok.csv;301;text/csv;5;"
        "2026-11-03T04:05:06Z;",
    ]
    loaded = linkcheck.load(portal)
    assert loaded == {c.resource: c for c in checks}


def test_cli(portal: Path, server, runner) -> None:
    point_resource_at(portal, f"{base(server)}/missing")
    result = runner.invoke(main, ["links", "check", "--content", str(portal), "--retries", "0", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    assert "checked 1 resources: 0 available, 1 broken" in result.output
    assert ";404;" in (portal / "links" / "checks.csv").read_text()
    (portal / "site.yaml").write_text("title: [broken\n")
    assert runner.invoke(main, ["links", "check", "--content", str(portal)]).exit_code == 1
