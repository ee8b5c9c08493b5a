"""Input meant to break the validator: each must end in a clear problem and exit 1, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.cli import main

DATASET = "organizations/ville-exemple/datasets/arrets-de-bus.yaml"


def _run(runner, content: Path):
    result = runner.invoke(main, ["validate", "--content", str(content)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _codes(result) -> list[str]:
    return [line.split(": ")[1] for line in result.output.splitlines() if line.startswith("content/")]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x00\x01\x02\xff\xfe binary junk", "binary-file"),
        (b"title: caf\xe9\n", "invalid-utf8"),
        (b"   \n\n# only a comment\n", "empty-file"),
        (b"[" * 20000 + b"]" * 20000, "yaml-syntax"),
        (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", None),
        (b"- 1\n- 2\n", "wrong-type"),
        (b"just a string\n", "wrong-type"),
        (b"{{{{", "yaml-syntax"),
    ],
    ids=["binary", "latin1", "comment-only", "deep-unclosed", "deep-closed", "list", "scalar", "braces"],
)
def test_hostile_file(runner, portal: Path, payload: bytes, code: str | None) -> None:
    (portal / DATASET).write_bytes(payload)
    result = _run(runner, portal)
    assert result.exit_code == 1
    codes = _codes(result)
    assert codes, result.output
    if code:
        assert code in codes, result.output


def test_invalid_utf8_points_at_the_byte(runner, portal: Path) -> None:
    (portal / DATASET).write_bytes(b"title: ok\ndescription: caf\xe9 noir\n")
    result = _run(runner, portal)
    assert f"content/{DATASET}:2:17: invalid-utf8" in result.output


def test_huge_file_is_refused_without_reading_it(runner, portal: Path) -> None:
    with open(portal / DATASET, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    result = _run(runner, portal)
    assert result.exit_code == 1
    assert "file-too-large" in result.output


def test_symlink_outside_the_repo_is_rejected(runner, portal: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\nemails: [s@example.org]\n")
    os.symlink(secret, portal / "users" / "intrus.yaml")
    os.symlink(tmp_path, portal / "organizations" / "lien")
    result = _run(runner, portal)
    assert result.exit_code == 1
    assert "content/users/intrus.yaml:1:1: symlink" in result.output
    assert "content/organizations/lien:1:1: symlink" in result.output
    assert "secret" not in result.output.replace("intrus", "")


def test_folder_named_like_a_file(runner, portal: Path) -> None:
    folder = portal / "organizations/ville-exemple/datasets/dossier.yaml"
    folder.mkdir()
    (folder / "x.yaml").write_text("title: x\n")
    result = _run(runner, portal)
    assert result.exit_code == 1
    assert "datasets/dossier.yaml:1:1: not-a-file" in result.output


def test_every_problem_is_reported_not_the_first(runner, portal: Path) -> None:
    (portal / DATASET).write_text("titel: x\n")
    (portal / "users/paul.yaml").write_text("name: Paul\nemails: [marie@example.org]\n")
    (portal / "users/zoe.yaml").write_text("name: Zoé\nemails: [zoe@example.org]\nage: 3\n")
    result = _run(runner, portal)
    codes = _codes(result)
    assert codes.count("unknown-key") == 2 and "missing-key" in codes and "duplicate-email" in codes


def test_missing_site_yaml(runner, portal: Path) -> None:
    (portal / "site.yaml").unlink()
    result = _run(runner, portal)
    assert result.exit_code == 1
    assert "content/site.yaml:1:1: missing-site" in result.output
