"""``portal serve`` end to end: a real process, a real file watcher, real HTTP on 127.0.0.1."""

from __future__ import annotations

import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
ARBRES = "organizations/metropole-val-de-loire/datasets/arbres-alignement.yaml"


class Served:
    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = re.search(r"on (http://127\.0\.0\.1:\d+/)", self.wait_for("serving")).group(1)

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """The next log line holding ``text`` (the lines before it are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "portal serve exited"
                continue
            if text in line:
                return line
        raise AssertionError(f"no log line with {text!r} after {timeout} s")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read().decode("utf-8")


PORTAL = [sys.executable, "-c", "from generator.cli import main; main()"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    """``portal serve`` on a copy of the example portal that ``portal build`` published into ``repo/_site``."""
    content = tmp_path / "repo" / "content"
    shutil.copytree(EXAMPLE, content)
    subprocess.run(
        [*PORTAL, "build", "--content", str(content), "--output", str(tmp_path / "repo" / "_site")], check=True
    )
    command = [*PORTAL, "serve", "--content", str(content), "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    server = None
    try:
        server = Served(process)
        yield server, content
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            process.kill()
            process.wait()
        if server is not None:
            server.reader.join(timeout=10)
        process.stderr.close()


def test_an_edit_is_served_by_a_quick_rebuild(served: tuple[Served, Path]) -> None:
    server, content = served
    page = server.get("datasets/arbres-alignement/")
    assert "<title>Arbres" in page and "__portal_reload" in page  # the live-reload script, added when served
    generation = int(server.get("__portal_reload"))
    path = content / ARBRES
    path.write_text(path.read_text(encoding="utf-8").replace("title: Arbres", "title: Platanes", 1), encoding="utf-8")
    line = server.wait_for("rebuilt", timeout=30)
    assert "exports and search index follow" in line  # the watcher's path gave a quick rebuild
    assert "<title>Platanes" in server.get("datasets/arbres-alignement/")
    assert int(server.get("__portal_reload")) > generation  # open pages reload


def test_an_invalid_edit_keeps_the_last_good_site(served: tuple[Served, Path]) -> None:
    server, content = served
    path = content / ARBRES
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "licence: x\n", encoding="utf-8")
    assert "arbres-alignement.yaml" in server.wait_for("arbres-alignement.yaml", timeout=30)  # the problem
    assert "<title>Arbres" in server.get("datasets/arbres-alignement/")
    path.write_text(original.replace("title: Arbres", "title: Platanes", 1), encoding="utf-8")
    server.wait_for("rebuilt", timeout=30)
    assert "<title>Platanes" in server.get("datasets/arbres-alignement/")


def test_the_preview_never_touches_the_published_site(served: tuple[Served, Path]) -> None:
    server, content = served
    published, preview = content.parent / "_site", content.parent / ".portal-cache" / "serve"
    assert server.url in (preview / "sitemap.xml").read_text(encoding="utf-8")
    for name in ("sitemap.xml", "catalog.ttl", "index.html"):
        text = (published / name).read_text(encoding="utf-8")
        assert "127.0.0.1" not in text and "https://data.example.fr/" in text, name
