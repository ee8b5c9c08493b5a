"""Build the example portal once, serve it on 127.0.0.1, drive Debian's Chromium with Playwright.

Every tool is looked up, never downloaded: ``/usr/bin/chromium`` (apt), the ``playwright`` Python package
(its driver only, ``playwright install`` is never run), ``node_modules/axe-core`` and ``node_modules/vnu-jar``
(``npm ci``) and ``java``. :func:`missing_tools` says what is absent so the tests can skip with the reason.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
VNU = PROJECT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = PROJECT / "tests" / "_screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def missing_tools(*, axe: bool = False, vnu: bool = False, browser: bool = True) -> str | None:
    """Why the browser tests cannot run here (a reason for ``pytest.skip``), or None."""
    if browser:
        if not CHROMIUM.is_file():
            return f"{CHROMIUM} is missing (apt-get install chromium)"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "the playwright package is missing (pip install -e '.[test]')"
    if axe and not AXE.is_file():
        return f"{AXE.relative_to(PROJECT)} is missing (npm ci)"
    if vnu:
        if not VNU.is_file():
            return f"{VNU.relative_to(PROJECT)} is missing (npm ci)"
        if shutil.which("java") is None:
            return "java is missing (apt-get install default-jre-headless)"
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return result["violations"]


def describe_violations(url: str, violations: list[dict]) -> str:
    """One readable line per failing element: rule, impact, CSS target, HTML, axe's summary."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(
                f"{url}: {v['id']} ({v['impact']}): {' '.join(map(str, node['target']))}\n"
                f"    {node['html'][:200]}\n    {node.get('failureSummary', '').replace(chr(10), ' ')[:300]}"
            )
    return "\n".join(lines)


def vnu_errors(files: list[Path]) -> list[str]:
    """The Nu HTML Checker's errors on ``files`` (one JVM for all of them)."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{m.get('url', '').removeprefix('file:')}:{m.get('lastLine', '?')}: {m.get('message')} "
        f"[{(m.get('extract') or '').strip()[:120]}]"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
