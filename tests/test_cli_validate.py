"""The validate command's contract: formats, exit codes, defaults."""

from __future__ import annotations

import json
from pathlib import Path

from generator.cli import main

DATASET = "organizations/ville-exemple/datasets/arrets-de-bus.yaml"


def test_clean_portal_exits_0(runner, portal: Path) -> None:
    result = runner.invoke(main, ["validate", "--content", str(portal)])
    assert result.exit_code == 0, result.output
    assert "no problem" in result.output


def test_default_content_folder_is_content_of_cwd(runner, portal: Path, monkeypatch) -> None:
    monkeypatch.chdir(portal.parent)
    assert runner.invoke(main, ["validate"]).exit_code == 0


def test_missing_folder_is_a_usage_error(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", "--content", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no content folder" in result.output


def test_bad_option_is_a_usage_error(runner, portal: Path) -> None:
    assert runner.invoke(main, ["validate", "--format", "xml", "--content", str(portal)]).exit_code == 2


def test_json_format(runner, portal: Path) -> None:
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab"))
    result = runner.invoke(main, ["validate", "--format", "json", "--content", str(portal)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert problem["code"] == "not-allowed" and problem["line"] == 4 and problem["path"] == ["license"]
    assert problem["hint"] == "did you mean etalab-2.0?"


def test_github_format_escapes_newlines(runner, portal: Path) -> None:
    (portal / DATASET).write_text("title: [a\n\nb: c\n")
    result = runner.invoke(main, ["validate", "--format", "github", "--content", str(portal)])
    assert result.exit_code == 1
    annotations = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert annotations and annotations[0].startswith(f"::error file=content/{DATASET},line=")


def test_paths_are_relative_to_the_git_work_tree(runner, portal: Path) -> None:
    (portal.parent / ".git").mkdir()  # a repository root: paths are shown from there
    (portal / DATASET).write_text("title: x\n")
    result = runner.invoke(main, ["validate", "--content", str(portal)])
    assert f"content/{DATASET}:1:1: missing-key" in result.output


def test_parallel_and_serial_agree(portal: Path) -> None:
    from generator import validate as module

    (portal / DATASET).write_text("titel: x\n")
    serial = module.validate(portal, jobs=1).problems
    old = module.PARALLEL_THRESHOLD
    module.PARALLEL_THRESHOLD = 1
    try:
        parallel = module.validate(portal, jobs=2).problems
    finally:
        module.PARALLEL_THRESHOLD = old
    assert serial == parallel and serial
