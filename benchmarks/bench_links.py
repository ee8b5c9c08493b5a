"""Time ``portal links check`` on 10,000 resource URLs served by a local HTTP server.

    python benchmarks/bench_links.py [--urls N] [--per-host N] [--delay SECONDS]

Starts a keep-alive HTTP/1.1 server on 127.0.0.1 in a child process (it answers HEAD with 200, a
Content-Type and a Content-Length after ``--delay``, and counts the connections open at once), writes a
content folder whose one dataset holds N resources on that server, and times ``linkcheck.check`` (validation
of the content included) with ``--per-host`` connections. Target: 10,000 URLs in under 30 s, never more
than ``--per-host`` connections open at once.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
MINIMAL = HERE.parent / "tests" / "fixtures" / "minimal" / "content"

SERVER = r"""
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay = float(sys.argv[1])
state = {"open": 0, "max": 0, "requests": 0}
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def setup(self):
        super().setup()
        with lock:
            state["open"] += 1; state["max"] = max(state["max"], state["open"])
    def finish(self):
        with lock: state["open"] -= 1
        super().finish()
    def do_HEAD(self):
        if self.path == "/__stats":
            body = f'{state["max"]} {state["requests"]}'.encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            return
        with lock: state["requests"] += 1
        time.sleep(delay)
        self.send_response(200); self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", "1234"); self.end_headers()
    def do_GET(self):
        if self.path == "/__stats":
            body = f'{state["max"]} {state["requests"]}'.encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
            return
        self.do_HEAD()
httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"""


def write_content(folder: Path, port: int, count: int) -> None:
    shutil.copytree(MINIMAL, folder)
    lines = [
        "title: Beaucoup de fichiers",
        "description: Un jeu de données avec beaucoup de ressources pour mesurer la vérification des liens.",
        "license: etalab-2.0",
        "created: 2020-01-01",
        "last_modified: 2024-01-01",
        "resources:",
    ]
    for i in range(count):
        lines += [
            f"  - id: bench-{i:06d}",
            f"    title: Fichier {i}",
            f"    url: http://127.0.0.1:{port}/files/{i}.csv",
            "    type: main",
            "    format: csv",
        ]
    (folder / "organizations/ville-exemple/datasets/beaucoup.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--per-host", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the server waits before answering")
    args = parser.parse_args()
    from generator import linkcheck

    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.delay)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="portal-bench-links-") as temp:
            content = Path(temp) / "content"
            write_content(content, port, args.urls)
            started = time.perf_counter()
            checks = linkcheck.check(content, per_host=args.per_host, timeout=10, retries=1)
            elapsed = time.perf_counter() - started
        import httpx

        most, requests = map(int, httpx.get(f"http://127.0.0.1:{port}/__stats").text.split())
    finally:
        server.terminate()
        server.wait()
    ok = sum(1 for c in checks if c.ok)
    print(f"{len(checks):,} URLs checked in {elapsed:.2f} s ({len(checks) / elapsed:,.0f}/s), {ok:,} available")
    print(f"server saw {requests:,} requests; at most {most} connections open at once (limit {args.per_host})")
    if most > args.per_host:
        sys.exit("per-host connection limit exceeded")


if __name__ == "__main__":
    main()
