"""The dashboards: built from the minimal portal plus metrics, link checks, discussions and harvest jobs."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from site_helpers import tags_of

from generator import dashboard
from generator.build import build
from generator.portal import load_portal
from generator.site_index import SiteIndex

RESOURCE = "0b6f3c2e-1a4d-4e8b-9c7a-2f5d8e1b3a40"
ORG = "organizations/ville-exemple"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def content(portal: Path) -> Path:
    """The minimal portal with two months of metrics, a link check, answered discussions and harvest jobs."""
    write(portal / "users/lea.yaml", "name: Léa Durand\nemails: [lea@example.org]\n")
    write(portal / "users/noe.yaml", "name: Noé <b>Petit</b>\nemails: [noe@example.org]\n")
    # opened by an outsider, answered by a member 6 hours later, closed
    write(
        portal / f"{ORG}/discussions/format.yaml",
        "subject: arrets-de-bus\ntitle: Quel format ?\nclosed: 2024-04-20T10:00:00Z\nclosed_by: marie\nmessages:\n"
        "  - {author: lea, posted: '2024-04-10T08:00:00Z', content: Question}\n"
        "  - {author: marie, posted: '2024-04-10T14:00:00Z', content: Réponse}\n",
    )
    # opened by an outsider, answered 2 days later, still open
    write(
        portal / f"{ORG}/discussions/mise-a-jour.yaml",
        "subject: carte-des-arrets\nsubject_type: reuse\ntitle: Mise à jour ?\nmessages:\n"
        "  - {author: noe, posted: '2024-04-01T10:00:00Z', content: Quand ?}\n"
        "  - {author: paul, posted: '2024-04-03T10:00:00Z', content: Bientôt.}\n"
        "  - {author: noe, posted: '2024-04-05T10:00:00Z', content: Merci}\n",
    )
    # opened by an outsider, never answered
    write(
        portal / f"{ORG}/discussions/licence.yaml",
        "subject: arrets-de-bus\ntitle: Licence ?\nmessages:\n"
        "  - {author: lea, posted: '2024-04-20T10:00:00Z', content: Laquelle ?}\n",
    )
    january = f"kind;id;views;downloads\ndataset;arrets-de-bus;10;0\nresource;{RESOURCE};0;4\n"
    write(portal / "metrics/2024-01.csv", january)
    write(
        portal / "metrics/2024-03.csv",
        "kind;id;views;downloads\ndataset;arrets-de-bus;25;0\norganization;ville-exemple;7;0\n"
        f"resource;{RESOURCE};0;6\nreuse;carte-des-arrets;3;0\ndataset;private-or-gone;999;0\n",
    )
    write(
        portal / "links/checks.csv",
        "resource;url;status;final_url;redirects;content_type;size;checked_at;error\n"
        f"{RESOURCE};https://data.example.org/files/arrets.csv;200;https://data.example.org/files/arrets.csv;;"
        "text/csv;99999;2024-05-01T00:00:00Z;\n",
    )
    jobs = portal / f"{ORG}/harvesters/catalogue/jobs"
    write(
        jobs / "2024-04-01.yaml",
        "harvester: catalogue\nstarted: 2024-04-01T02:00:00Z\nended: 2024-04-01T02:05:00Z\nstatus: done-errors\n"
        "counts: {created: 3, updated: 2, unchanged: 10, archived: 1, deleted: 0, skipped: 0, failed: 1}\n"
        "items:\n  - {remote_id: a1, status: created}\n"
        "  - {remote_id: '<b2>', status: failed, error: 'HTTP 500 <boom>'}\n",
    )
    write(
        jobs / "2024-04-08.yaml",
        "harvester: catalogue\nstarted: 2024-04-08T02:00:00Z\nended: 2024-04-08T02:00:05Z\nstatus: failed\n"
        "error: catalogue unreachable\n"
        "counts: {created: 0, updated: 0, unchanged: 0, archived: 0, deleted: 0, skipped: 0, failed: 0}\n",
    )
    old = "backend: ckan\nurl: https://old.example.org/api/3\nactive: false\n"
    write(portal / f"{ORG}/harvesters/ancien.yaml", old)
    return portal


@pytest.fixture
def index(content: Path) -> SiteIndex:
    portal, content_dir = load_portal(content)
    return SiteIndex(portal, content_dir)


def text_of(page: Path) -> str:
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html.unescape(raw).split())


def test_organization_dashboard_numbers(index: SiteIndex) -> None:
    org = index.portal.organizations["ville-exemple"]
    ctx = dashboard.organization_dashboard(index, org)
    assert ctx["reference_date"] == dt.date(2024, 5, 1)  # the newest date of the content: the pending request
    t = ctx["totals"]
    assert (t["datasets"], t["resources"], t["reuses"], t["reuses_using"]) == (1, 1, 1, 1)
    assert (t["members"], t["requests"]) == (2, 1)
    assert (t["discussions_open"], t["discussions"]) == (3, 4)
    assert (t["views"], t["downloads"]) == (35 + 7 + 3, 10)  # private-or-gone is not published, not counted
    assert [(r["dataset"].slug, r["views"], r["downloads"], r["reuses"]) for r in ctx["dataset_rows"]] == [
        ("arrets-de-bus", 35, 10, 1)
    ]
    assert [(r["resource"].id, r["downloads"], r["link"]) for r in ctx["resource_rows"]] == [(RESOURCE, 10, "ok")]
    assert [(r["reuse"].slug, r["views"], r["own"]) for r in ctx["reuse_rows"]] == [("carte-des-arrets", 3, True)]
    assert ctx["requests"][0]["age_days"] == 0 and ctx["requests"][0]["request"].user == "robot"


def test_response_rate_and_median_time(index: SiteIndex) -> None:
    ctx = dashboard.organization_dashboard(index, index.portal.organizations["ville-exemple"])
    r = ctx["responsiveness"]
    assert (r.asked, r.answered, r.rate, r.median_hours) == (3, 2, 2 / 3, 27.0)  # median of 6 h and 48 h
    opened = {t.discussion.id: t for t in ctx["open_threads"]}
    assert opened["mise-a-jour"].answered and not opened["licence"].answered
    assert opened["mise-a-jour"].age_days == 30 and opened["mise-a-jour"].last.author == "noe"
    assert not opened["arret-manquant"].asked  # opened by paul, a member


def test_anomalies_include_quality_and_link_checks(index: SiteIndex) -> None:
    ctx = dashboard.organization_dashboard(index, index.portal.organizations["ville-exemple"])
    [item] = ctx["anomalies"]
    assert item["missing"] == ["description", "resources_documented"]
    assert item["quality"].criteria["resources_available"] is True  # from links/checks.csv
    assert [(a["code"], a["declared"], a["served"]) for a in item["links"]] == [("size-mismatch", 12345, 99999)]
    assert ctx["anomaly_counts"] == {"description": 1, "resources_documented": 1, "size-mismatch": 1}


def test_harvester_activity(index: SiteIndex) -> None:
    ctx = dashboard.organization_dashboard(index, index.portal.organizations["ville-exemple"])
    ancien, catalogue = ctx["harvesters"]
    assert (ancien["runs"], ancien["last"]) == (0, None)
    assert catalogue["runs"] == 2
    assert [j.status for j in catalogue["jobs"]] == ["failed", "done-errors"]  # newest first
    done = catalogue["jobs"][1]
    assert (done.counts["created"], done.counts["archived"], done.counts["failed"]) == (3, 1, 1)
    assert done.errors == [{"remote_id": "<b2>", "error": "HTTP 500 <boom>"}] and done.error_count == 1
    assert catalogue["jobs"][0].error == "catalogue unreachable"


def test_job_logs_are_read_defensively(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.yaml"
    damaged.write_text("[this is: not, a mapping")
    job = dashboard.read_job(damaged)
    assert (job.status, job.started, job.error_count) == ("unknown", "", 0) and job.error.startswith("unreadable")
    odd = tmp_path / "odd.yaml"
    odd.write_text("status: exploded\ncounts: {created: -3, updated: yes, archived: 2}\nitems: [1, {error: e}]\n")
    job = dashboard.read_job(odd)
    assert job.status == "unknown"
    assert (job.counts["created"], job.counts["updated"], job.counts["archived"]) == (0, 0, 2)
    assert job.errors == [{"remote_id": "", "error": "e"}]


def test_trends_fill_missing_months(index: SiteIndex) -> None:
    ctx = dashboard.organization_dashboard(index, index.portal.organizations["ville-exemple"])
    views, downloads = ctx["trends"]
    assert views["rows"] == [("2024-01", 10), ("2024-02", 0), ("2024-03", 35)]
    assert downloads["rows"] == [("2024-01", 4), ("2024-02", 0), ("2024-03", 6)]


def test_the_built_pages(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(content, out)
    page = out / ORG / "dashboard/index.html"
    text = text_of(page)
    for expected in ("Léa Durand", "Je voudrais publier.", "Licence ?", "Mise à jour ?"):
        assert expected in text
    assert "Quel format ?" not in text  # closed: not among the open discussions
    svgs = [attrs for tag, attrs in tags_of(page) if tag == "svg"]
    assert len(svgs) == 2 and all(a["role"] == "img" and a["aria-labelledby"] for a in svgs)
    raw = page.read_text(encoding="utf-8")
    assert raw.count("<table") >= 8  # members, requests, each chart's data, datasets, resources, reuses, ...
    assert "&lt;b2&gt;" in raw and "HTTP 500 &lt;boom&gt;" in raw and "<b2>" not in raw
    assert "Noé &lt;b&gt;Petit&lt;/b&gt;" in raw  # a user's name is text
    assert "static/dashboard.css" in raw
    assert (out / "static/dashboard.css").is_file()
    site_text = text_of(out / "dashboard/index.html")
    assert "Ville d'Exemple" in site_text
    english = text_of(out / "en" / ORG / "dashboard/index.html")
    for expected in ("Pending membership requests", "67%", "27 hours", "Data table: Page views per month"):
        assert expected in english, expected


def test_an_organization_without_harvester_nor_figures(portal: Path, tmp_path: Path) -> None:
    (portal / f"{ORG}/harvesters/catalogue.yaml").unlink()
    out = tmp_path / "site"
    build(portal, out)
    english = text_of(out / "en" / ORG / "dashboard/index.html")
    assert "No harvester." in english and "No audience figures yet" in english
    assert "Links have not been checked yet" in english


def test_site_dashboard_sums_the_organizations(index: SiteIndex) -> None:
    ctx = dashboard.site_dashboard(index)
    t = ctx["totals"]
    assert (t["organizations"], t["datasets"], t["resources"], t["views"], t["downloads"]) == (1, 1, 1, 45, 10)
    assert (t["harvesters"], t["users"], t["members"]) == (2, 4, 2)  # robot is a bot
    assert ctx["trends"][0]["rows"] == [("2024-01", 10), ("2024-02", 0), ("2024-03", 25 + 7 + 3)]
    assert ctx["responsiveness"].answered == 2
    assert ctx["checked_at"] == "2024-05-01T00:00:00Z"


def test_bar_chart_is_deterministic_escaped_and_accessible() -> None:
    chart = dashboard.bar_chart([("2024-01", 3), ("<x>", 7)], 'Views & "more"', "c1")
    assert chart == dashboard.bar_chart([("2024-01", 3), ("<x>", 7)], 'Views & "more"', "c1")
    assert 'role="img"' in chart and 'aria-labelledby="c1-title"' in chart
    assert '<title id="c1-title">Views &amp; &#34;more&#34;</title>' in chart and "&lt;x&gt;: 7" in chart
    assert "<x>" not in chart and chart.count("<rect") == 2
    assert dashboard.bar_chart([], "Empty", "c2").count("<rect") == 0


def test_month_range_and_axis() -> None:
    assert dashboard.month_range(["2025-11", "2026-02"]) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert dashboard.month_range([]) == []
    assert [dashboard._nice_max(v) for v in (0, 1, 3, 7, 11, 4000)] == [1, 1, 5, 10, 20, 5000]


def test_pending_requests_show_the_role_asked_for(content: Path, tmp_path: Path) -> None:
    request = content / f"{ORG}/requests/robot.yaml"
    out = tmp_path / "site"
    build(content, out)
    assert "Robot du portail Éditeur·rice" in _requests_text(out / ORG / "dashboard/index.html")  # editor when not said
    request.write_text(request.read_text(encoding="utf-8") + "role: admin\n", encoding="utf-8")
    build(content, out)
    assert "Robot du portail Administrateur·rice" in _requests_text(out / ORG / "dashboard/index.html")
    assert "Role asked for" in _requests_text(out / "en" / ORG / "dashboard/index.html")
    assert "Robot du portail Administrator" in _requests_text(out / "en" / ORG / "dashboard/index.html")


def _requests_text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8")
    table = raw[raw.index('<table class="requests">') :]
    return text_of_html(table[: table.index("</table>")])


def text_of_html(raw: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
