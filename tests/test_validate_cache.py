"""``portal validate`` with its cache: a fresh checkout revalidates only what changed, never less.

The cache (``.portal-cache/checked/``) is written by ``portal validate`` and by ``portal build``; a CI job
restores it with new file times. What must hold: the problems found are always those of a validation without
cache (schema and cross-file ones); the files whose bytes did not change are not parsed again; the cross-file
rules run again as soon as one file changed, and see the whole portal.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import time
from pathlib import Path

import pytest

from generator import cache, integrity
from generator import validate as validate_module
from generator.build import build
from generator.cli import main

DATASET = "organizations/ville-exemple/datasets/arrets-de-bus.yaml"
ORG = "organizations/ville-exemple/organization.yaml"


@pytest.fixture
def counted(monkeypatch) -> dict[str, list]:
    """Records the files parsed and the runs of the cross-file rules."""
    seen: dict[str, list] = {"parsed": [], "portal": []}
    real_check, real_portal = validate_module.check_file, validate_module.check_portal

    def check_file(abspath, file, kind):
        seen["parsed"].append(Path(abspath).name)
        return real_check(abspath, file, kind)

    def check_portal(entries, site_file):
        seen["portal"].append(len(entries))
        return real_portal(entries, site_file)

    monkeypatch.setattr(validate_module, "check_file", check_file)
    monkeypatch.setattr(validate_module, "check_portal", check_portal)
    return seen


def _validate(runner, content: Path, *options: str) -> tuple[int, list[dict]]:
    result = runner.invoke(main, ["validate", "--format", "json", "--content", str(content), *options])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return result.exit_code, report["problems"]


def _fresh_checkout(content: Path) -> None:
    """Every file written anew with the same bytes (new inode, new times), as a clone writes them."""
    for path in sorted(p for p in content.rglob("*") if p.is_file()):
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
        later = time.time() + 5
        os.utime(path, (later, later))


def test_a_fresh_checkout_of_a_validated_portal_parses_nothing(runner, portal: Path, counted) -> None:
    assert _validate(runner, portal) == (0, [])
    files = len(counted["parsed"])
    assert files > 5 and counted["portal"]
    checked = cache.cache_dir(portal) / cache.CHECKED
    shards = {p: p.stat().st_mtime_ns for p in checked.glob("[0-9]*.pickle")}
    stats = (checked / "stats.pickle").read_bytes()
    _fresh_checkout(portal)
    counted["parsed"].clear()
    counted["portal"].clear()
    assert _validate(runner, portal) == (0, [])
    assert counted["parsed"] == [] and counted["portal"] == []  # recognised by their bytes, portal unchanged
    # only the stat facts are written again, not the documents
    assert shards and {p: p.stat().st_mtime_ns for p in checked.glob("[0-9]*.pickle")} == shards
    assert (checked / "stats.pickle").read_bytes() != stats


def test_one_edit_parses_that_file_and_checks_the_whole_portal(runner, portal: Path, counted) -> None:
    _validate(runner, portal)
    _fresh_checkout(portal)
    counted["parsed"].clear()
    counted["portal"].clear()
    # same size, same times as every other file: only the bytes tell
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab-2.X"))
    later = time.time() + 5
    os.utime(portal / DATASET, (later, later))
    code, problems = _validate(runner, portal)
    assert code == 1 and [p["code"] for p in problems] == ["not-allowed"]
    assert counted["parsed"] == [Path(DATASET).name]
    assert len(counted["portal"]) == 1 and counted["portal"][0] > 5  # every entry, not the edited one alone


def test_cached_problems_are_those_of_a_validation_without_cache(runner, portal: Path, counted) -> None:
    """Schema problems come back from the file cache, cross-file ones from the portal's: same report."""
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab"))
    members = portal / ORG
    text = members.read_text()
    assert "role: admin" in text
    members.write_text(text.replace("role: admin", "role: editor"))  # an organization without administrator
    uncached = _validate(runner, portal, "--no-cache")
    assert not (portal.parent / ".portal-cache").exists()  # --no-cache writes nothing
    assert uncached[0] == 1 and {p["code"] for p in uncached[1]} >= {"not-allowed"}
    assert len(uncached[1]) >= 2, uncached  # a schema problem and a cross-file one
    first = _validate(runner, portal)
    _fresh_checkout(portal)
    counted["parsed"].clear()
    counted["portal"].clear()
    assert _validate(runner, portal) == first == uncached
    assert counted["parsed"] == [] and counted["portal"] == []


def test_a_cross_file_problem_appears_when_another_file_changes(runner, portal: Path) -> None:
    assert _validate(runner, portal) == (0, [])
    members = portal / ORG
    members.write_text(members.read_text().replace("role: admin", "role: editor"))
    code, problems = _validate(runner, portal)
    assert code == 1 and problems and all(p["file"].endswith("organization.yaml") for p in problems)
    members.write_text(members.read_text().replace("role: editor", "role: admin"))
    assert _validate(runner, portal) == (0, [])


def test_the_build_writes_the_cache_that_validate_reads(portal: Path, tmp_path: Path, runner, counted) -> None:
    build(portal, tmp_path / "site")
    checked = cache.cache_dir(portal) / cache.CHECKED
    assert (checked / "header.pickle").is_file()
    kept = [
        entry for shard in sorted(checked.glob("[0-9]*.pickle")) for entry in pickle.loads(shard.read_bytes()).values()
    ]
    datasets = [data for data, problems, _ in kept if isinstance(data, dict) and "resources" in data]
    assert datasets and all(set(d) == {"resources"} for d in datasets)  # slim: what the rules read, no more
    _fresh_checkout(portal)
    counted["parsed"].clear()
    counted["portal"].clear()
    assert _validate(runner, portal) == (0, [])
    assert counted["parsed"] == [] and counted["portal"] == []


def test_validate_then_build_then_validate_stay_in_step(runner, portal: Path, tmp_path: Path, counted) -> None:
    """A validation rewrites the copy the build keeps; a file edited between them is not taken from a stale
    entry."""
    _validate(runner, portal)
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab"))
    assert _validate(runner, portal)[0] == 1
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab", "etalab-2.0"))
    build(portal, tmp_path / "site")
    counted["parsed"].clear()
    assert _validate(runner, portal) == (0, [])
    assert counted["parsed"] == []


def _edit_title(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_build_rewrites_only_the_shards_of_the_copy_whose_files_changed(
    runner, portal: Path, tmp_path: Path, counted
) -> None:
    site = tmp_path / "site"
    build(portal, site)
    checked = cache.cache_dir(portal) / cache.CHECKED

    def times() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in checked.glob("[0-9]*.pickle")}

    _edit_title(portal / DATASET, "title: ", "title: Les ")
    assert _validate(runner, portal) == (0, [])  # the edit seen by a validation first, as in a pull request
    before = times()
    build(portal, site)
    assert times() == before  # the copy holds that edit already: no shard of it is written again
    _edit_title(portal / DATASET, "title: Les ", "title: ")
    build(portal, site)  # an edit the copy has not seen: its shard, and only it
    changed = [name for name, when in times().items() if when != before[name]]
    assert changed == [f"{cache.shard_of(DATASET):02}.pickle"]
    counted["parsed"].clear()
    assert _validate(runner, portal) == (0, [])
    assert counted["parsed"] == []
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab"))
    assert _validate(runner, portal)[0] == 1  # and the copy is no stale one


@pytest.mark.parametrize("damage", ["truncated", "another-version", "garbage-shard", "garbage-stats"])
def test_a_damaged_cache_means_a_full_validation(runner, portal: Path, counted, damage: str) -> None:
    (portal / DATASET).write_text((portal / DATASET).read_text().replace("etalab-2.0", "etalab"))
    expected = _validate(runner, portal)
    checked = cache.cache_dir(portal) / cache.CHECKED
    header = checked / "header.pickle"
    if damage == "truncated":
        header.write_bytes(header.read_bytes()[:20])
    elif damage == "another-version":
        stored = pickle.loads(header.read_bytes())
        stored["header"] = ("another generator", *stored["header"][1:])
        header.write_bytes(pickle.dumps(stored))
    elif damage == "garbage-stats":
        (checked / "stats.pickle").write_bytes(b"not a pickle")
    else:
        next(checked.glob("[0-9]*.pickle")).write_bytes(b"not a pickle")
    counted["parsed"].clear()
    assert _validate(runner, portal) == expected
    assert len(counted["parsed"]) > 5


def test_a_cache_that_cannot_be_written_leaves_the_result_standing(runner, portal: Path) -> None:
    blocker = cache.cache_dir(portal)
    blocker.write_text("a file where the cache folder goes")
    result = runner.invoke(main, ["validate", "--content", str(portal)])
    assert result.exit_code == 0 and "no problem" in result.stdout
    assert "validation cache was not saved" in result.stderr
    (portal / DATASET).write_text("title: [unclosed\n")
    assert runner.invoke(main, ["validate", "--content", str(portal)]).exit_code == 1


def test_slim_documents_never_reach_the_build_cache(portal: Path) -> None:
    with pytest.raises(ValueError):
        validate_module.validate(portal, keep_data=False, cache=cache.FileCache.load(portal))
    with pytest.raises(ValueError):
        validate_module.validate(portal, keep_data=True, cache=cache.FileCache.load(portal, cache.CHECKED))


def test_slim_kept_matches_what_validate_keeps(portal: Path) -> None:
    """The build's copy for validate and validate's own slimming agree, document for document."""
    whole = validate_module.validate(portal, jobs=1)
    slim = validate_module.validate(portal, jobs=1, keep_data=False)
    for full_entry, slim_entry in zip(whole.entries, slim.entries, strict=True):
        if full_entry.doc is None:
            continue
        kept = (full_entry.doc.data, tuple(full_entry.doc.problems), full_entry.doc.digest)
        shrunk = validate_module.slim_kept(full_entry.location.path, kept)
        assert shrunk == (slim_entry.doc.data, tuple(slim_entry.doc.problems), slim_entry.doc.digest)
    assert integrity.slim("dataset", {"title": "x", "resources": []}) == {"resources": []}


def test_the_cache_lives_beside_the_content_not_in_it(runner, portal: Path) -> None:
    _validate(runner, portal)
    assert (portal.parent / ".portal-cache" / "checked").is_dir()
    assert not any(p.name == ".portal-cache" for p in portal.rglob("*"))
    shutil.rmtree(portal.parent / ".portal-cache")
    assert _validate(runner, portal) == (0, [])
