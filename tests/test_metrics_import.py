"""``portal metrics import``: real samples of each analytics format in, monthly counts out.

The samples (``tests/fixtures/analytics``, sources in its README) come from other sites, so each test
points a copy of the minimal portal at the sample's site: its ``base_url`` on the sample's host, and a
dataset whose resources are the sample's pages or files (a page the site hosts counts as a download of its
resource, as in combined logs). Portal pages (datasets, organizations, reuses, redirects) are then tested
with records of the same shapes.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import yaml

from generator import metrics
from generator.cli import dashboard as _registers_commands  # noqa: F401
from generator.cli import main
from generator.errors import UsageError

SAMPLES = Path(__file__).parent / "fixtures" / "analytics"
RESOURCE = "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40"  # of the minimal portal's dataset arrets-de-bus


def site_of_sample(portal: Path, host: str, urls: dict[str, str]) -> None:
    """Put the portal on ``host`` and give it a dataset whose resources are ``urls`` (id -> URL)."""
    site = portal / "site.yaml"
    site.write_text(site.read_text().replace("https://data.example.org/", f"https://{host}/"))
    source = portal / "organizations/ville-exemple/datasets/arrets-de-bus.yaml"
    dataset = yaml.safe_load(source.read_text())
    template = dataset["resources"][0]
    dataset["title"] = "Échantillon"
    dataset["resources"] = [{**template, "id": ident, "url": url} for ident, url in urls.items()]
    (source.parent / "echantillon.yaml").write_text(yaml.safe_dump(dataset, allow_unicode=True))


def month(portal: Path, name: str) -> str:
    return (portal / "metrics" / f"{name}.csv").read_text()


def run(portal: Path, fmt: str, *files: Path, period=None):
    if fmt in ("combined", "cloudfront", "cloudflare"):
        return metrics.ingest(portal, list(files), fmt=fmt)
    return metrics.import_reports(portal, fmt, list(files), period)


# --- each format from its real sample ---------------------------------------------------------------------


def test_cloudfront_sample(portal: Path) -> None:
    site_of_sample(portal, "d111111abcdef8.cloudfront.net", {"page": "https://d111111abcdef8.cloudfront.net/index.html",
                   "api": "https://d111111abcdef8.cloudfront.net/getApplications"})  # fmt: skip
    result = run(portal, "cloudfront", SAMPLES / "cloudfront-standard.log")
    # /index.html three times at 21:02:31, twice from the same client (one repeat); /getApplications from
    # HeadlessChrome (bots); 502s and a 404 (errors); POSTs and the two header lines (other)
    assert (result.lines, result.views, result.downloads) == (14, 0, 2)
    assert (result.repeated, result.bots, result.errors, result.ignored, result.malformed) == (1, 3, 4, 4, 0)
    assert result.months == ["2019-12"]
    assert month(portal, "2019-12") == "kind;id;views;downloads;source;period\nresource;page;0;2;cloudfront;\n"


def test_cloudflare_sample(portal: Path) -> None:
    result = run(portal, "cloudflare", SAMPLES / "cloudflare-logpush.log")
    assert (result.lines, result.ignored, result.views, result.downloads, result.months) == (2, 2, 0, 0, [])  # POSTs


def cloudflare_line(uri: str, stamp: object, ip: str = "175.16.199.0", bot: str = "Not Computed", **more) -> str:
    """A record of the Cloudflare sample turned into a GET of ``uri`` at ``stamp``."""
    record = json.loads((SAMPLES / "cloudflare-logpush.log").read_text().splitlines()[0])
    record.update(ClientRequestMethod="GET", ClientRequestURI=uri, EdgeStartTimestamp=stamp, ClientIP=ip,
                  BotScoreSrc=bot, **more)  # fmt: skip
    return json.dumps(record) + "\n"


def test_cloudflare_portal_pages(portal: Path, tmp_path: Path) -> None:
    log = tmp_path / "logpush.log.gz"
    lines = [
        cloudflare_line("/datasets/arrets-de-bus/", "2026-11-10T08:00:00Z"),
        cloudflare_line("/en/datasets/arrets-de-bus/", 1794297600, ip="198.51.100.7"),  # 2026-11-10, seconds
        cloudflare_line(f"/datasets/r/{RESOURCE}/", 1794297600123456789, ip="198.51.100.8"),  # nanoseconds
        cloudflare_line("/reuses/carte-des-arrets/", "2026-11-10T08:00:00Z", bot="Verified Bot"),
        cloudflare_line("/organizations/ville-exemple/", "2026-11-10T08:00:00Z", EdgeResponseStatus=404),
    ]
    log.write_bytes(gzip.compress("".join(lines).encode()))
    result = run(portal, "cloudflare", log)
    assert (result.views, result.downloads, result.bots, result.errors) == (2, 1, 1, 1)
    assert month(portal, "2026-11") == (
        "kind;id;views;downloads;source;period\n"
        "dataset;arrets-de-bus;2;0;cloudflare;\n"
        f"resource;{RESOURCE};0;1;cloudflare;\n"
    )


def test_goatcounter_sample(portal: Path) -> None:
    site_of_sample(portal, "www.arp242.net", {"light": "https://www.arp242.net/stupid-light.html",
                   "go": "https://www.arp242.net/static-go.html"})  # fmt: skip
    result = run(portal, "goatcounter", SAMPLES / "goatcounter-export.csv")
    assert (result.rows, result.views, result.downloads) == (2, 0, 2)  # the first row is an event
    assert result.periods == ["2020-12-01/2020-12-27"]
    assert month(portal, "2020-12") == (
        "kind;id;views;downloads;source;period\n"
        "resource;go;0;1;goatcounter;2020-12-01/2020-12-27\n"
        "resource;light;0;1;goatcounter;2020-12-01/2020-12-27\n"
    )


def test_plausible_sample(portal: Path) -> None:
    site_of_sample(portal, "lucky.numbers.com", {"a": "https://lucky.numbers.com/9874837495456455794",
                   "b": "https://lucky.numbers.com/14776416252794997127",
                   "c": "https://lucky.numbers.com/5878724061840196349"})  # fmt: skip
    result = run(portal, "plausible", SAMPLES / "imported_pages_20211230_20220101.csv")
    assert result.periods == ["2021-12-30/2021-12-31", "2022-01-01/2022-01-01"]  # from the file's name
    assert (result.rows, result.downloads, result.ignored) == (16, 47, 10)  # pageviews, not visitors
    assert month(portal, "2021-12").splitlines()[1:] == [
        "resource;a;0;33;plausible;2021-12-30/2021-12-31",
        "resource;b;0;12;plausible;2021-12-30/2021-12-31",  # 1 + 1 + 6 + 4 over two days
    ]
    assert month(portal, "2022-01").splitlines()[1:] == ["resource;c;0;2;plausible;2022-01-01/2022-01-01"]


def test_plausible_zip_export(portal: Path, tmp_path: Path) -> None:
    import zipfile

    site_of_sample(portal, "lucky.numbers.com", {"a": "https://lucky.numbers.com/9874837495456455794"})
    export = tmp_path / "Plausible export lucky.numbers.com.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("imported_visitors_20211230_20220101.csv", '"date","visitors"\n')
        archive.writestr(
            "imported_pages_20211230_20220101.csv", (SAMPLES / "imported_pages_20211230_20220101.csv").read_text()
        )
    assert run(portal, "plausible", export).downloads == 33


def matomo_site(portal: Path) -> None:
    site_of_sample(portal, "prism.northwestern.edu", {
        "record": "https://prism.northwestern.edu/records/3s45v-k5m55",
        "pnb-75": "https://prism.northwestern.edu/records/paah4-s0w35/files/PNB-7-75.txt?download=1",
        "pnb-76": "https://prism.northwestern.edu/records/t8k1h-p8435/files/PNB 7 76.txt?download=1",
    })  # fmt: skip


AUGUST_FIRST = (__import__("datetime").date(2024, 8, 1),) * 2


@pytest.mark.parametrize("sample", ["matomo-getPageUrls-2024-08-01.json", "matomo-getPageUrls-2024-08-01.csv"])
def test_matomo_pages_sample(portal: Path, sample: str) -> None:
    matomo_site(portal)
    with pytest.raises(UsageError, match="does not say which days"):
        run(portal, "matomo-pages", SAMPLES / sample)
    result = run(portal, "matomo-pages", SAMPLES / sample, period=AUGUST_FIRST)
    assert (result.rows, result.downloads, result.ignored) == (2, 4, 1)  # nb_hits (4), not nb_visits (3); "/"
    assert month(portal, "2024-08").splitlines()[1:] == ["resource;record;0;4;matomo-pages;2024-08-01/2024-08-01"]


def test_an_empty_matomo_report_replaces_an_earlier_import(portal: Path, tmp_path: Path) -> None:
    matomo_site(portal)
    run(portal, "matomo-pages", SAMPLES / "matomo-getPageUrls-2024-08-01.json", period=AUGUST_FIRST)
    empty = tmp_path / "empty.csv"
    empty.write_text("No data available")  # Matomo's CSV answer for a period without data
    result = run(portal, "matomo-pages", empty, period=AUGUST_FIRST)
    assert (result.rows, result.replaced) == (0, ["2024-08-01/2024-08-01"])
    assert month(portal, "2024-08") == "kind;id;views;downloads;source;period\n"


def test_matomo_report_of_several_days(portal: Path) -> None:
    matomo_site(portal)
    result = run(portal, "matomo-pages", SAMPLES / "matomo-getPageUrls-days.json")
    assert result.periods == ["2024-08-01/2024-08-02"]  # the day without a row is part of the period
    assert month(portal, "2024-08").splitlines()[1:] == ["resource;record;0;4;matomo-pages;2024-08-01/2024-08-02"]


def test_matomo_downloads_sample(portal: Path) -> None:
    matomo_site(portal)
    result = run(portal, "matomo-downloads", SAMPLES / "matomo-getDownloads-2024-08-01.json", period=AUGUST_FIRST)
    assert month(portal, "2024-08").splitlines()[1:] == [  # Matomo's labels are host/path: matched to resource URLs
        "resource;pnb-75;0;1;matomo-downloads;2024-08-01/2024-08-01",
        "resource;pnb-76;0;1;matomo-downloads;2024-08-01/2024-08-01",
    ]
    assert result.downloads == 2


# --- portal pages, the site's base path, languages --------------------------------------------------------


def matomo_report(rows: dict[str, int], flat_labels: bool = False) -> str:
    key = "label" if flat_labels else "url"
    return json.dumps([{"label": target, key: target, "nb_hits": n, "nb_visits": 1} for target, n in rows.items()])


HOST = "data.example.org"


def test_report_targets_map_to_portal_pages(portal: Path, tmp_path: Path) -> None:
    site = portal / "site.yaml"
    site.write_text(site.read_text().replace("https://data.example.org/", "https://data.example.org/portail/"))
    report = tmp_path / "pages.json"
    report.write_text(json.dumps([
        {"label": "arrets-de-bus", "url": f"https://{HOST}/portail/datasets/arrets-de-bus/", "nb_hits": 7},
        {"label": "/portail/en/datasets/arrets-de-bus/index", "nb_hits": 3},  # Matomo's name of a URL ending in /
        {"label": "/portail/organizations/ville-exemple/", "nb_hits": 5},
        {"label": "/portail/reuses/carte-des-arrets/?utm_source=x", "nb_hits": 2},
        {"label": f"/portail/datasets/r/{RESOURCE}/", "nb_hits": 4},  # the redirect page: a download
        {"label": "/datasets/arrets-de-bus/", "nb_hits": 100},  # outside the base path
        {"label": "/portail/datasets/page/2/", "nb_hits": 100},  # a listing
    ]))  # fmt: skip
    result = run(portal, "matomo-pages", report, period=(AUGUST_FIRST[0], AUGUST_FIRST[0].replace(day=31)))
    assert (result.views, result.downloads, result.ignored) == (17, 4, 2)
    assert month(portal, "2024-08").splitlines()[1:] == [
        "dataset;arrets-de-bus;10;0;matomo-pages;2024-08-01/2024-08-31",
        "organization;ville-exemple;5;0;matomo-pages;2024-08-01/2024-08-31",
        f"resource;{RESOURCE};0;4;matomo-pages;2024-08-01/2024-08-31",
        "reuse;carte-des-arrets;2;0;matomo-pages;2024-08-01/2024-08-31",
    ]
    assert metrics.load(portal)["2024-08"][("dataset", "arrets-de-bus")] == [10, 0]


# --- idempotence --------------------------------------------------------------------------------------------


NOVEMBER = (__import__("datetime").date(2026, 11, 1), __import__("datetime").date(2026, 11, 30))


def test_a_report_imported_twice_counts_once(portal: Path, tmp_path: Path) -> None:
    report = tmp_path / "pages.json"
    report.write_text(matomo_report({"https://data.example.org/datasets/arrets-de-bus/": 7}))
    run(portal, "matomo-pages", report, period=NOVEMBER)
    before = month(portal, "2026-11")
    again = run(portal, "matomo-pages", report, report, period=NOVEMBER)
    assert again.replaced == ["2026-11-01/2026-11-30"]
    assert month(portal, "2026-11") == before
    assert "dataset;arrets-de-bus;7;0;matomo-pages;2026-11-01/2026-11-30" in before


def test_a_longer_period_replaces_the_shorter_one(portal: Path, tmp_path: Path) -> None:
    import datetime as dt

    first_half, second_half, whole = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    first_half.write_text(matomo_report({"/datasets/arrets-de-bus/": 4}, flat_labels=True))
    second_half.write_text(matomo_report({"/datasets/arrets-de-bus/": 6}, flat_labels=True))
    whole.write_text(matomo_report({"/datasets/arrets-de-bus/": 11}, flat_labels=True))
    run(portal, "matomo-pages", first_half, period=(dt.date(2026, 11, 1), dt.date(2026, 11, 15)))
    run(portal, "matomo-pages", second_half, period=(dt.date(2026, 11, 16), dt.date(2026, 11, 30)))
    assert metrics.load(portal)["2026-11"][("dataset", "arrets-de-bus")] == [10, 0]  # disjoint periods add up
    result = run(portal, "matomo-pages", whole, period=NOVEMBER)  # month to date, then the whole month
    assert result.replaced == ["2026-11-01/2026-11-15", "2026-11-16/2026-11-30"]
    assert metrics.load(portal)["2026-11"][("dataset", "arrets-de-bus")] == [11, 0]


def test_a_partial_overlap_is_refused_and_writes_nothing(portal: Path, tmp_path: Path) -> None:
    import datetime as dt

    report = tmp_path / "pages.json"
    report.write_text(matomo_report({"/datasets/arrets-de-bus/": 4}, flat_labels=True))
    run(portal, "matomo-pages", report, period=(dt.date(2026, 11, 1), dt.date(2026, 11, 15)))
    before = month(portal, "2026-11")
    with pytest.raises(UsageError, match="overlaps the matomo-pages import of 2026-11-01/2026-11-15"):
        run(portal, "matomo-pages", report, period=(dt.date(2026, 11, 10), dt.date(2026, 11, 20)))
    assert month(portal, "2026-11") == before


def test_sources_are_kept_apart(portal: Path, tmp_path: Path) -> None:
    report = tmp_path / "pages.json"
    report.write_text(matomo_report({"/datasets/arrets-de-bus/": 4}, flat_labels=True))
    run(portal, "matomo-pages", report, period=NOVEMBER)
    log = tmp_path / "cf.log"
    log.write_text(cloudflare_line("/datasets/arrets-de-bus/", "2026-11-10T08:00:00Z"))
    run(portal, "cloudflare", log)
    run(portal, "cloudflare", log)  # the ledger: a log counts once
    run(portal, "matomo-pages", report, period=NOVEMBER)  # replaces its own import only
    assert month(portal, "2026-11").splitlines()[1:] == [
        "dataset;arrets-de-bus;1;0;cloudflare;",
        "dataset;arrets-de-bus;4;0;matomo-pages;2026-11-01/2026-11-30",
    ]
    assert metrics.load(portal)["2026-11"][("dataset", "arrets-de-bus")] == [5, 0]


def test_logs_written_before_sources_were_recorded_are_read_as_combined(portal: Path) -> None:
    (portal / "metrics").mkdir()
    (portal / "metrics" / "2026-10.csv").write_text("kind;id;views;downloads\ndataset;arrets-de-bus;3;0\n")
    assert metrics.read_rows(portal / "metrics" / "2026-10.csv") == {
        ("dataset", "arrets-de-bus", "combined", ""): [3, 0]
    }
    assert metrics.load(portal)["2026-10"] == {("dataset", "arrets-de-bus"): [3, 0]}


# --- privacy ---------------------------------------------------------------------------------------------


def test_nothing_personal_is_written(portal: Path) -> None:
    run(portal, "cloudfront", SAMPLES / "cloudfront-standard.log")
    run(portal, "cloudflare", SAMPLES / "cloudflare-logpush.log")
    run(portal, "goatcounter", SAMPLES / "goatcounter-export.csv")
    run(portal, "plausible", SAMPLES / "imported_pages_20211230_20220101.csv")
    run(portal, "matomo-pages", SAMPLES / "matomo-getPageUrls-days.json")
    written = b"".join(p.read_bytes() for p in (portal / "metrics").rglob("*") if p.is_file())
    for secret in ("89.160.20.112", "2a02:cf40", "175.16.199.0", "81.2.69.143", "Mozilla", "curl", "Chrome",
                   "Safari", "287fb97cbed4e4f", "reddit", "AR", "RO", "Windows", "example.com"):  # fmt: skip
        assert secret.encode() not in written, secret


# --- bad input: an error naming the file and line, nothing written ----------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        ("matomo-pages", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "pages.dat:1: not UTF-8 text"),
        ("matomo-pages", b"\xff\xfel\x00a\x00b", "pages.dat:1: not UTF-16-LE text"),  # truncated spreadsheet CSV
        ("matomo-pages", b"12", "pages.dat:1: not a Matomo report"),
        ("matomo-pages", b'[{"label": "/a", "nb_hits": 1},\n {"label": "/b", "nb', "pages.dat:2: invalid or truncated"),
        ("matomo-pages", b'{"result":"error","message":"You can\'t access this resource"}', "Matomo answered an error"),
        ("matomo-pages", b'[{"label": "datasets", "nb_hits": 9, "idsubdatatable": 3}]', "flat report (flat=1)"),
        ("matomo-downloads", b"label,nb_visits\n/a,1\n", "pages.dat:1: not a Matomo report"),
        ("plausible", b'"date","visitors","pageviews","page"\n"2021-12-30",1\n', "pages.dat:2: 2 fields where"),
        ("plausible", b'"date","pageviews","page"\n"2021-12-30",1,"/"\n"yesterday",1,"/"\n', "pages.dat:3: not a date"),
        ("matomo-pages", b'label,nb_hits\n/a,1\r\n"x" y\rz,1\n', "pages.dat:3: not CSV"),  # a stray carriage return
        ("goatcounter", b"Path,Title\n/a,b\n", "pages.dat:1: not a GoatCounter export"),
        ("goatcounter", b"2Path,Event,Bot,Date\n/a,0,0,2026-11-01T10:00:00Z\n/b,0\n", "pages.dat:3: 2 fields"),
        ("cloudflare", b'{"ClientRequestMethod":"GET"}\n{"trunc\n', "pages.dat:1: not a Logpush http_requests record"),
        ("cloudflare", b'{"ClientRequestMethod":"GET","ClientRequestURI":"/","EdgeResponseStatus":200,'
                       b'"EdgeStartTimestamp":1}\n{"trunc\n', "pages.dat:2: not a JSON object"),
        ("cloudfront", b'{"ClientRequestMethod":"GET"}\n', "pages.dat:1: not a CloudFront standard log line"),
        ("cloudfront", b"#Version: 1.0\n\x00\x00\x00\n", "pages.dat is not an access log (it holds binary data)"),
        ("combined", b'{"ClientRequestMethod":"GET"}\n{"a": 1}\n', "pages.dat:1: no line is a combined-format"),
    ],
)  # fmt: skip
def test_bad_input_is_an_error_naming_file_and_line(
    portal: Path, tmp_path: Path, runner, fmt, content, message
) -> None:
    bad = tmp_path / "pages.dat"
    bad.write_bytes(content)
    good = tmp_path / "good.json"
    good.write_text(matomo_report({"/datasets/arrets-de-bus/": 4}, flat_labels=True))
    files = [str(good), str(bad)] if fmt == "matomo-pages" else [str(bad)]
    args = ["metrics", "import", "--content", str(portal), "--format", fmt, *files]
    if fmt.startswith("matomo"):
        args[6:6] = ["--month", "2026-11"]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (portal / "metrics").exists()  # the good file before it was not written either


@pytest.mark.parametrize(
    ("fmt", "sample"),
    [("cloudfront", "cloudfront-standard.log"), ("cloudflare", "cloudflare-logpush.log"),
     ("goatcounter", "goatcounter-export.csv"), ("plausible", "imported_pages_20211230_20220101.csv"),
     ("matomo-pages", "matomo-getPageUrls-days.json"), ("matomo-pages", "matomo-getPageUrls-2024-08-01.csv")],
)  # fmt: skip
def test_damaged_samples_import_or_fail_cleanly(portal: Path, tmp_path: Path, fmt: str, sample: str) -> None:
    """Truncated, flipped or inserted bytes: an import, or a UsageError (file and line), never a crash."""
    import random

    rng = random.Random(sample)
    data = (SAMPLES / sample).read_bytes()
    for attempt in range(25):
        damaged = bytearray(data)
        where = rng.randrange(len(damaged))
        if attempt % 3 == 0:
            del damaged[where:]
        elif attempt % 3 == 1:
            damaged[where] = rng.randrange(256)
        else:
            damaged[where:where] = bytes(rng.randrange(256) for _ in range(4))
        path = tmp_path / f"damaged-{attempt}"
        path.write_bytes(bytes(damaged))
        try:
            run(portal, fmt, path, period=None if "days" in sample or not fmt.startswith("matomo") else AUGUST_FIRST)
        except UsageError as exc:
            assert str(path) in str(exc)  # the message names the file


def test_cli(portal: Path, tmp_path: Path, runner) -> None:
    report = tmp_path / "pages.json"
    report.write_text(matomo_report({"/datasets/arrets-de-bus/": 4}, flat_labels=True))
    base = ["metrics", "import", "--content", str(portal)]
    result = runner.invoke(main, [*base, "--format", "matomo-pages", "--month", "2026-11", str(report)])
    assert result.exit_code == 0, result.output
    assert "4 views and 0 downloads counted for 2026-11-01/2026-11-30" in result.output
    again = runner.invoke(main, [*base, "--format", "matomo-pages", "--from", "2026-11-01", "--to", "2026-11-30",
                                 str(report)])  # fmt: skip
    assert "replaced the earlier import of 2026-11-01/2026-11-30" in again.output
    for wrong in (["--from", "2026-11-01"], ["--month", "2026-11", "--from", "2026-11-01", "--to", "2026-11-02"],
                  ["--from", "2026-11-05", "--to", "2026-11-01"]):  # fmt: skip
        assert runner.invoke(main, [*base, "--format", "matomo-pages", *wrong, str(report)]).exit_code == 2
    log = runner.invoke(
        main, [*base, "--format", "cloudfront", "--month", "2026-11", str(SAMPLES / "cloudfront-standard.log")]
    )
    assert log.exit_code == 2 and "logs carry their own dates" in log.output
    cdn = runner.invoke(main, [*base, "--format", "cloudfront", str(SAMPLES / "cloudfront-standard.log")])
    assert cdn.exit_code == 0 and "1 log(s), 14 lines" in cdn.output


# --- the example portal ---------------------------------------------------------------------------------


def test_the_example_portal_ships_metrics_that_its_dashboards_chart(tmp_path: Path) -> None:
    from conftest import PROJECT

    from generator.build import build

    content = PROJECT / "content"
    months = metrics.load(content)
    assert len(months) >= 6
    known = {("organization", p.name) for p in (content / "organizations").iterdir()}
    for pattern, kind in (("*/*/datasets/*.yaml", "dataset"), ("*/*/reuses/*.yaml", "reuse")):
        known |= {(kind, p.stem) for p in content.glob(pattern)}
    known |= {
        ("resource", r["id"])
        for p in content.glob("*/*/datasets/*.yaml")
        for r in yaml.safe_load(p.read_text()).get("resources") or []
    }
    assert all(key in known for rows in months.values() for key in rows)  # every row is a page of the portal
    build(content, tmp_path / "site")
    for page in ("organizations/diodp/dashboard/index.html", "dashboard/index.html", "en/dashboard/index.html"):
        html = (tmp_path / "site" / page).read_text()
        assert html.count("<svg") == 2, page  # page views and downloads per month
        for name in months:
            assert re.search(rf"<title[^>]*>{name}: [1-9]", html), (page, name)  # a bar for every month, not zero
