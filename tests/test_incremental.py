"""Incremental builds: after every kind of change, a rebuild gives the bytes a full build gives.

Each case builds the example portal, changes the content (or the theme, or site.yaml), rebuilds the same
output folder with the build cache, then builds a fresh folder with ``full=True`` and compares every file.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from site_helpers import files_of

from generator import cache
from generator.build import Builder, build

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
MVL = "organizations/metropole-val-de-loire"
LIGEO = "organizations/ligeo-mobilites"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    content = tmp_path / "repo" / "content"
    shutil.copytree(EXAMPLE, content)
    return content


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edit_dataset(c: Path) -> None:
    _edit(c / MVL / "datasets/arbres-alignement.yaml", "title: Arbres", "title: Les arbres")


def edit_dataset_description(c: Path) -> None:
    _edit(c / MVL / "datasets/arbres-alignement.yaml", "Inventaire des", "Inventaire complet des")


def add_dataset(c: Path) -> None:
    text = (c / MVL / "datasets/arbres-alignement.yaml").read_text(encoding="utf-8")
    text = re.sub(r"id: [0-9a-f-]+", lambda m: m.group(0)[:-4] + "beef", text)
    (c / MVL / "datasets/aaa-nouveau.yaml").write_text(text.replace("title: Arbres", "title: Nouveaux arbres", 1))


def delete_dataset(c: Path) -> None:
    for path in c.rglob("*.yaml"):  # reuses and discussions about it would no longer validate
        if "parkings-disponibilite-temps-reel" in path.read_text(encoding="utf-8") and path.parent.name != "datasets":
            path.unlink()
    (c / MVL / "datasets/parkings-disponibilite-temps-reel.yaml").unlink()


def move_dataset(c: Path) -> None:
    source = c / MVL / "datasets/points-apport-volontaire.yaml"
    source.rename(c / LIGEO / "datasets/points-apport-volontaire.yaml")


def make_private(c: Path) -> None:
    path = c / MVL / "datasets/budget-primitif-metropole.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "private: true\n", encoding="utf-8")
    for other in c.rglob("*.yaml"):  # nothing may point at a private dataset
        if other != path and "budget-primitif-metropole" in other.read_text(encoding="utf-8"):
            other.unlink()


def rename_organization(c: Path) -> None:
    _edit(c / LIGEO / "organization.yaml", "name: ", "name: Réseau ")


def rename_user(c: Path) -> None:
    _edit(c / "users/alice-martin.yaml", "name: ", "name: Dr ")


def add_reuse(c: Path) -> None:
    source = next((c / LIGEO / "reuses").glob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"datasets:\n(  - .*\n)+", "datasets:\n  - arbres-alignement\n", text)
    (c / LIGEO / "reuses/zz-carte.yaml").write_text(text, encoding="utf-8")


def add_message(c: Path) -> None:
    source = next((c / MVL / "discussions").glob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    if "closed:" in text:
        text = re.sub(r"\nclosed(_by)?: .*", "", text)
    message = "  - author: alice-martin\n    posted: 2025-06-01T10:00:00+02:00\n    content: Merci.\n"
    text = text.rstrip("\n") + "\n" + message
    source.write_text(text, encoding="utf-8")


def add_link_checks(c: Path) -> None:
    (c / "links").mkdir(exist_ok=True)
    (c / "links/checks.csv").write_text(
        "url,checked,status,final_url,content_type,content_length,error\n", encoding="utf-8"
    )


PARKINGS_API = f"{MVL}/dataservices/api-parkings.yaml"


def edit_dataservice(c: Path) -> None:
    _edit(c / PARKINGS_API, "title: API de disponibilité", "title: API temps réel de disponibilité")


def edit_served_dataset(c: Path) -> None:
    """The dataset the parkings API serves: the API's page shows its card."""
    _edit(c / MVL / "datasets/parkings-disponibilite-temps-reel.yaml", "title: Disponibilité", "title: Occupation")


def add_dataservice(c: Path) -> None:
    text = (c / PARKINGS_API).read_text(encoding="utf-8")
    text = text.replace("datasets: [parkings-disponibilite-temps-reel]", "datasets: [arbres-alignement]")
    (c / LIGEO / "dataservices/aaa-api-arbres.yaml").write_text(text.replace("API Parkings", "API Arbres"))


def make_dataservice_private(c: Path) -> None:
    path = c / PARKINGS_API
    path.write_text(path.read_text(encoding="utf-8") + "private: true\n", encoding="utf-8")


def delete_dataservice(c: Path) -> None:
    (c / PARKINGS_API).unlink()


def change_site(c: Path) -> None:
    _edit(c / "site.yaml", "title: data.valdeloire", "title: data.loire")


def retitle_dataservice(c: Path) -> None:
    _edit(c / MVL / "dataservices/api-parkings.yaml", "title: API de", "title: Nouvelle API de")


def make_ligeo_dataservice_private(c: Path) -> None:
    path = c / LIGEO / "dataservices/api-temps-reel-ligeo.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "private: true\n", encoding="utf-8")


def make_served_dataset_private(c: Path) -> None:
    """An API serves a dataset that becomes private: the API stays, its link to the dataset goes."""
    path = c / LIGEO / "datasets/perturbations-reseau-ligeo.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "private: true\n", encoding="utf-8")


def add_theme(c: Path) -> None:
    (c / "theme/static").mkdir(parents=True)
    (c / "theme/static/extra.css").write_text("body { color: #111; }\n", encoding="utf-8")
    (c / "theme/404.html").write_text(
        '{% extends "default:404.html" %}{% block title %}Perdu{% endblock %}\n', encoding="utf-8"
    )
    _edit(c / "site.yaml", "branch: main", "branch: main\ntheme: theme")


CHANGES: list[Callable[[Path], None]] = [
    edit_dataset,
    edit_dataset_description,
    add_dataset,
    delete_dataset,
    move_dataset,
    make_private,
    rename_organization,
    rename_user,
    add_reuse,
    add_message,
    add_link_checks,
    edit_dataservice,
    edit_served_dataset,
    add_dataservice,
    make_dataservice_private,
    delete_dataservice,
    change_site,
    add_theme,
    retitle_dataservice,
    make_ligeo_dataservice_private,
    make_served_dataset_private,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_incremental_build_equals_full_build(example: Path, tmp_path: Path, change) -> None:
    site = tmp_path / "site"
    first = build(example, site)
    assert not first.incremental
    change(example)
    again = build(example, site)
    assert again.incremental
    assert again.written < first.files  # never the whole site for one change
    full = build(example, tmp_path / "full", full=True)
    assert not full.incremental
    assert files_of(site) == files_of(tmp_path / "full")


def test_then_a_theme_edit(example: Path, tmp_path: Path) -> None:
    add_theme(example)
    site = tmp_path / "site"
    build(example, site)
    _edit(example / "theme/404.html", "Perdu", "Introuvable")
    (example / "theme/static/extra.css").unlink()
    again = build(example, site)
    assert again.incremental and again.removed == 1
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")
    assert "Introuvable" in (site / "404.html").read_text(encoding="utf-8")


def test_changes_in_a_row(example: Path, tmp_path: Path) -> None:
    """Several rebuilds one after another, each from the state the previous one left."""
    site = tmp_path / "site"
    build(example, site)
    for change in (edit_dataset, add_reuse, move_dataset, rename_user, delete_dataset):
        change(example)
        assert build(example, site).incremental
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_a_warm_builder_as_serve_keeps_it(example: Path, tmp_path: Path) -> None:
    """One Builder for many rebuilds (portal serve): caches in memory, search index updated in the background."""
    site = tmp_path / "site"
    builder = Builder(example, site, warm=True)
    builder.build()
    changes = (edit_dataset, rename_organization, edit_served_dataset, edit_dataservice, add_dataset, add_theme)
    for change in (*changes, delete_dataset):
        change(example)
        assert builder.build().incremental
        builder.wait_for_search()
        build(example, tmp_path / "full", full=True)
        assert files_of(site) == files_of(tmp_path / "full"), change.__name__


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_no_change_renders_and_writes_nothing(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(example, site)
    before = _stamps(site)
    again = build(example, site)
    assert (again.incremental, again.rendered, again.written, again.removed) == (True, 0, 0, 0)
    assert _stamps(site) == before


def test_one_edit_renders_its_pages_and_leaves_other_files_alone(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = build(example, site)
    before, old = _stamps(site), files_of(site)
    edit_dataset(example)
    again = build(example, site)
    # the dataset page in two languages, listings and organization pages that show its card, the home page,
    # the dashboards: a few dozen pages of several hundred
    assert 0 < again.rendered < first.pages // 4
    after, new = _stamps(site), files_of(site)
    changed = {rel for rel in new if new[rel] != old.get(rel)}
    assert "datasets/arbres-alignement/index.html" in changed
    assert "en/datasets/arbres-alignement/index.html" in changed
    assert "api/datasets/arbres-alignement.json" in changed
    for rel, stamp in after.items():  # unchanged bytes: the very same file, not rewritten
        if rel not in changed:
            assert stamp == before[rel], rel
    assert cache.STAMP in changed  # the build state changed, so does its stamp in the site (not a page)
    changed.discard(cache.STAMP)
    assert len(changed) == again.written + sum(1 for rel in changed if rel.startswith("pagefind/"))


def test_an_api_edit_renders_its_page_the_datasets_it_serves_and_its_owner(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = build(example, site)
    old = files_of(site)
    edit_dataservice(example)
    again = build(example, site)
    assert again.incremental and 0 < again.rendered < first.pages // 4
    new = files_of(site)
    changed = {rel for rel in new if new[rel] != old.get(rel)}
    for prefix in ("", "en/"):
        for page in (
            "dataservices/api-parkings/",  # its page
            "dataservices/",  # the listing of APIs
            "datasets/parkings-disponibilite-temps-reel/",  # the dataset it serves shows its card
            "organizations/metropole-val-de-loire/",  # so does its owner's page
            "organizations/metropole-val-de-loire/dashboard/",  # and its owner's dashboard
        ):
            assert f"{prefix}{page}index.html" in changed, page
            assert "API temps réel de disponibilité" in (site / prefix / page / "index.html").read_text("utf-8")
    # a dataset it does not serve, another organization: untouched
    assert "datasets/arbres-alignement/index.html" not in changed
    assert "organizations/ligeo-mobilites/index.html" not in changed
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_a_large_staging_folder_is_left_to_a_detached_rm(example: Path, tmp_path: Path, monkeypatch) -> None:
    """What a reindex leaves in its staging folder (the bundle's unchanged files) is deleted after the build."""
    from generator import sink

    logged = tmp_path / "rm.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rm = bin_dir / "rm"  # the real rm, which says what it was given
    rm.write_text(f'#!/bin/sh\necho "$@" >> {logged}\nexec {shutil.which("rm")} "$@"\n')
    rm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(sink, "DETACHED_DELETE_FILES", 0)  # as large as a 50,000-dataset bundle
    site = tmp_path / "site"
    build(example, site)
    edit_dataset(example)
    assert build(example, site).incremental
    given = logged.read_text().split()
    assert any(re.search(r"/\.site\.search-[^/]*$", arg) for arg in given), given  # the reindex's staging folder
    deadline = time.monotonic() + 30
    while [p for p in tmp_path.iterdir() if p.name.startswith(".site.")] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == []
    _same_as_full(example, site, tmp_path, Builder(example, site))


def test_an_interrupted_commit_means_a_full_build(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(example, site)
    state = cache.BuildState.load(example, site)
    assert state is not None
    state.committing = True
    state.save(example, site)
    edit_dataset(example)
    assert not build(example, site).incremental
    assert build(example, site).incremental


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete-output"])
def test_a_damaged_cache_or_output_means_a_full_build(example: Path, tmp_path: Path, damage: str) -> None:
    site = tmp_path / "site"
    build(example, site)
    state_file = cache.BuildState.path(example, site)
    shard = next((cache.cache_dir(example) / "files").glob("0*.pickle"))
    if damage == "truncate":
        state_file.write_bytes(state_file.read_bytes()[:100])
        shard.write_bytes(shard.read_bytes()[:50])
    elif damage == "garbage":
        state_file.write_bytes(b"not a pickle")
        shard.write_bytes(b"\x80\x05garbage")
    else:
        shutil.rmtree(site)
    edit_dataset(example)
    result = build(example, site)
    assert not result.incremental
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_the_file_cache_notices_an_edit_that_keeps_the_size(example: Path, tmp_path: Path) -> None:
    """Same size, new bytes: the stat facts (mtime, ctime) change, so the file is read again."""
    site = tmp_path / "site"
    build(example, site)
    path = example / MVL / "datasets/arbres-alignement.yaml"
    old_stat = path.stat()
    _edit(path, "title: Arbres", "title: Arbrez")
    os.utime(path, ns=(old_stat.st_atime_ns, old_stat.st_mtime_ns))  # even with the old mtime back
    build(example, site)
    assert "Arbrez" in (site / "datasets/arbres-alignement/index.html").read_text(encoding="utf-8")


def test_invalid_content_leaves_site_and_state_alone(example: Path, tmp_path: Path) -> None:
    from generator.errors import ContentError

    site = tmp_path / "site"
    build(example, site)
    before = files_of(site)
    path = example / MVL / "datasets/arbres-alignement.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "licence: x\n", encoding="utf-8")
    with pytest.raises(ContentError):
        build(example, site)
    assert files_of(site) == before
    _edit(path, "licence: x\n", "")
    assert build(example, site).written == 0


def test_problems_from_the_file_cache_are_the_same(example: Path, tmp_path: Path, monkeypatch) -> None:
    """A file read from the cache gives the same problems, at the same lines, as a file read afresh."""
    from generator import validate as validate_module
    from generator.errors import ContentError

    site = tmp_path / "site"
    build(example, site)
    reuse = next((example / LIGEO / "reuses").glob("*.yaml"))
    text = reuse.read_text(encoding="utf-8")
    reuse.write_text(re.sub(r"datasets:\n  - ", "datasets:\n  - no-such-dataset\n  - ", text), encoding="utf-8")
    schema_error = example / MVL / "datasets/arbres-alignement.yaml"
    schema_error.write_text(schema_error.read_text(encoding="utf-8") + "licence: x\n", encoding="utf-8")
    for path in (reuse, schema_error):  # older than the cache by more than its 2 s "racily clean" margin
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    reports, parsed = [], []
    real = validate_module.check_file

    def counting(*args):
        parsed.append(args[1])
        return real(*args)

    monkeypatch.setattr(validate_module, "check_file", counting)
    for _ in range(2):
        parsed.clear()
        with pytest.raises(ContentError) as caught:
            build(example, site)
        reports.append([p.as_text() for p in caught.value.problems])
    assert parsed == []  # the second run read nothing: every document came from the cache
    assert reports[0] == reports[1]
    assert any("no-such-dataset" in line for line in reports[0])
    assert any("licence" in line for line in reports[0])


# --- quick rebuilds: a warm builder given the changed paths (portal serve's watcher) --------------------------

ARBRES = f"{MVL}/datasets/arbres-alignement.yaml"
PRIVATE = "organizations/diodp/datasets/tableau-de-bord-interne-diodp.yaml"


def _warm(example: Path, site: Path) -> Builder:
    builder = Builder(example, site, warm=True)
    builder.build()
    return builder


def _same_as_full(example: Path, site: Path, tmp_path: Path, builder: Builder) -> None:
    builder.wait_for_search()  # exports and search index follow the pages in the background
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    build(example, full, full=True)
    assert files_of(site) == files_of(full)


QUICK_EDITS: list[tuple[str, str, str]] = [
    (ARBRES, "title: Arbres", "title: Les arbres"),  # card, listings, reuse pages, exports
    (ARBRES, "Inventaire des", "Inventaire complet des"),  # description: Markdown
    (ARBRES, "files/arbres/arbres.csv", "files/arbres/arbres-2025.csv"),  # a resource's URL: redirect page
    (ARBRES, "format: geojson", "format: json"),  # formats shown on cards
    (PRIVATE, "title: ", "title: Interne - "),  # no page, but the dashboard and private exports
    ("users/oceane-perrin/datasets/", "title: ", "title: Le "),  # a user's dataset: the user page
    (f"{MVL}/datasets/parkings-disponibilite-temps-reel.yaml", "title: Disponibilité", "title: Occupation"),  # API page
]
QUICK_IDS = ["title", "description", "resource-url", "format", "private", "user", "served-by-an-api"]


@pytest.mark.parametrize("edit", QUICK_EDITS, ids=QUICK_IDS)
def test_a_quick_rebuild_equals_a_full_build(example: Path, tmp_path: Path, edit) -> None:
    rel, old, new = edit
    path = example / rel
    if path.is_dir():
        path = sorted(path.glob("*.yaml"))[0]
    site = tmp_path / "site"
    builder = _warm(example, site)
    before = _stamps(site)
    _edit(path, old, new)
    result = builder.build(changed=[path])
    assert result.quick and result.incremental
    _same_as_full(example, site, tmp_path, builder)
    changed = {rel for rel, stamp in _stamps(site).items() if stamp != before.get(rel)}
    assert len(changed) < len(before) // 4  # never more than what shows the dataset
    assert changed or rel == PRIVATE  # a private dataset's title shows nowhere
    # the state it saved is the site's: a later build from the disk has nothing to do
    again = build(example, site)
    assert (again.incremental, again.rendered, again.written, again.removed) == (True, 0, 0, 0)


def test_quick_rebuilds_in_a_row(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    builder = _warm(example, site)
    other = example / MVL / "datasets/points-apport-volontaire.yaml"
    for text in ("Arbres", "Grands arbres", "Arbres"):  # back to the start: the first pages again
        _edit(
            example / ARBRES,
            f"title: {builder.last.renderer.index.portal.datasets['arbres-alignement'].title}",
            f"title: {text}",
        )
        _edit(other, "title: ", "title: X")
        assert builder.build(changed=[example / ARBRES, str(other)]).quick
        _same_as_full(example, site, tmp_path, builder)
    rename_user(example)  # not a dataset: the ordinary rebuild, and quick ones after it again
    result = builder.build(changed=[example / "users/alice-martin.yaml"])
    assert result.incremental and not result.quick
    edit_dataset(example)
    assert builder.build(changed=[example / ARBRES]).quick
    _same_as_full(example, site, tmp_path, builder)


SLOW_CHANGES: list[tuple[Callable[[Path], None], str]] = [
    (add_dataset, f"{MVL}/datasets/aaa-nouveau.yaml"),  # a new file
    (make_private, "organizations/metropole-val-de-loire/datasets/budget-primitif-metropole.yaml"),  # shape
    (lambda c: _edit(c / ARBRES, "last_modified: 2025-03-02", "last_modified: 2025-09-02"), ARBRES),  # dates
    (lambda c: _edit(c / ARBRES, "  - id: ", "  - id: 0", 1), ARBRES),  # a resource id
    (rename_organization, f"{LIGEO}/organization.yaml"),  # not a dataset
    (edit_dataservice, PARKINGS_API),  # an API
    (add_theme, "theme/404.html"),
]


@pytest.mark.parametrize("change", SLOW_CHANGES, ids=["new", "private", "dates", "resource-id", "org", "api", "theme"])
def test_what_a_quick_rebuild_cannot_apply_gets_an_ordinary_one(example: Path, tmp_path: Path, change) -> None:
    function, rel = change
    site = tmp_path / "site"
    builder = _warm(example, site)
    function(example)
    result = builder.build(changed=[example / rel, example / "site.yaml"][: 2 if function is add_theme else 1])
    assert result.incremental and not result.quick
    _same_as_full(example, site, tmp_path, builder)


def test_a_quick_rebuild_of_invalid_content_keeps_the_site(example: Path, tmp_path: Path) -> None:
    from generator.errors import ContentError

    site = tmp_path / "site"
    builder = _warm(example, site)
    before = files_of(site)
    path = example / ARBRES
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "licence: x\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        builder.build(changed=[path])
    assert any(p.file.endswith("arbres-alignement.yaml") and p.line > 1 for p in caught.value.problems)
    assert files_of(site) == before
    path.write_text(original.replace("title: Arbres", "title: Les arbres"), encoding="utf-8")
    assert builder.build(changed=[path]).quick
    _same_as_full(example, site, tmp_path, builder)


def test_a_dataset_file_replaced_by_a_link_is_refused(example: Path, tmp_path: Path) -> None:
    """Content must not be read through a symbolic link: the quick path leaves it to validation."""
    from generator.errors import ContentError

    site = tmp_path / "site"
    builder = _warm(example, site)
    secret = tmp_path / "secret.yaml"
    shutil.copy(example / ARBRES, secret)
    _edit(secret, "title: Arbres", "title: Secret")
    (example / ARBRES).unlink()
    (example / ARBRES).symlink_to(secret)
    with pytest.raises(ContentError) as caught:
        builder.build(changed=[example / ARBRES])
    assert any(p.code == "symlink" for p in caught.value.problems)
    assert "Secret" not in (site / "datasets/arbres-alignement/index.html").read_text(encoding="utf-8")


def test_a_page_that_fails_in_a_quick_rebuild_leaves_the_next_build_to_the_ordinary_path(
    example: Path, tmp_path: Path, monkeypatch
) -> None:
    from generator import renderer

    site = tmp_path / "site"
    builder = _warm(example, site)
    real = renderer.Renderer.render

    def broken(self, page):
        raise renderer.BuildError("a broken template")

    monkeypatch.setattr(renderer.Renderer, "render", broken)
    edit_dataset(example)
    with pytest.raises(renderer.BuildError):
        builder.build(changed=[example / ARBRES])
    monkeypatch.setattr(renderer.Renderer, "render", real)
    edit_dataset_description(example)
    result = builder.build(changed=[example / ARBRES])
    assert result.incremental and not result.quick  # every key is compared again: the first edit too
    _same_as_full(example, site, tmp_path, builder)


def test_a_file_that_came_and_went_changes_nothing(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    builder = _warm(example, site)
    result = builder.build(changed=[example / MVL / "datasets/.arbres-alignement.yaml.swp"])
    assert (result.quick, result.rendered, result.written) == (True, 0, 0)


def test_an_unsaved_quick_rebuild_means_a_full_build(example: Path, tmp_path: Path) -> None:
    """Pages moved in, state not saved yet (the process was killed): the next build from the disk is full."""
    site = tmp_path / "site"
    builder = _warm(example, site)
    edit_dataset(example)
    builder.build(changed=[example / ARBRES])
    builder.wait_for_search()
    cache.BuildState.unsaved_marker(example, site).touch()
    assert not build(example, site).incremental
    assert not cache.BuildState.unsaved_marker(example, site).exists()
    assert build(example, site).incremental


def test_a_new_edit_stops_the_search_index_of_the_last_one(example: Path, tmp_path: Path, monkeypatch) -> None:
    """Pagefind takes minutes on a large portal: a second edit stops it rather than wait, and the index is owed."""
    import time

    from generator import search

    site = tmp_path / "site"
    builder = _warm(example, site)
    real_binary = search.pagefind_binary()
    started_file = tmp_path / "slow.pid"
    slow = tmp_path / "slow-pagefind"  # an indexer that would run for a minute
    slow.write_text(f"#!/bin/sh\necho $$ > {started_file}\nexec sleep 60\n")
    slow.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_binary", lambda: slow)
    edit_dataset(example)
    assert builder.build(changed=[example / ARBRES]).quick
    while not started_file.exists() or not started_file.read_text().strip():  # the background thread got there
        time.sleep(0.05)
    monkeypatch.setattr(search, "pagefind_binary", lambda: real_binary)
    _edit(example / ARBRES, "Inventaire des", "Inventaire complet des")
    started = time.perf_counter()
    assert builder.build(changed=[example / ARBRES]).quick
    assert time.perf_counter() - started < 10  # it did not wait for the minute
    with pytest.raises(ProcessLookupError):  # stopped, and reaped
        os.kill(int(started_file.read_text()), 0)
    _same_as_full(example, site, tmp_path, builder)  # the second rebuild indexed again: the index is whole
    assert not builder.search_owed
    assert not cache.BuildState.search_marker(example, site).exists()


def test_an_owed_search_index_is_made_by_the_next_build(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(example, site)
    pagefind = site / "pagefind"
    shutil.rmtree(pagefind)
    cache.BuildState.search_marker(example, site).touch()  # as an indexer killed with its process leaves it
    again = build(example, site)
    assert again.incremental and pagefind.is_dir()
    assert not cache.BuildState.search_marker(example, site).exists()


def test_a_fresh_checkout_parses_only_what_changed(example: Path, tmp_path: Path, monkeypatch) -> None:
    """Every file time new (a clone, a cache restored by CI), same bytes: the file cache recognises the files
    by their digest and parses none again but the one whose bytes changed."""
    from generator import validate as validate_module

    site = tmp_path / "site"
    build(example, site)
    files = sorted(example.rglob("*.yaml"))
    for path in files:
        os.utime(path, (time.time() + 30, time.time() + 30))
    edited = example / MVL / "datasets/arbres-alignement.yaml"
    _edit(edited, "title: Arbres", "title: Arbrez")
    parsed: list[str] = []
    real = validate_module.check_file

    def counting(*args):
        parsed.append(args[1])
        return real(*args)

    monkeypatch.setattr(validate_module, "check_file", counting)
    files_cache = cache.FileCache.load(example)
    report = validate_module.validate(example, cache=files_cache)
    assert not report.problems
    assert [Path(p).name for p in parsed] == ["arbres-alignement.yaml"]
    assert files_cache.by_content == len(files) - 1
    files_cache.save()
    parsed.clear()
    validate_module.validate(example, cache=cache.FileCache.load(example))
    assert parsed == []


def _restore_as_ci(saved: Path, target: Path) -> None:
    """What a CI cache restore does: the folder back at its path, new inodes, the files' times kept."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(saved, target, copy_function=shutil.copy2)


def _fresh_checkout(content: Path) -> None:
    """What a clone does: every content file written anew at the same path (same bytes, new times)."""
    fresh = content.with_name("clone")
    shutil.copytree(content, fresh, copy_function=shutil.copyfile)
    shutil.rmtree(content)
    fresh.rename(content)


def test_a_ci_job_with_the_site_and_cache_restored_builds_incrementally(example: Path, tmp_path: Path) -> None:
    """The CI scenario: a fresh clone, ``.portal-cache/`` and the previous site restored from the CI cache
    (new inodes), one dataset edited: an incremental build of that edit, equal to a full build."""
    site, kept = tmp_path / "site", tmp_path / "ci-cache"
    first = build(example, site)
    shutil.copytree(site, kept / "site", copy_function=shutil.copy2)
    shutil.copytree(cache.cache_dir(example), kept / "cache", copy_function=shutil.copy2)
    shutil.rmtree(site)
    shutil.rmtree(cache.cache_dir(example))
    _fresh_checkout(example)
    _restore_as_ci(kept / "site", site)
    _restore_as_ci(kept / "cache", cache.cache_dir(example))
    assert (site / cache.STAMP).is_file()
    edit_dataset(example)
    again = build(example, site)
    assert again.incremental and again.rendered < first.pages // 10
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_a_site_replaced_by_another_build_gets_a_full_build(example: Path, tmp_path: Path) -> None:
    """Another content folder's build swapped in at the same path (its stamp differs): the saved state does
    not describe it, so the next build makes everything anew rather than patch a foreign site."""
    site, other = tmp_path / "site", tmp_path / "other" / "content"
    build(example, site)
    shutil.copytree(example, other)
    edit_dataset(other)
    build(other, tmp_path / "other-site")
    shutil.rmtree(site)
    shutil.copytree(tmp_path / "other-site", site, copy_function=shutil.copy2)
    result = build(example, site)
    assert not result.incremental
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_the_memo_rewrites_only_the_shard_of_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "memo" / "rows.pickle"
    memo = cache.Memo.load(path, b"header")
    for number in range(200):
        assert memo.get(f"d{number}", number) is None
        memo.put(f"d{number}", number, f"row {number}")
    memo.save()
    files = sorted(path.parent.iterdir())
    assert len(files) == cache.SHARDS
    times = {p: p.stat().st_mtime_ns for p in files}
    time.sleep(0.01)
    memo = cache.Memo.load(path, b"header")
    for number in range(200):
        key = number + 1 if number == 7 else number  # one value's key changed
        if memo.get(f"d{number}", key) is None:
            memo.put(f"d{number}", key, "new row")
    memo.save()
    changed = [p for p in files if p.stat().st_mtime_ns != times[p]]
    assert len(changed) == 1
    again = cache.Memo.load(path, b"header")
    assert [again.get(f"d{n}", n + 1 if n == 7 else n) for n in (6, 7)] == ["row 6", "new row"]
    assert cache.Memo.load(path, b"another header").get("d6", 6) is None  # another global key: empty


class _probe:  # what _forked_probe needs, set by the test (the pool sends the function by name)
    marker: Path
    real: Callable


def _forked_probe(cut: int) -> dict:
    _probe.marker.write_text(str(cut))  # written by the child: the parent sees it only if the fork ran
    return _probe.real(cut)


def test_keys_computed_on_two_cores_are_those_of_one(example: Path, tmp_path: Path, monkeypatch) -> None:
    """A large one-shot build computes most page keys in a forked process: the same digests, so a rebuild
    after a serial build renders nothing, and after an edit what a serial build renders."""
    from generator import keys

    site, serial_site = tmp_path / "site", tmp_path / "serial"
    build(example, site, jobs=2)
    build(example, serial_site, jobs=2)
    marker = tmp_path / "forked"
    monkeypatch.setattr(_probe, "marker", marker, raising=False)
    monkeypatch.setattr(_probe, "real", keys._forked_page_keys, raising=False)
    monkeypatch.setattr(keys, "_forked_page_keys", _forked_probe)
    monkeypatch.setattr(keys, "FORKED_KEYS_PAGES", 1)
    again = build(example, site, jobs=2)
    assert int(marker.read_text()) > 0
    assert (again.incremental, again.rendered, again.written) == (True, 0, 0)
    edit_dataset(example)
    forked_result = build(example, site, jobs=2)
    monkeypatch.setattr(keys, "FORKED_KEYS_PAGES", 10**9)
    serial_result = build(example, serial_site, jobs=2)
    assert forked_result.rendered == serial_result.rendered > 0
    assert files_of(site) == files_of(serial_site)
