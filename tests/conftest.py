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
