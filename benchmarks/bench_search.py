"""What the search costs its readers and its builds: one Pagefind bundle against the bundle in shards.

    python benchmarks/bench_search.py [DIR] [--datasets N] [--runs 3] [--shard-size N] [--no-build-figures]

DIR holds (or receives, through :mod:`synth`) a synthetic portal of N datasets. It is built twice, each in a
fresh ``portal build`` process: ``_site_single`` with one bundle (``PORTAL_SEARCH_SHARD_SIZE`` at least the
number of datasets) and ``_site_sharded`` with the default shard size (or ``--shard-size``). For each build:
its seconds, Pagefind's wall time summed over its runs and the peak RSS of the largest Pagefind run (each run
goes through ``/usr/bin/time``), then the same after editing one dataset's title (a second ``portal build``).

Then each site is served on 127.0.0.1 (a plain ``http.server``, no compression: the Pagefind files are gzip
already) and opened in Debian's Chromium through Playwright, throttling off, a new browser context (empty
cache) per run. For a one-word query, a two-word query and a one-word query with a facet (``format``):

* **cold**: the listing opened with the query in its URL (``datasets/?q=...``), as a search form of another
  page leads there: bytes of every response (body bytes the server sent, the page
  included; the Pagefind files alone in ``pagefind_bytes``) and the time from the navigation's start
  to the first result in the page;
* **typed**: the listing opened without a query and ready (index opened), then the query typed and
  submitted (for the facet, its checkbox ticked after the word's results): bytes from the submit on and
  the time from the submit (or the tick) to the first new result.

Each figure is the median of ``--runs`` runs; the ratios are sharded / single (the issue allows 1.5).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from bench_build import ensure_portal  # noqa: E402 - after the path is set

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"]
QUERIES = [  # name, words, facet (name, value) or None: the words are synth.py's, the format one of its formats
    ("one word", "stationnement", None),
    ("two words", "vélo accident", None),
    ("word + facet", "stationnement", ("format", "CSV")),
]

BUILD_CHILD = """
import json, resource, sys, time
from generator.build import build
t = time.perf_counter()
result = build(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "incremental": result.incremental,
  "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

# Recorded in the page: when the trigger (submit, facet tick) happened and when the first result came after it.
PROBE = """
window.__probe = {trigger: null, first: null};
document.addEventListener("submit", () => { window.__probe = {trigger: performance.now(), first: null}; }, true);
document.addEventListener("change", () => { window.__probe = {trigger: performance.now(), first: null}; }, true);
new MutationObserver((records) => {
  const box = document.getElementById("search-results");
  if (!box || window.__probe.first !== null) return;
  for (const r of records) for (const n of r.addedNodes)
    if (n.nodeName === "LI" && box.contains(n)) { window.__probe.first = performance.now(); return; }
}).observe(document, {subtree: true, childList: true});
"""


def build_figures(content: Path, output: Path, shard_size: int, log: Path) -> dict:
    """A build in a fresh process: its seconds, Pagefind's summed seconds and largest peak RSS."""
    real = subprocess.run(
        [sys.executable, "-c", "from generator.search import pagefind_binary; print(pagefind_binary())"],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    ).stdout.strip()
    wrapper = log.with_suffix(".sh")
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/time -a -o "{log}" -f "%e %M" "{real}" "$@"\n')
    wrapper.chmod(0o755)
    log.write_text("")
    env = {**os.environ, "PORTAL_SEARCH_SHARD_SIZE": str(shard_size), "PAGEFIND_BINARY_PATH": str(wrapper)}
    run = subprocess.run(
        [sys.executable, "-c", BUILD_CHILD, str(content), str(output)],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        env=env,
    )
    figures = json.loads(run.stdout)
    runs = [line.split() for line in log.read_text().splitlines() if re.fullmatch(r"[\d.]+ \d+", line.strip())]
    figures["pagefind_runs"] = len(runs)
    figures["pagefind_seconds"] = round(sum(float(s) for s, _ in runs), 2)
    figures["pagefind_peak_mib"] = round(max((int(k) for _, k in runs), default=0) / 1024)
    figures["seconds"] = round(figures["seconds"], 2)
    figures["parent_mib"] = round(figures["parent_mib"])
    figures["children_mib"] = round(figures["children_mib"])
    return figures


def edit_one_dataset(content: Path) -> None:
    """Change one public dataset's title, to one it never had (an earlier run of this script edited it too)."""
    for path in sorted((content / "organizations").glob("*/datasets/*.yaml")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^private: true", text, re.M):
            continue
        title = re.compile(r"^title: (.*?)( edited \d+)?$", re.M)
        text = title.sub(lambda m: f"title: {m.group(1)} edited {time.time_ns()}", text, count=1)
        path.write_text(text, encoding="utf-8")
        return


class Meter:
    """What the server sent since the last reset: body bytes, all and of the Pagefind files; failed requests.

    Counted by the server, not the browser: Pagefind fetches from a web worker, whose requests a page's
    DevTools session may not see.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.total = self.pagefind = 0
            self.failed: list[str] = []

    def add(self, path: str, status: int, size: int) -> None:
        with self.lock:
            if status >= 400 and not path.endswith("favicon.ico"):
                self.failed.append(f"{status} {path}")
            self.total += size
            if "/pagefind/" in path:
                self.pagefind += size


class _Counting(http.server.SimpleHTTPRequestHandler):
    meter: Meter

    def log_request(self, code="-", size="-") -> None:  # noqa: ANN001 - the standard signature
        pass

    def log_message(self, *args) -> None:  # noqa: ANN002 - the standard signature
        pass

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            self._length = int(value)
        super().send_header(keyword, value)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._code = code
        super().send_response(code, message)

    def handle_one_request(self) -> None:
        self._code, self._length = 0, 0
        super().handle_one_request()
        if self._code:
            self.meter.add(self.path, self._code, self._length if self._code < 300 else 0)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str, Meter]:
    meter = Meter()
    handler = functools.partial(type("Handler", (_Counting,), {"meter": meter}), directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/", meter


def _query_url(base: str, words: str, facet: tuple[str, str] | None) -> str:
    from urllib.parse import urlencode

    params = [("q", words)] + ([facet] if facet else [])
    return f"{base}datasets/?{urlencode(params)}"


def _settle(page) -> None:
    page.wait_for_timeout(300)  # the fragments of the other results shown arrive after the first one


def measure(browser, base: str, meter: Meter, words: str, facet: tuple[str, str] | None, mode: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(PROBE)
    page = context.new_page()
    page.set_default_timeout(120_000)
    meter.reset()
    try:
        if mode == "cold":
            page.goto(_query_url(base, words, facet))
            page.wait_for_function("window.__probe.first !== null")
            ms = page.evaluate("window.__probe.first")
        else:
            page.goto(f"{base}datasets/")
            page.wait_for_selector("#search-app[data-ready=true]", state="attached")
            box = page.locator(".search-page-form input[name=q]")
            if facet is None:
                meter.reset()
                box.fill(words)
                box.press("Enter")
            else:
                box.fill(words)
                box.press("Enter")
                page.wait_for_function("window.__probe.first !== null")
                _settle(page)
                meter.reset()
                page.locator(f"#search-facets input[name={facet[0]}][value='{facet[1]}']").check()
            page.wait_for_function("window.__probe.first !== null && window.__probe.trigger !== null")
            ms = page.evaluate("window.__probe.first - window.__probe.trigger")
        _settle(page)
        count = page.locator("#search-results > li").count()
        status = page.locator("#search-status").inner_text()
        if meter.failed:
            raise RuntimeError(f"failed requests: {meter.failed[:5]}")
        return {"ms": ms, "bytes": meter.total, "pagefind_bytes": meter.pagefind, "shown": count, "status": status}
    finally:
        context.close()


def reader_figures(sites: dict[str, Path], runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    found: dict = {}
    servers = {name: serve(folder) for name, folder in sites.items()}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for query, words, facet in QUERIES:
                for mode in ("cold", "typed"):
                    for name, (_, base, meter) in servers.items():
                        samples = [measure(browser, base, meter, words, facet, mode) for _ in range(runs)]
                        found.setdefault(f"{query} ({mode})", {})[name] = {
                            "ms": round(statistics.median(s["ms"] for s in samples)),
                            "bytes": round(statistics.median(s["bytes"] for s in samples)),
                            "pagefind_bytes": round(statistics.median(s["pagefind_bytes"] for s in samples)),
                            "status": samples[0]["status"],
                        }
            browser.close()
    finally:
        for server, _, _ in servers.values():
            server.shutdown()
    for figures in found.values():
        single, sharded = figures["single"], figures["sharded"]
        figures["ratio"] = {
            "ms": round(sharded["ms"] / max(single["ms"], 1), 2),
            "bytes": round(sharded["bytes"] / max(single["bytes"], 1), 2),
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path(tempfile.gettempdir()) / "portal-bench-search")
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shard-size", type=int, default=0, help="datasets per shard (0: the generator's)")
    parser.add_argument("--no-build-figures", action="store_true", help="reuse the sites already built in DIR")
    args = parser.parse_args()
    content = ensure_portal(args.dest, args.datasets)
    sites = {"single": args.dest / "_site_single", "sharded": args.dest / "_site_sharded"}
    sizes = {"single": 10 * args.datasets + 1, "sharded": args.shard_size or 0}
    if sizes["sharded"] == 0:
        from generator.search import SHARD_SIZE

        sizes["sharded"] = SHARD_SIZE
    report: dict = {"datasets": args.datasets, "shard_size": sizes["sharded"]}
    if not args.no_build_figures:
        logs = Path(tempfile.mkdtemp(prefix="bench-search-"))
        for name, site in sites.items():
            shutil.rmtree(site, ignore_errors=True)
            started = time.perf_counter()
            report[f"cold build, {name}"] = build_figures(content, site, sizes[name], logs / f"{name}-cold.log")
            print(name, "cold", round(time.perf_counter() - started, 1), "s", file=sys.stderr)  # noqa: T201
        for name, site in sites.items():
            edit_one_dataset(content)
            report[f"one-edit rebuild, {name}"] = build_figures(content, site, sizes[name], logs / f"{name}-edit.log")
        shutil.rmtree(logs, ignore_errors=True)
    report["shards"] = len(json.loads((sites["sharded"] / "pagefind" / "shards.json").read_text())["shards"])
    report["readers"] = reader_figures(sites, args.runs)
    print(json.dumps(report, indent=2, ensure_ascii=False))  # noqa: T201 - a script's output


if __name__ == "__main__":
    main()
