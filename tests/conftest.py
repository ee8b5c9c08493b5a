"""Shared fixtures: a Click runner and copies of the minimal portal to break or extend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "minimal" / "content"
PROJECT = HERE.parent
SHARED = PROJECT.parent / "shared"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh copy of the example portal (``content/``) in ``repo/content``; returns its content folder."""
    content = tmp_path / "repo" / "content"
    shutil.copytree(PROJECT / "content", content)
    return content


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    """A fresh copy of the minimal valid portal; returns its content folder."""
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    return content


def overlay(content: Path, case: Path) -> None:
    """Copy the files of a test case's ``content/`` over a portal."""
    for source in (case / "content").rglob("*"):
        if source.is_file():
            target = content / source.relative_to(case / "content")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def pytest_terminal_summary(terminalreporter) -> None:
    """Browser tests skipped for want of a browser are counted apart in pytest's last line, with the reason:
    ``380 passed, 15 skipped without a browser: /usr/bin/chromium is missing (apt-get install chromium)``."""
    from e2e.harness import missing_browser

    reason = missing_browser()
    skipped = terminalreporter.stats.get("skipped", [])
    browser = [report for report in skipped if "browser" in report.keywords]
    if reason is None or not browser:
        return
    terminalreporter.stats["skipped"] = [report for report in skipped if "browser" not in report.keywords]
    terminalreporter.stats[f"skipped without a browser: {reason}"] = browser
