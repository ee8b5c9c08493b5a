"""Folders of valid and invalid content: each invalid case states every problem it must produce."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HERE, overlay

from generator.validate import validate

CASES = HERE / "cases"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (CASES / kind).iterdir() if p.is_dir())


def test_minimal_portal_is_valid(portal: Path) -> None:
    result = validate(portal)
    assert result.problems == []


@pytest.mark.parametrize("case", _cases("valid"), ids=lambda p: p.name)
def test_valid_case(portal: Path, case: Path) -> None:
    overlay(portal, case)
    assert [p.as_text() for p in validate(portal).problems] == []


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: p.name)
def test_invalid_case(portal: Path, case: Path) -> None:
    overlay(portal, case)
    expected = sorted(line for line in (case / "expected.txt").read_text().splitlines() if line)
    problems = validate(portal).problems
    found = sorted(f"{p.file}:{p.line}:{p.col}:{p.code}" for p in problems)
    assert found == expected, "\n".join(p.as_text() for p in problems)
    assert all(p.message for p in problems)


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: p.name)
def test_slim_documents_give_the_same_problems(portal: Path, case: Path) -> None:
    """`portal validate` keeps only what the cross-file rules read: the problems must not change."""
    overlay(portal, case)
    assert validate(portal, keep_data=False).problems == validate(portal).problems
