"""``portal build``: golden output, links under a sub-path, atomicity, determinism, languages, privacy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HERE, PROJECT
from site_helpers import broken_links, files_of, tags_of

from generator.build import build
from generator.cache import STAMP
from generator.cli import main
from generator.errors import ContentError
from generator.renderer import BuildError

GOLDEN = HERE / "golden"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_golden_site(portal: Path, tmp_path: Path) -> None:
    """The minimal portal renders exactly as tests/golden/ (PORTAL_REGEN_GOLDEN=1 rewrites it)."""
    out = tmp_path / "site"
    build(portal, out)
    # The build-state stamp digests the generator's own code, so it changes with every commit that touches
    # the generator: the golden site checks that it is there, in its form, not its bytes.
    stamp = (out / STAMP).read_text()
    assert re.fullmatch(r"[0-9a-f]{32}", stamp), stamp
    (out / STAMP).unlink()
    if os.environ.get("PORTAL_REGEN_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    expected, actual = files_of(GOLDEN), files_of(out)
    assert sorted(actual) == sorted(expected)
    for name, content in expected.items():
        assert actual[name] == content, f"{name} differs from tests/golden (PORTAL_REGEN_GOLDEN=1 to accept)"


def test_every_internal_link_resolves_under_a_sub_path(tmp_path: Path) -> None:
    base = "https://example.org/portal/"
    out = tmp_path / "site"
    build(PROJECT / "content", out, base_url=base)
    assert (out / "index.html").is_file() and (out / "en" / "index.html").is_file()
    assert broken_links(out, base) == []
    home = (out / "index.html").read_text()
    assert 'href="/portal/datasets/"' in home
    assert 'href="/portal/static/style.css"' in home
    assert '<link rel="alternate" hreflang="en" href="https://example.org/portal/en/">' in home


def test_example_portal_has_every_kind_of_page(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(PROJECT / "content", out)
    for path in [
        "index.html",
        "404.html",
        "en/404.html",
        "organizations/index.html",
        "organizations/diodp/index.html",
        "organizations/diodp/dashboard/index.html",
        "datasets/index.html",
        "datasets/plui-val-de-loire/index.html",
        "reuses/index.html",
        "users/karima-haddad/index.html",
        "en/datasets/plui-val-de-loire/index.html",
    ]:
        assert (out / path).is_file(), path
    page = (out / "datasets/plui-val-de-loire/index.html").read_text()
    assert "https://github.com/example/portal/edit/main/content/organizations/" in page
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in page
    assert "Qualité des métadonnées" in page


def test_private_datasets_are_published_nowhere(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(PROJECT / "content", out)
    everything = b"".join(files_of(out).values())
    assert b"tableau-de-bord-interne-diodp" not in everything
    assert not (out / "datasets" / "tableau-de-bord-interne-diodp").exists()


def test_languages_default_at_root_other_under_prefix(portal: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(portal, out)
    fr = (out / "datasets/arrets-de-bus/index.html").read_text()
    en = (out / "en/datasets/arrets-de-bus/index.html").read_text()
    assert '<html lang="fr">' in fr and '<html lang="en">' in en
    assert "Jeux de données" in fr and "Ressources" in fr and "1 mars 2024" in fr
    assert "Datasets" in en and "Resources" in en and "1 March 2024" in en
    assert "12,3\u00a0ko" in fr and "12.3\u00a0kB" in en
    assert 'hreflang="en" href="https://data.example.org/en/datasets/arrets-de-bus/"' in fr
    assert 'href="/en/datasets/arrets-de-bus/" hreflang="en"' in fr
    assert 'href="/datasets/arrets-de-bus/" hreflang="fr"' in en


def test_single_language_site_has_no_prefix(portal: Path, tmp_path: Path) -> None:
    site = portal / "site.yaml"
    site.write_text(site.read_text().replace("languages: [fr, en]", "languages: [en]"))
    out = tmp_path / "site"
    build(portal, out)
    assert not (out / "en").exists()
    assert "Datasets" in (out / "index.html").read_text()


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build(PROJECT / "content", tmp_path / "a")
    build(PROJECT / "content", tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_the_pool_writes_what_one_process_writes(tmp_path: Path, monkeypatch) -> None:
    """Forked workers, recycled every WORKER_TASKS tasks, and the Markdown prerendered before they fork, give
    the serial build's bytes (the example portal is below the pool's threshold: lowered here)."""
    from generator import renderer

    build(PROJECT / "content", tmp_path / "serial", jobs=1)
    monkeypatch.setattr(renderer, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(renderer, "WORKER_TASKS", 1)  # a fresh fork for every task: the most forks
    prerendered = []
    real = renderer.prerender_markdown
    monkeypatch.setattr(renderer, "prerender_markdown", lambda *a: prerendered.append(a) or real(*a))
    build(PROJECT / "content", tmp_path / "pool", jobs=2)
    assert prerendered, "the pool path did not run"
    assert files_of(tmp_path / "pool") == files_of(tmp_path / "serial")


def test_invalid_content_is_refused_and_the_previous_site_kept(portal: Path, tmp_path: Path, runner) -> None:
    out = tmp_path / "site"
    build(portal, out)
    before = files_of(out)
    write(portal / "users" / "paul.yaml", "name: Paul\nemails: [paul@example.org]\ntypo: 1\n")
    with pytest.raises(ContentError):
        build(portal, out)
    assert files_of(out) == before
    built = runner.invoke(main, ["build", "--content", str(portal), "--output", str(out)])
    validated = runner.invoke(main, ["validate", "--content", str(portal)])
    assert built.exit_code == 1 and validated.exit_code == 1
    assert built.output == validated.output
    assert "unknown-key" in built.output


def test_a_failing_render_leaves_the_previous_site_untouched(portal: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(portal, out)
    before = files_of(out)
    site = portal / "site.yaml"
    site.write_text(site.read_text() + "theme: theme\n")
    write(portal / "theme" / "dataset.html", "{{ no_such_variable }}")
    with pytest.raises(BuildError, match="dataset.html"):
        build(portal, out)
    assert files_of(out) == before
    # no temporary folder left (the build cache is not part of the site)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".portal-cache", "content", "site"]


def test_cli_build(portal: Path, tmp_path: Path, runner) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["build", "--content", str(portal), "--output", str(out), "--base-url", "https://x.org/a/"]
    )
    assert result.exit_code == 0, result.output
    assert "built" in result.output
    assert 'href="/a/datasets/"' in (out / "index.html").read_text()
    missing = runner.invoke(main, ["build", "--content", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_the_console_script_ends_a_build_without_freeing_its_plan(portal: Path, tmp_path: Path) -> None:
    """`portal build` ends with os._exit once its output is written and printed (freeing the plan object by
    object takes seconds on a large portal): the exit handlers do not run, the code and the output are kept.
    Other commands, and failed builds, end as usual."""
    script = (
        "import atexit, sys; atexit.register(lambda: print('exit handlers ran'));"
        "sys.argv[0] = 'portal'; from generator.cli import run; run()"
    )

    def portal_run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300)

    out = tmp_path / "out"
    built = portal_run("build", "--content", str(portal), "--output", str(out))
    assert built.returncode == 0 and built.stdout.startswith("built ") and "handlers ran" not in built.stdout
    assert (out / "index.html").is_file()
    rebuilt = portal_run("build", "--content", str(portal), "--output", str(out))  # incremental: the same exit
    assert rebuilt.returncode == 0 and "rebuilt" in rebuilt.stdout and "handlers ran" not in rebuilt.stdout
    validated = portal_run("validate", "--content", str(portal))
    assert validated.returncode == 0 and "exit handlers ran" in validated.stdout
    write(portal / "organizations/ville-exemple/datasets/broken.yaml", "title: [unclosed\n")
    refused = portal_run("build", "--content", str(portal), "--output", str(out))
    assert refused.returncode == 1 and "broken.yaml" in refused.stdout and "exit handlers ran" in refused.stdout


def test_theme_override_extends_the_stock_template(portal: Path, tmp_path: Path) -> None:
    site = portal / "site.yaml"
    site.write_text(site.read_text() + "theme: theme\n")
    write(
        portal / "theme" / "base.html",
        '{% extends "default:base.html" %}{% block footer %}{{ super() }}<p>Notre pied de page</p>{% endblock %}',
    )
    write(portal / "theme" / "static" / "extra.css", "body { color: black; }\n")
    out = tmp_path / "site"
    build(portal, out)
    page = (out / "datasets/arrets-de-bus/index.html").read_text()
    assert "<p>Notre pied de page</p>" in page and "Portail minimal" in page
    assert (out / "static" / "extra.css").is_file() and (out / "static" / "style.css").is_file()


def test_logos_are_copied_and_shown(portal: Path, tmp_path: Path) -> None:
    png = bytes.fromhex("89504e470d0a1a0a")  # a PNG signature is enough: the build copies bytes
    (portal / "organizations" / "ville-exemple" / "logo.png").write_bytes(png)
    out = tmp_path / "site"
    build(portal, out)
    assert (out / "organizations" / "ville-exemple" / "logo.png").read_bytes() == png
    imgs = [a for t, a in tags_of(out / "organizations/index.html") if t == "img"]
    assert imgs and imgs[0]["src"] == "/organizations/ville-exemple/logo.png" and imgs[0]["alt"] == ""


def test_large_dataset_and_listing_are_paginated(portal: Path, tmp_path: Path) -> None:
    datasets = portal / "organizations" / "ville-exemple" / "datasets"
    resources = "".join(
        f"  - id: res-{i:04d}\n    title: Fichier {i}\n    url: https://data.example.org/f/{i}.csv\n"
        f"    type: main\n    format: csv\n"
        for i in range(2500)
    )
    write(
        datasets / "enorme.yaml",
        "title: Énorme\ndescription: Beaucoup de fichiers.\nlicense: etalab-2.0\ncreated: 2020-01-01\n"
        f"last_modified: 2024-01-01\nresources:\n{resources}",
    )
    for i in range(25):
        write(
            datasets / f"jeu-{i:02d}.yaml",
            f"title: Jeu {i}\ndescription: Jeu.\nlicense: cc-by-4.0\ncreated: 2020-01-01\nlast_modified: 2024-01-01\n",
        )
    out = tmp_path / "site"
    build(portal, out)
    page = (out / "datasets/enorme/index.html").read_text()
    assert page.count('class="button button-small"') == 50
    assert (out / "datasets/enorme/resources/page/50/index.html").is_file()
    assert (out / "datasets/r/res-2499/index.html").is_file()
    assert (out / "organizations/ville-exemple/page/2/index.html").is_file()
    assert (out / "datasets/page/2/index.html").is_file()
    assert broken_links(out, "https://data.example.org/") == []


def test_a_frozen_heap_stays_frozen_until_the_outermost_use_ends() -> None:
    """The builder freezes its plan for the whole rendering; the render pools' own uses nest inside."""
    import gc

    from generator.renderer import frozen_heap

    with frozen_heap():
        outer = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert outer > 0 and gc.get_freeze_count() >= outer
    assert gc.get_freeze_count() == 0
