"""``portal metrics ingest``: real access logs in, monthly counts out, nothing personal kept, idempotent."""

from __future__ import annotations

import gzip
from pathlib import Path

from generator import metrics
from generator.cli import dashboard as _registers_commands  # noqa: F401
from generator.cli import main

RESOURCE = "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40"  # of the minimal portal; its file is on data.example.org
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15"
IP = "203.0.113.77"


def hit(path: str, when: str = "10/Nov/2026:13:55:36 +0100", ip: str = IP, status: int = 200, ua: str = FIREFOX,
        method: str = "GET") -> str:  # fmt: skip
    return f'{ip} - - [{when}] "{method} {path} HTTP/1.1" {status} 5120 "https://example.org/" "{ua}"\n'


LOG = "".join(
    [
        hit("/datasets/arrets-de-bus/"),
        hit("/datasets/arrets-de-bus/", when="10/Nov/2026:13:55:50 +0100"),  # repeated within 30 s
        hit("/datasets/arrets-de-bus/?tab=resources", when="10/Nov/2026:13:56:40 +0100"),  # 50 s later: counts
        hit("/en/datasets/arrets-de-bus/index.html", ip="198.51.100.9", ua=SAFARI),  # other client, English
        hit("/organizations/ville-exemple/"),
        hit("/reuses/carte-des-arrets/"),
        hit(f"/datasets/r/{RESOURCE}/"),
        hit("/files/arrets.csv", when="10/Nov/2026:14:10:00 +0100", ip="198.51.100.10"),  # self-hosted file
        hit("/files/arrets.csv", when="31/Oct/2026:23:59:59 +0100", ip="198.51.100.10"),  # previous month
        hit("/datasets/arrets-de-bus/", ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        hit("/datasets/arrets-de-bus/", ua="curl/8.4.0"),
        hit("/datasets/arrets-de-bus/", ua="-"),
        hit("/datasets/inconnu/", status=404),
        hit("/datasets/arrets-de-bus/", status=500, ip="192.0.2.1"),
        hit("/datasets/arrets-de-bus", status=301, ip="192.0.2.2"),
        hit("/datasets/arrets-de-bus/", method="HEAD", ip="192.0.2.3"),
        hit("/datasets/page/2/", ip="192.0.2.4"),  # a listing page, not a dataset
        hit("/static/style.css"),
        "this is not a log line\n",
        '203.0.113.77 - - [10/Nov/2026:13:55:36 +0100] "GET /datasets/arrets-de-bus/\n',  # truncated
        '203.0.113.77 - - [99/Foo/2026:13:55:36 +0100] "GET /datasets/arrets-de-bus/ HTTP/1.1" 200 1 "-" "x"\n',
        "\n",
    ]
)


def write_log(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())
    return path


def test_counts_views_and_downloads_per_month(portal: Path, tmp_path: Path) -> None:
    result = metrics.ingest(portal, [write_log(tmp_path / "access.log", LOG)])
    assert result.months == ["2026-10", "2026-11"]
    november = (portal / "metrics" / "2026-11.csv").read_text()
    assert november == (
        "kind;id;views;downloads;source;period\n"
        "dataset;arrets-de-bus;3;0;combined;\n"
        "organization;ville-exemple;1;0;combined;\n"
        f"resource;{RESOURCE};0;2;combined;\n"
        "reuse;carte-des-arrets;1;0;combined;\n"
    )
    october = (portal / "metrics" / "2026-10.csv").read_text()
    assert october == f"kind;id;views;downloads;source;period\nresource;{RESOURCE};0;1;combined;\n"
    assert (result.views, result.downloads) == (5, 3)
    assert (result.bots, result.errors, result.repeated) == (3, 2, 1)
    assert result.malformed == 4  # garbage, truncated, impossible date, empty line: skipped, never fatal
    assert result.lines == LOG.count("\n")


def test_a_redirect_is_a_download_on_a_resource_address_and_never_a_view(portal: Path, tmp_path: Path) -> None:
    """With resource_redirects: rules (or an S3 website's redirect objects) the host answers a download with a
    302 itself: it counts, once per client in the window, while a page's 301 (to its folder URL) never does."""
    log = "".join(
        [
            hit(f"/datasets/r/{RESOURCE}/", status=302),
            hit(f"/datasets/r/{RESOURCE}/", status=302, when="10/Nov/2026:13:55:40 +0100"),  # repeated
            hit(f"/datasets/r/{RESOURCE}", status=301, ip="198.51.100.20"),  # to the folder URL: not yet a download
            hit(f"/datasets/r/{RESOURCE}/", status=302, ip="198.51.100.20", when="10/Nov/2026:13:55:37 +0100"),
            hit("/datasets/arrets-de-bus", status=301, ip="198.51.100.21"),
            hit(f"/datasets/r/{RESOURCE}/", status=304, ip="198.51.100.22"),
        ]
    )
    result = metrics.ingest(portal, [write_log(tmp_path / "access.log", log)])
    assert (result.views, result.downloads, result.repeated) == (0, 3, 1)
    november = (portal / "metrics" / "2026-11.csv").read_text()
    assert november == f"kind;id;views;downloads;source;period\nresource;{RESOURCE};0;3;combined;\n"


def test_nothing_personal_is_written(portal: Path, tmp_path: Path) -> None:
    metrics.ingest(portal, [write_log(tmp_path / "access.log", LOG)])
    written = b"".join(p.read_bytes() for p in (portal / "metrics").rglob("*") if p.is_file())
    for secret in (IP, "198.51.100.9", "198.51.100.10", "Firefox", "Safari", "Googlebot", "example.org/", "13:55"):
        assert secret.encode() not in written


def test_the_same_log_twice_counts_once(portal: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "access.log", LOG)
    metrics.ingest(portal, [log])
    before = (portal / "metrics" / "2026-11.csv").read_text()
    again = metrics.ingest(portal, [log, write_log(tmp_path / "access.log.1.gz", LOG)])  # again, and rotated
    assert (again.views, again.downloads) == (0, 0)
    assert again.already_ingested == 2 * LOG.count("\n")
    assert (portal / "metrics" / "2026-11.csv").read_text() == before


def test_a_grown_log_counts_only_its_new_lines(portal: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "access.log", hit("/reuses/carte-des-arrets/"))
    metrics.ingest(portal, [log])
    later = hit("/reuses/carte-des-arrets/", when="11/Nov/2026:08:00:00 +0100")
    last = hit("/reuses/carte-des-arrets/", when="12/Nov/2026:08:00:00 +0100")
    write_log(log, hit("/reuses/carte-des-arrets/") + later + last[:20])  # the last line is still being written
    result = metrics.ingest(portal, [log])
    assert (result.already_ingested, result.views) == (1, 1)
    assert "reuse;carte-des-arrets;2;0;combined;" in (portal / "metrics" / "2026-11.csv").read_text()
    write_log(log, hit("/reuses/carte-des-arrets/") + later + last)  # completed: a third hit
    assert metrics.ingest(portal, [log]).views == 1
    assert "reuse;carte-des-arrets;3;0;combined;" in (portal / "metrics" / "2026-11.csv").read_text()


def test_gzip_logs_and_new_counts_add_up(portal: Path, tmp_path: Path) -> None:
    metrics.ingest(portal, [write_log(tmp_path / "a.log.gz", hit("/organizations/ville-exemple/"))])
    other = hit("/organizations/ville-exemple/", ip="192.0.2.50", when="12/Nov/2026:10:00:00 +0000")
    metrics.ingest(portal, [write_log(tmp_path / "b.log", other)])
    assert "organization;ville-exemple;2;0;combined;" in (portal / "metrics" / "2026-11.csv").read_text()
    assert metrics.load(portal)["2026-11"][("organization", "ville-exemple")] == [2, 0]


def test_a_site_under_a_sub_path(portal: Path, tmp_path: Path) -> None:
    site = portal / "site.yaml"
    site.write_text(site.read_text().replace("https://data.example.org/", "https://data.example.org/portail/"))
    log = hit("/portail/datasets/arrets-de-bus/") + hit("/datasets/arrets-de-bus/", ip="192.0.2.8")
    result = metrics.ingest(portal, [write_log(tmp_path / "access.log", log)])
    assert (result.views, result.ignored) == (1, 1)


def test_cli(portal: Path, tmp_path: Path, runner) -> None:
    log = write_log(tmp_path / "access.log", LOG)
    result = runner.invoke(main, ["metrics", "ingest", "--content", str(portal), str(log)])
    assert result.exit_code == 0, result.output
    assert "5 views and 3 downloads" in result.output and "4 malformed" in result.output
    missing = runner.invoke(main, ["metrics", "ingest", "--content", str(portal), str(tmp_path / "nope.log")])
    assert missing.exit_code == 2
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    failed = runner.invoke(main, ["metrics", "ingest", "--content", str(portal), str(broken)])
    assert failed.exit_code == 2 and "cannot read the log" in failed.output


def test_a_binary_file_is_an_error_and_counts_nothing(portal: Path, tmp_path: Path, runner) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    packed = tmp_path / "archive.log.gz"
    packed.write_bytes(gzip.compress(image.read_bytes()))
    for path in (image, packed):
        result = runner.invoke(main, ["metrics", "ingest", "--content", str(portal), str(path)])
        assert result.exit_code == 2 and "is not an access log" in result.output, result.output
        assert "Traceback" not in result.output
    assert not (portal / "metrics").exists()
