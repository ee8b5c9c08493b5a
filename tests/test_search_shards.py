"""The search index in shards: which pages go where, and builds that index only the shards that changed.

The example portal is sharded by setting ``PORTAL_SEARCH_SHARD_SIZE`` small (3 datasets per shard would make
16 shards: 8, the most there can be, of about 5). A Pagefind wrapper logs each run, so the tests see which
shards a build indexed again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from site_helpers import files_of

from generator import build as build_module
from generator import cache, search
from generator.build import Builder, build

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
ARBRES = "organizations/metropole-val-de-loire/datasets/arbres-alignement.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "content"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture
def runs(tmp_path: Path, monkeypatch) -> Path:
    """A log of Pagefind's runs: one line per run, the site folder it was given (a shard's staging folder)."""
    real = search.pagefind_binary()
    if real is None:  # pragma: no cover - pagefind is a test dependency
        pytest.skip("pagefind is not installed")
    log = tmp_path / "runs.log"
    log.write_text("")
    wrapper = tmp_path / "logging-pagefind"
    wrapper.write_text(f'#!/bin/sh\necho "$2 $4" >> {log}\nexec "{real}" "$@"\n')  # --site S --output-path O
    wrapper.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_binary", lambda: wrapper)
    return log


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _manifest(site: Path) -> list[str]:
    return json.loads((site / search.BUNDLE / search.MANIFEST).read_text(encoding="utf-8"))["shards"]


def _full(content: Path, tmp_path: Path) -> dict[str, bytes]:
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    build(content, full, full=True)
    return files_of(full)


# --- the plan: pure functions ---------------------------------------------------------------------------------


def test_the_shard_count_is_the_smallest_power_of_two_that_keeps_shards_small() -> None:
    counts = [search.shard_count(n, 2000) for n in (0, 1, 2000, 2001, 4000, 4001, 10_000, 16_001, 50_000)]
    assert counts == [1, 1, 1, 2, 2, 4, 8, 8, 8]  # at most 8: past 16,000 datasets, the shards grow


def _pages(slugs: list[str]) -> dict[str, bytes]:
    pages = {"index.html": b"h", "datasets/index.html": b"l", "datasets/r/x/index.html": b"r"}
    for slug in slugs:
        pages[f"datasets/{slug}/index.html"] = slug.encode()
        pages[f"en/datasets/{slug}/index.html"] = slug.encode()
    return pages


def test_a_dataset_and_its_translation_share_a_shard_and_a_new_dataset_moves_no_other() -> None:
    slugs = [f"dataset-{i}" for i in range(35)]  # 4 shards of 10 at most, also with one more
    shards = search.plan(_pages(slugs), ["fr", "en"], b"salt", 10)
    assert len(shards) == 4 and all(s.folder.startswith("4-") for s in shards)
    assert sorted(p for s in shards for p in s.pages) == sorted(p for p in _pages(slugs) if "dataset-" in p)
    for shard in shards:  # both languages of a dataset in the same shard, the one its slug hashes to
        slugs_in = {search.page_item(rel, ["fr", "en"]) for rel in shard.pages}
        assert len(shard.pages) == 2 * len(slugs_in)
        assert len({search.shard_of(slug, 4) for slug in slugs_in}) == 1
    grown = search.plan(_pages([*slugs, "dataset-new"]), ["fr", "en"], b"salt", 10)
    assert len({s.folder for s in shards} - {s.folder for s in grown}) == 1  # only the new dataset's shard
    edited = _pages(slugs)
    edited["en/datasets/dataset-7/index.html"] = b"edited"
    changed = search.plan(edited, ["fr", "en"], b"salt", 10)
    assert len({s.folder for s in shards} - {s.folder for s in changed}) == 1
    assert {s.folder for s in search.plan(_pages(slugs), ["fr", "en"], b"other", 10)}.isdisjoint(
        {s.folder for s in shards}
    )  # another global key (generator, theme, languages): every shard anew


def test_shard_of_is_a_hash_of_the_slug() -> None:
    assert search.shard_of("gtfs-reseau-ligeo", 1) == 0
    spread = {search.shard_of(f"d{i}", 8) for i in range(100)}
    assert spread == set(range(8))


# --- builds -------------------------------------------------------------------------------------------------


def test_a_small_portal_keeps_its_one_bundle(content: Path, tmp_path: Path, runs: Path) -> None:
    site = tmp_path / "site"
    build(content, site)
    assert _manifest(site) == [""]
    assert (site / search.BUNDLE / search.ENTRY).is_file()
    logged = runs.read_text().splitlines()
    assert len(logged) == 2 and all(".pagefind-shard-" not in line for line in logged)  # the site's own pages


def test_an_edit_indexes_its_shard_again_and_the_index_is_a_full_builds(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    site = tmp_path / "site"
    build(content, site)
    before = _manifest(site)
    assert len(before) == 8 and len(runs.read_text().splitlines()) == 16  # a run per shard and language
    bundle = site / search.BUNDLE
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in bundle.rglob("*") if p.is_file()}
    runs.write_text("")
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    assert build(content, site).incremental
    assert len(runs.read_text().splitlines()) == 2  # the edited dataset's shard, in each language
    after = _manifest(site)
    gone, new = set(before) - set(after), set(after) - set(before)
    assert len(gone) == 1 and len(new) == 1
    assert sorted(p.name for p in bundle.iterdir()) == sorted([search.MANIFEST, *(f.rstrip("/") for f in after)])
    for path, stamp in stamps.items():  # the other shards' files were left alone
        if not path.is_relative_to(bundle / next(iter(gone))) and path.name != search.MANIFEST:
            assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp, path
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left
    runs.write_text("")
    assert files_of(site) == _full(content, tmp_path)
    runs.write_text("")
    again = build(content, site)  # nothing changed: Pagefind does not run
    assert again.incremental and runs.read_text() == ""


def test_a_new_dataset_adds_to_one_shard(content: Path, tmp_path: Path, runs: Path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    site = tmp_path / "site"
    build(content, site)
    text = (content / ARBRES).read_text(encoding="utf-8").replace("title: Arbres", "title: Nouveaux arbres", 1)
    text = re.sub(r"id: [0-9a-f-]+", lambda m: m.group(0)[:-4] + "beef", text)
    (content / ARBRES).with_name("zz-nouveaux-arbres.yaml").write_text(text, encoding="utf-8")
    runs.write_text("")
    build(content, site)
    assert len(runs.read_text().splitlines()) == 2
    assert files_of(site) == _full(content, tmp_path)


def test_from_one_bundle_to_shards_and_back(content: Path, tmp_path: Path, runs: Path, monkeypatch) -> None:
    """A portal that grows past the shard size (here: the size lowered) and shrinks back: as a full build."""
    site = tmp_path / "site"
    build(content, site)
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    assert build(content, site).incremental
    assert len(_manifest(site)) == 8 and not (site / search.BUNDLE / search.ENTRY).exists()
    assert files_of(site) == _full(content, tmp_path)
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "1000")
    assert build(content, site).incremental
    assert _manifest(site) == [""]
    assert files_of(site) == _full(content, tmp_path)


def test_a_quick_rebuild_indexes_one_shard_and_saves_the_index_key(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    site = tmp_path / "site"
    builder = Builder(content, site, warm=True)
    builder.build()
    runs.write_text("")
    _edit(content / ARBRES, "Inventaire des", "Inventaire complet des")
    assert builder.build(changed=[content / ARBRES]).quick
    builder.wait_for_search()
    assert len(runs.read_text().splitlines()) == 2
    assert not cache.BuildState.search_marker(content, site).exists()
    runs.write_text("")
    assert build(content, site).incremental and runs.read_text() == ""  # the saved state knows the new index
    assert files_of(site) == _full(content, tmp_path)


def _sharded_site(content: Path, tmp_path: Path, monkeypatch) -> Path:
    """The example portal built in 8 shards into ``tmp_path/site``."""
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    site = tmp_path / "site"
    build(content, site)
    return site


def _wrap_pagefind(tmp_path: Path, monkeypatch, script: str) -> Path:
    """Put a shell ``script`` (which finds the real binary in ``$REAL``) in Pagefind's place; returns the real."""
    real = search.pagefind_binary()
    wrapper = tmp_path / "wrapped-pagefind"
    wrapper.write_text(f'#!/bin/sh\nREAL="{real}"\n{script}\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_binary", lambda: wrapper)
    return real


def test_a_rebuild_indexes_the_languages_of_its_shard_side_by_side(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    """A rebuild waits for its shard: both languages run at once, and the bundle is a full build's."""
    site = _sharded_site(content, tmp_path, monkeypatch)
    log = tmp_path / "overlap.log"  # a second in each run, so that runs at once surely overlap
    timed = f'echo start >> {log}\nsleep 1\n"$REAL" "$@"\nrc=$?\necho end >> {log}\nexit $rc'
    _wrap_pagefind(tmp_path, monkeypatch, timed)
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    assert build(content, site).incremental
    assert log.read_text().split() == ["start", "start", "end", "end"]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert files_of(site) == _full(content, tmp_path)


def test_a_failed_language_fails_the_rebuild_and_leaves_the_index_owed(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    site = _sharded_site(content, tmp_path, monkeypatch)
    # the English run fails (its glob, the 6th argument, starts with en/)
    real = _wrap_pagefind(tmp_path, monkeypatch, 'case "$6" in en/*) echo broken >&2; exit 3;; esac\nexec "$REAL" "$@"')
    before = _manifest(site)
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    with pytest.raises(search.SearchIndexError, match="broken"):
        build(content, site)
    assert _manifest(site) == before  # the live index is the previous one, whole
    assert cache.BuildState.search_marker(content, site).exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(search, "pagefind_binary", lambda: real)
    build(content, site)  # stopped while committing: the next build is a full one, with its index
    assert files_of(site) == _full(content, tmp_path)


def test_a_one_shot_rebuild_indexes_its_staged_pages_while_it_commits(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    """Pagefind starts on the edited shard before the rebuild's pages are moved into the site, and reads the
    staged pages: the commit happens while it runs, and the index is a full build's."""
    site = _sharded_site(content, tmp_path, monkeypatch)
    log = tmp_path / "order.log"
    timed = f'echo start >> {log}\nsleep 1\n"$REAL" "$@"\nrc=$?\necho end >> {log}\nexit $rc'
    real = _wrap_pagefind(tmp_path, monkeypatch, timed)
    real_commit = build_module.commit

    def commit_once_indexing(*args, **kwargs):  # waits for both languages' runs (none would come before: fails)
        deadline = time.monotonic() + 20
        while log.read_text().split().count("start") < 2:
            assert time.monotonic() < deadline, "the rebuild reached its commit before the search index started"
            time.sleep(0.02)
        with log.open("a") as out:
            out.write("commit\n")
        return real_commit(*args, **kwargs)

    log.write_text("")
    monkeypatch.setattr(build_module, "commit", commit_once_indexing)
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    assert build(content, site).incremental
    assert log.read_text().split() == ["start", "start", "commit", "end", "end"]
    assert not cache.BuildState.search_marker(content, site).exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(search, "pagefind_binary", lambda: real)
    assert files_of(site) == _full(content, tmp_path)


def test_a_rebuild_that_fails_while_its_shard_is_indexed_stops_pagefind(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    site = _sharded_site(content, tmp_path, monkeypatch)
    pids = tmp_path / "pids"
    real = _wrap_pagefind(tmp_path, monkeypatch, f"echo $$ >> {pids}\nexec sleep 30")
    before, bundle = _manifest(site), files_of(site / search.BUNDLE)

    def broken_commit(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(build_module, "commit", broken_commit)
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    started = time.monotonic()
    with pytest.raises(OSError, match="no space left"):
        build(content, site)
    assert time.monotonic() - started < 20  # Pagefind (here a 30 s sleep) was stopped, not waited for
    assert len(pids.read_text().split()) == 2
    for pid in pids.read_text().split():  # no run left behind
        assert not Path(f"/proc/{pid}").exists()
    assert _manifest(site) == before and files_of(site / search.BUNDLE) == bundle
    assert cache.BuildState.search_marker(content, site).exists()  # the index is owed
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.undo()
    monkeypatch.setenv("PORTAL_SEARCH_SHARD_SIZE", "3")
    monkeypatch.setattr(search, "pagefind_binary", lambda: real)
    build(content, site)
    assert files_of(site) == _full(content, tmp_path)


def _page(text: str) -> str:
    return f'<html lang="fr"><head><title>t</title></head><body><main data-pagefind-body>{text}</main></body></html>'


def test_staged_pages_are_staged_before_the_live_ones_as_search_documents(tmp_path: Path) -> None:
    staged, live, out = tmp_path / "staged", tmp_path / "live", tmp_path / "out"
    for folder, rel, text in ((live, "a/index.html", "live a"), (live, "b/index.html", "live b")):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(_page(text))
    (staged / "b").mkdir(parents=True)
    (staged / "b/index.html").write_text(_page("staged b"))
    search._stage_pages((staged, live), out, ("a/index.html", "b/index.html"))
    expected = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head><body>'
        "<main data-pagefind-body>{}</main></body></html>"
    )
    assert (out / "a/index.html").read_text() == expected.format("live a")
    assert (out / "b/index.html").read_text() == expected.format("staged b")
    (staged / "b/index.html").rename(live / "b/index.html")  # committed meanwhile: the copy keeps its bytes
    (live / "b/index.html").write_text(_page("changed"))
    assert (out / "b/index.html").read_text() == expected.format("staged b")
    with pytest.raises(FileNotFoundError):
        search._stage_pages((staged, live), tmp_path / "out2", ("c/index.html",))


def test_a_search_document_is_the_body_without_what_pagefind_ignores_whole() -> None:
    page = (
        b'<!DOCTYPE html><html lang="en" dir="ltr"><head><title>x</title><script>1</script></head><body><nav>menu</nav>'
        b'<article class="main" data-pagefind-body><h1 data-pagefind-meta="title">T</h1>'
        b'<p data-pagefind-ignore>kept for filters <span data-pagefind-filter="tag">a</span></p>'
        b'<section id="r" data-pagefind-ignore="all"><section>inner</section><p>resources</p></section>'
        b"<section><p>description</p></section>"
        b'<div data-pagefind-ignore="all"><div data-pagefind-ignore="all">nested</div>discussions</div>'
        b"<p>end</p></article><aside>sidebar</aside></body></html>"
    )
    assert search.document(page) == (
        b'<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8"></head><body>'
        b'<article class="main" data-pagefind-body><h1 data-pagefind-meta="title">T</h1>'
        b'<p data-pagefind-ignore>kept for filters <span data-pagefind-filter="tag">a</span></p>'
        b"<section><p>description</p></section><p>end</p></article></body></html>"
    )


@pytest.mark.parametrize(
    "page",
    [
        b"<body><main data-pagefind-body>no html tag</main></body>",
        b'<html lang="fr"><body><main>no body element</main></body></html>',
        b'<html lang="fr"><body><main data-pagefind-body>one</main><div data-pagefind-body>two</div></body></html>',
        b'<html lang="fr"><body><main data-pagefind-body>never closed</body></html>',
        b'<html lang="fr"><main data-pagefind-body><div data-pagefind-ignore="all">never closed</main></html>',
        b'<html lang="fr"><main data-pagefind-body><p>a <a title="x data-pagefind-body">link</a></p></main></html>',
    ],
)
def test_a_page_not_shaped_as_expected_is_its_own_search_document(page: bytes) -> None:
    assert search.document(page) == page


def test_search_documents_make_the_bundle_the_whole_pages_make(content: Path, tmp_path: Path, monkeypatch) -> None:
    """Pagefind given the search documents writes the same bundle, byte for byte, as given the whole pages:
    the example portal's dataset and API pages, in both languages, with resources, reuses and discussions."""
    site = _sharded_site(content, tmp_path, monkeypatch)
    languages = ("fr", "en")
    pages = {str(p.relative_to(site)): b"" for p in site.rglob("index.html")}
    shards = search.plan(pages, languages, b"", 3)
    assert len(shards) > 1 and any("dataservices/" in rel for shard in shards for rel in shard.pages)
    bundles = {}
    for name, document in (("documents", search.document), ("pages", lambda page: page)):
        monkeypatch.setattr(search, "document", document)
        scratch = tmp_path / f"scratch-{name}"
        scratch.mkdir()
        bundles[name] = tmp_path / f"bundle-{name}"
        run = search.Indexing(search.pagefind_binary(), site, bundles[name], languages, shards, scratch=scratch)
        search.finish(run)
        staged = {str(p.relative_to(s)): p.stat().st_size for s in scratch.iterdir() for p in s.rglob("*.html")}
        whole = sum((site / rel).stat().st_size for rel in staged)
        assert sorted(staged) == sorted(rel for shard in shards for rel in shard.pages)
        assert (sum(staged.values()) < whole / 2) == (name == "documents")
    assert files_of(bundles["documents"]) == files_of(bundles["pages"])


def test_a_rebuild_stages_its_shard_before_it_renders_on(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    """The rebuild's shard is staged in the building thread: a thread making a system call per file while the
    build computes waits for the interpreter's lock after each, and Pagefind started seconds late."""
    site = _sharded_site(content, tmp_path, monkeypatch)
    threads = []
    real_stage = search._stage_pages

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real_stage(*args)

    monkeypatch.setattr(search, "_stage_pages", spy)
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    assert build(content, site).incremental
    assert threads == [threading.main_thread().name]  # one shard, staged by the build itself
    assert files_of(site) == _full(content, tmp_path)
    assert "pagefind" in threads[1:] and threading.main_thread().name not in threads[1:]  # a full build's thread


def test_the_shards_documents_never_sit_in_the_site_even_while_a_slow_rm_deletes_them(
    content: Path, tmp_path: Path, runs: Path, monkeypatch
) -> None:
    """The folders of search documents Pagefind reads are made outside the site and deleted by the detached ``rm`` (as a
    50,000-dataset build's are): a site published right after the build holds none of them."""
    from generator import sink

    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "rm").write_text(f'#!/bin/sh\nsleep 2\nexec {shutil.which("rm")} "$@"\n')
    (slow / "rm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}:{os.environ['PATH']}")
    monkeypatch.setattr(sink, "DETACHED_DELETE_FILES", 0)
    site = _sharded_site(content, tmp_path, monkeypatch)
    hidden = [p for p in site.rglob(".*") if p.is_dir()]
    assert hidden == []
    _edit(content / ARBRES, "title: Arbres", "title: Les arbres")
    assert build(content, site).incremental
    assert [p for p in site.rglob(".*") if p.is_dir()] == []
    time.sleep(4)  # the detached deletes are done: nothing is left next to the site either
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
