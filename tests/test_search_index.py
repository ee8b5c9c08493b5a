"""The search index: one Pagefind run per language, one after the other, giving the bytes of a single run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from site_helpers import files_of

from generator import search
from generator.build import build

EXAMPLE = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "content"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture
def real_binary() -> Path:
    binary = search.pagefind_binary()
    if binary is None:  # pragma: no cover - pagefind is a test dependency
        pytest.skip("pagefind is not installed")
    return binary


def _wrapper(tmp_path: Path, real: Path, fail_on: str = "") -> tuple[Path, Path]:
    """A Pagefind that logs when each run starts and ends (and which pages it was given), then runs the real one."""
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "logging-pagefind"
    fail = f'case "$*" in *"{fail_on}"*) echo "no such page" >&2; exit 3;; esac\n' if fail_on else ""
    wrapper.write_text(
        "#!/bin/sh\n"
        'glob=$(echo "$*" | sed "s/.*--glob \\([^ ]*\\).*/\\1/")\n'
        f'echo "start $glob" >> {log}\n'
        f"{fail}"
        f'"{real}" "$@"\n'
        "status=$?\n"
        f'echo "end $glob" >> {log}\n'
        "exit $status\n"
    )
    wrapper.chmod(0o755)
    return wrapper, log


def test_one_run_per_language_one_after_the_other_same_bytes_as_one_run(
    content: Path, tmp_path: Path, real_binary: Path, monkeypatch
) -> None:
    wrapper, log = _wrapper(tmp_path, real_binary)
    monkeypatch.setattr(search, "pagefind_binary", lambda: wrapper)
    site = tmp_path / "site"
    build(content, site, full=True)
    assert log.read_text().splitlines() == [
        "start {datasets,dataservices}/*/index.html",
        "end {datasets,dataservices}/*/index.html",
        "start en/{datasets,dataservices}/*/index.html",
        "end en/{datasets,dataservices}/*/index.html",
    ]
    bundle = site / search.BUNDLE
    entry = json.loads((bundle / search.ENTRY).read_text(encoding="utf-8"))
    public = len(list(site.glob("datasets/*/index.html"))) + len(list(site.glob("dataservices/*/index.html")))
    assert len(list(site.glob("dataservices/*/index.html"))) == 3  # the example's public APIs are indexed too
    assert {lang: info["page_count"] for lang, info in entry["languages"].items()} == {"en": public, "fr": public}

    # the same pages indexed by one run over both languages, made deterministic the same way
    single = tmp_path / "single"
    both = "{datasets,dataservices,en/datasets,en/dataservices}/*/index.html"
    command = [str(real_binary), "--site", str(site), "--output-path", str(single), "--glob", both, "--silent"]
    subprocess.run(command, check=True, capture_output=True)
    for name in search.UNUSED:
        (single / name).unlink()
    search.canonicalize(single)
    made = files_of(bundle)
    assert made.pop(search.MANIFEST) == b'{"shards":[""]}'  # a small portal: one shard, the bundle itself
    assert made == files_of(single)


def test_a_failed_run_fails_the_build_and_leaves_no_site(
    content: Path, tmp_path: Path, real_binary: Path, monkeypatch
) -> None:
    wrapper, log = _wrapper(tmp_path, real_binary, fail_on="en/{datasets")
    monkeypatch.setattr(search, "pagefind_binary", lambda: wrapper)
    site = tmp_path / "site"
    with pytest.raises(search.SearchIndexError, match=r"pagefind failed \(3\): no such page"):
        build(content, site, full=True)
    assert not site.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no staging folder left


def test_a_stopped_index_is_never_taken_for_a_whole_one(content: Path, tmp_path: Path, real_binary: Path) -> None:
    """Stopped (by a newer build) before its last run, the bundle is incomplete: waiting for it says so."""
    site = tmp_path / "site"
    build(content, site, full=True)
    bundle = tmp_path / "bundle"
    indexing = search.Indexing(real_binary, site, bundle, ["fr", "en"])
    indexing.kill()
    with pytest.raises(search.SearchIndexError, match="stopped"):
        indexing.wait()


def test_a_binary_that_cannot_run_is_an_error_not_a_silent_empty_index(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "datasets").mkdir(parents=True)
    not_executable = tmp_path / "pagefind"
    not_executable.write_text("not a program")
    indexing = search.Indexing(not_executable, site, tmp_path / "bundle", ["fr", "en"])
    with pytest.raises(search.SearchIndexError, match="pagefind could not index the site: .*Permission denied"):
        indexing.wait()
