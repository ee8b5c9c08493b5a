"""What the dashboards show: the data behind ``/organizations/<org>/dashboard/`` and ``/dashboard/``.

The build asks this module for each dashboard's template context (:func:`organization_dashboard`,
:func:`site_dashboard`). Everything is computed from the content folder, never from the clock:

* counts of datasets, APIs, resources, reuses, discussions, members and requests from the content itself;
* quality and anomalies of each dataset and each API (:mod:`generator.quality`), with the link checks of
  their URLs;
* audience (views, downloads) from the committed monthly files ``metrics/<YYYY-MM>.csv``
  (:mod:`generator.metrics`), link health from ``links/checks.csv`` (:mod:`generator.linkcheck`), harvester
  activity from the job logs ``organizations/<org>/harvesters/<name>/jobs/<id>.yaml``;
* ages (of requests, discussions) are counted in days up to the *reference date*: the newest date the
  content holds (datasets' ``last_modified``, messages, requests), so two builds are identical;
* the **response rate** of an organization is the share of discussions opened by someone outside it in
  which a member (at the time) posted afterwards; the **response time** of such a discussion is the time
  from its first message to the first member's message; the dashboard shows the median.

Trend charts are inline SVG strings made here (:func:`bar_chart`): deterministic, every text escaped, with
``role="img"`` and a title; the template follows each with a table of the same numbers.

The files are read once per :class:`~generator.site_index.SiteIndex` (kept in a weak cache keyed by the index)
and shared by every dashboard of a build.
"""

from __future__ import annotations

import datetime as dt
import statistics
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

from . import keys, linkcheck, metrics
from . import quality as quality_mod
from .model import Dataservice, Dataset, Discussion, Organization, as_date

TABLE_LIMIT = 100  # rows of each metrics table (the busiest first); the page says how many are left out
JOBS_SHOWN = 5  # last jobs shown per harvester
ERRORS_SHOWN = 5  # item errors shown per job
JOB_STATUSES = ("done", "done-errors", "failed")
JOB_COUNTS = ("created", "updated", "unchanged", "archived", "deleted", "skipped", "failed")

Owner = tuple[str, str]


# --- dates --------------------------------------------------------------------------------------------------


def moment(value: str) -> dt.datetime:
    """An ISO date or date-time as an aware datetime (a date is its midnight UTC; a naive time is UTC)."""
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def days_between(start: str, reference: dt.date) -> int:
    return max(0, (reference - as_date(start)).days)


def reference_date(index: Any) -> dt.date:
    """The newest date of the content: datasets' ``last_modified``, discussion messages, requests."""
    dates = [index.reference_date]
    dates += [as_date(m.posted) for d in index.portal.discussions.values() for m in d.messages]
    dates += [as_date(r.created) for r in index.portal.requests]
    return max(dates)


# --- discussions ----------------------------------------------------------------------------------------------


def _member_at(org: Organization) -> Callable[[str, str], bool]:
    since = {m.user: as_date(m.since) for m in org.members}

    def is_member(user: str, when: str) -> bool:
        joined = since.get(user)
        return joined is not None and joined <= as_date(when)

    return is_member


@dataclass(frozen=True)
class Thread:
    """A discussion as the organization sees it."""

    discussion: Discussion
    asked: bool  # opened by someone who was not a member then
    answered: bool  # a member posted after the first message
    response_hours: float | None  # first message -> first member's message after it
    age_days: int
    last: Any  # the last message


def thread(discussion: Discussion, org: Organization, reference: dt.date) -> Thread:
    is_member = _member_at(org)
    first = discussion.messages[0]
    asked = not is_member(first.author, first.posted)
    reply = next((m for m in discussion.messages[1:] if is_member(m.author, m.posted)), None)
    hours = None
    if asked and reply is not None:
        hours = max(0.0, (moment(reply.posted) - moment(first.posted)).total_seconds() / 3600)
    return Thread(
        discussion=discussion,
        asked=asked,
        answered=reply is not None,
        response_hours=hours,
        age_days=days_between(first.posted, reference),
        last=discussion.messages[-1],
    )


@dataclass(frozen=True)
class Responsiveness:
    asked: int
    answered: int
    median_hours: float | None

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


def responsiveness(threads: Iterable[Thread]) -> Responsiveness:
    return _responsiveness([t.response_hours for t in threads if t.asked])


def _responsiveness(asked: list[float | None]) -> Responsiveness:
    """From the response time of every discussion opened from outside (None: not answered)."""
    delays = [hours for hours in asked if hours is not None]
    return Responsiveness(len(asked), len(delays), statistics.median(delays) if delays else None)


# --- harvest jobs ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


@dataclass(frozen=True)
class Job:
    id: str
    started: str
    ended: str
    status: str  # done | done-errors | failed | unknown
    counts: dict[str, int]
    errors: list[dict[str, str]]  # the first ERRORS_SHOWN items with an error
    error_count: int
    error: str = ""  # the job's own error (failed jobs), or why the file could not be read


def read_job(path: Path) -> Job:
    """A job log, read defensively: anything missing or malformed shows as unknown, never fails the build."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return Job(
            path.stem, "", "", "unknown", dict.fromkeys(JOB_COUNTS, 0), [], 0, f"unreadable: {type(exc).__name__}"
        )
    if not isinstance(data, dict):
        data = {}
    counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
    items = data.get("items") if isinstance(data.get("items"), list) else []
    errors = [
        {
            "remote_id": _text(item.get("remote_id")),
            "error": _text(item.get("error")),
            **{k: _text(item[k]) for k in ("remote_uri", "title") if item.get(k)},  # which record, when no id says
        }
        for item in items
        if isinstance(item, dict) and item.get("error")
    ]
    status = data.get("status")
    return Job(
        id=path.stem,
        started=_text(data.get("started")),
        ended=_text(data.get("ended")),
        status=status if status in JOB_STATUSES else "unknown",
        counts={name: _count(counts.get(name)) for name in JOB_COUNTS},
        errors=errors[:ERRORS_SHOWN],
        error_count=len(errors),
        error=_text(data.get("error")),
    )


def harvester_activity(index: Any, org: Organization) -> list[dict[str, Any]]:
    """Each harvester of ``org`` with its last jobs (newest first) and how many it ran."""
    found = []
    for harvester in sorted(index.harvesters_of.get(org.slug, []), key=lambda h: h.name):
        folder = Path(index.content_dir) / "organizations" / org.slug / "harvesters" / harvester.name / "jobs"
        jobs = [read_job(p) for p in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
        jobs.sort(key=lambda j: (j.started, j.id), reverse=True)
        found.append(
            {"harvester": harvester, "jobs": jobs[:JOBS_SHOWN], "runs": len(jobs), "last": jobs[0] if jobs else None}
        )
    return found


# --- charts ---------------------------------------------------------------------------------------------------


def month_range(months: Iterable[str]) -> list[str]:
    """Every month from the first to the last of ``months`` (``YYYY-MM``), gaps included."""
    months = sorted(months)
    if not months:
        return []
    year, month = map(int, months[0].split("-"))
    last = tuple(map(int, months[-1].split("-")))
    found = []
    while (year, month) <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is at least ``value`` (the top of the y axis)."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5, 10):
            if step * scale >= value:
                return step * scale
        scale *= 10


def bar_chart(series: list[tuple[str, int]], title: str, chart_id: str, width: int = 640, height: int = 200) -> Markup:
    """A bar chart of ``(label, value)`` as an inline SVG string; ``title`` names it for assistive tech.

    Deterministic (integer coordinates), self-contained (no script, no external reference); every text
    is escaped before the string is marked safe.
    """
    left, right, top, bottom = 56, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in series), default=0))
    title_id = f"{chart_id}-title"
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(title_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - round(plot_h * fraction)
        tick = top_value * fraction
        tick_text = f"{tick:g}" if tick != int(tick) else str(int(tick))
        out.append(f'<line class="chart-grid" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}"/>')
        out.append(f'<text class="chart-axis" x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(tick_text)}</text>')
    count = max(1, len(series))
    slot = plot_w / count
    bar = max(1, round(slot * 0.7))
    every = max(1, -(-count // 8))  # at most 8 labels under the bars
    for i, (label, value) in enumerate(series):
        h = round(plot_h * value / top_value)
        x = left + round(i * slot + (slot - bar) / 2)
        y = top + plot_h - h
        out.append(
            f'<rect class="chart-bar" x="{x}" y="{y}" width="{bar}" height="{h}">'
            f"<title>{escape(label)}: {escape(str(value))}</title></rect>"
        )
        if i % every == 0 or i == count - 1:
            cx = left + round(i * slot + slot / 2)
            out.append(
                f'<text class="chart-axis" x="{cx}" y="{height - 8}" text-anchor="middle">{escape(label)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


# --- shared data of a build ----------------------------------------------------------------------------------


@dataclass
class Shared:
    """What every dashboard of one build reads: metrics, link checks, audience per owner and month."""

    reference: dt.date
    months: list[str]
    checks: dict[str, linkcheck.Check]
    totals: dict[tuple[str, str], list[int]]  # (kind, id) -> [views, downloads], all months
    monthly: dict[Owner, dict[str, list[int]]]  # owner -> month -> [views, downloads]
    site_monthly: dict[str, list[int]] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)  # org slug -> its dashboard context


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shared(index: Any) -> Shared:
    cached = _CACHE.get(index)
    if cached is None:
        cached = _CACHE[index] = _load_shared(index)
    return cached


def forget(index: Any, org_slugs: Iterable[str]) -> None:
    """Drop the dashboards computed for these organizations (a warm build edited their content in place)."""
    cached = _CACHE.get(index)
    if cached is not None:
        for slug in org_slugs:
            cached.orgs.pop(slug, None)


def _load_shared(index: Any) -> Shared:
    content = Path(index.content_dir)
    by_month = metrics.load(content)
    owner_of: dict[tuple[str, str], Owner] = {}
    for dataset in index.datasets:
        owner_of[("dataset", dataset.slug)] = dataset.owner
        for resource in dataset.resources:
            owner_of[("resource", resource.id)] = dataset.owner
    for reuse in index.reuses:
        owner_of[("reuse", reuse.slug)] = reuse.owner
    for org in index.organizations:
        owner_of[("organization", org.slug)] = ("organization", org.slug)
    totals: dict[tuple[str, str], list[int]] = {}
    monthly: dict[Owner, dict[str, list[int]]] = defaultdict(dict)
    site_monthly: dict[str, list[int]] = {}
    for month, rows in by_month.items():
        site_row = site_monthly.setdefault(month, [0, 0])
        for key, (views, downloads) in rows.items():
            owner = owner_of.get(key)
            if owner is None:
                continue  # private, deleted or never existed: not published
            total = totals.setdefault(key, [0, 0])
            total[0] += views
            total[1] += downloads
            row = monthly[owner].setdefault(month, [0, 0])
            row[0] += views
            row[1] += downloads
            if owner[0] == "organization":  # the site's figures sum the organizations'
                site_row[0] += views
                site_row[1] += downloads
    return Shared(
        reference=index.dashboard_reference_date,  # computed once per index: the keys use it too
        months=month_range(by_month),
        checks=index.link_checks,
        totals=totals,
        monthly=dict(monthly),
        site_monthly=site_monthly,
    )


def trends(data: dict[str, list[int]], months: list[str], prefix: str) -> list[dict[str, Any]]:
    """The two monthly series (views, downloads) over ``months``: rows for the tables, data for the charts."""
    found = []
    for column, name in ((0, "views"), (1, "downloads")):
        rows = [(month, data.get(month, [0, 0])[column]) for month in months]
        found.append({"name": name, "id": f"{prefix}-{name}", "rows": rows})
    return found


# --- dataset rows and anomalies -------------------------------------------------------------------------------


def _dataset_anomalies(index: Any, data: Shared, dataset: Dataset) -> dict[str, Any]:
    q = quality_mod.quality(dataset, index.reference_date, data.checks)
    links = []
    for resource in dataset.resources:
        for code, details in linkcheck.resource_anomalies(resource, data.checks.get(resource.id)):
            links.append({"resource": resource, "code": code, **details})
    return {"dataset": dataset, "quality": q, "missing": q.missing, "links": links}


def dataservice_row(index: Any, data: Shared, api: Dataservice) -> dict[str, Any]:
    """An API as its owner's dashboard shows it: quality, the criteria it misses, what its URLs' checks say."""
    q = quality_mod.dataservice_quality(api, index.public_slugs, data.checks)
    links = [
        {"which": which, "code": code, **details}
        for which, code, details in linkcheck.dataservice_anomalies(api, data.checks)
    ]
    return {"dataservice": api, "quality": q, "score": q.score, "missing": q.missing, "links": links}


def _link_state(url: str, check: linkcheck.Check | None) -> str:
    if check is None or check.url != url:
        return "unchecked"
    return "ok" if check.ok else "broken"


def organization_dashboard(index: Any, org: Organization) -> dict[str, Any]:
    """Template context of an organization's dashboard, added to ``{"org": org}``."""
    data = shared(index)
    cached = data.orgs.get(org.slug)
    if cached is not None:
        return cached
    owner = ("organization", org.slug)
    reference = data.reference
    datasets = index.datasets_of.get(owner, [])
    totals = data.totals

    dataset_rows, resource_rows, anomalies = [], [], []
    for dataset in datasets:
        views = totals.get(("dataset", dataset.slug), [0, 0])[0]
        downloads = 0
        for resource in dataset.resources:
            got = totals.get(("resource", resource.id), [0, 0])[1]
            downloads += got
            check = data.checks.get(resource.id)
            resource_rows.append(
                {
                    "resource": resource,
                    "dataset": dataset,
                    "downloads": got,
                    "check": check,
                    "link": _link_state(resource.url, check),
                }
            )
        found = _dataset_anomalies(index, data, dataset)
        if found["missing"] or found["links"]:
            anomalies.append(found)
        discussions = index.discussions_about.get(("dataset", dataset.slug), [])
        dataset_rows.append(
            {
                "dataset": dataset,
                "views": views,
                "downloads": downloads,
                "reuses": len(index.reuses_of_dataset.get(dataset.slug, [])),
                "discussions_open": sum(1 for d in discussions if d.is_open),
                "discussions": len(discussions),
                "score": found["quality"].score,
            }
        )
    dataset_rows.sort(key=lambda r: (-r["views"], -r["downloads"], r["dataset"].slug))
    resource_rows.sort(key=lambda r: (-r["downloads"], r["dataset"].slug, r["resource"].id))
    anomalies.sort(key=lambda a: (a["quality"].score, -len(a["links"]), a["dataset"].slug))
    # its APIs, in the order of its page (they have no audience figures: metrics count datasets, resources, reuses)
    dataservice_rows = [dataservice_row(index, data, api) for api in index.dataservices_of.get(owner, [])]

    own_slugs = {d.slug for d in datasets}
    reuses = {r.slug: r for r in index.reuses_of.get(owner, [])}
    for slug in own_slugs:
        for reuse in index.reuses_of_dataset.get(slug, []):
            reuses.setdefault(reuse.slug, reuse)
    reuse_rows = [
        {
            "reuse": reuse,
            "views": totals.get(("reuse", reuse.slug), [0, 0])[0],
            "own": reuse.owner == owner,
            "datasets": sum(1 for s in reuse.datasets if s in own_slugs),
        }
        for reuse in reuses.values()
    ]
    reuse_rows.sort(key=lambda r: (-r["views"], r["reuse"].slug))

    threads = [thread(d, org, reference) for d in index.discussions_of.get(owner, [])]
    open_threads = sorted((t for t in threads if t.discussion.is_open), key=lambda t: (-t.age_days, t.discussion.id))
    requests = sorted(
        (r for r in index.requests_of.get(org.slug, []) if r.status == "pending"),
        key=lambda r: (r.created, r.user),
    )
    # every link the organization publishes: its resources' and its APIs' URLs
    api_links = [
        _link_state(url, data.checks.get(check_id))
        for row in dataservice_rows
        for check_id, url in linkcheck.dataservice_links(row["dataservice"])
    ]
    link_counts = _link_counts([row["link"] for row in resource_rows] + api_links)
    context = {
        "reference_date": reference,
        "requests": [{"request": r, "age_days": days_between(r.created, reference)} for r in requests],
        "totals": {
            "datasets": len(datasets),
            "dataservices": len(dataservice_rows),
            "dataservices_anomalies": sum(1 for r in dataservice_rows if r["missing"] or r["links"]),
            "resources": len(resource_rows),
            "reuses": len(index.reuses_of.get(owner, [])),
            "reuses_using": sum(1 for r in reuse_rows if r["datasets"]),
            "discussions_open": len(open_threads),
            "discussions": len(threads),
            "members": len(org.members),
            "requests": len(requests),
            # its pages: the organization's, its datasets' and its reuses'; downloads of its resources
            "views": sum(row[0] for row in data.monthly.get(owner, {}).values()),
            "downloads": sum(row[1] for row in data.monthly.get(owner, {}).values()),
            "anomalies": len(anomalies),
            **link_counts,
        },
        "dataset_rows": dataset_rows[:TABLE_LIMIT],
        "dataservice_rows": dataservice_rows[:TABLE_LIMIT],
        "resource_rows": resource_rows[:TABLE_LIMIT],
        "reuse_rows": reuse_rows[:TABLE_LIMIT],
        "table_limit": TABLE_LIMIT,
        "anomalies": anomalies[:TABLE_LIMIT],
        "anomaly_counts": _criterion_counts(anomalies),
        "threads": threads,
        "open_threads": open_threads,
        "responsiveness": responsiveness(threads),
        "harvesters": harvester_activity(index, org),
        "trends": trends(data.monthly.get(owner, {}), data.months, f"chart-{org.slug}"),
        "bar_chart": bar_chart,
        "checked": bool(data.checks),
    }
    data.orgs[org.slug] = context
    return context


def _link_counts(links: list[str]) -> dict[str, int]:
    """How many links are ``ok``, ``broken`` and ``unchecked`` (:func:`_link_state`)."""
    states = defaultdict(int)
    for state in links:
        states[state] += 1
    return {"links_ok": states["ok"], "links_broken": states["broken"], "links_unchecked": states["unchecked"]}


LINK_ANOMALIES = ("broken", "moved", "size-mismatch", "type-mismatch")
TOTALS = (  # what organization_dashboard counts, in its order
    "datasets", "dataservices", "dataservices_anomalies", "resources", "reuses", "reuses_using", "discussions_open",
    "discussions", "members", "requests",
    "views", "downloads", "anomalies", "links_ok", "links_broken", "links_unchecked",
)  # fmt: skip


def _criterion_counts(anomalies: list[dict[str, Any]]) -> dict[str, int]:
    """How many datasets miss each criterion, or have each kind of link anomaly (in that order)."""
    counts = dict.fromkeys([*quality_mod.CRITERIA, *LINK_ANOMALIES], 0)
    for found in anomalies:
        for name in found["missing"]:
            counts[name] += 1
        for code in sorted({link["code"] for link in found["links"]}):
            counts[code] += 1
    return {name: n for name, n in counts.items() if n}


def _organization_summary(index: Any, org: Organization, memo: Any) -> tuple:
    """What the site dashboard sums of one organization's dashboard; kept in the build's memo when it has one
    (an organization's dashboard depends on what its key says: an edit elsewhere does not compute it again)."""
    key = keys.organization_scope(index, org) if memo is not None else None
    found = memo.get(org.slug, key) if memo is not None else None
    if found is None:
        context = organization_dashboard(index, org)
        asked = [t.response_hours for t in context["threads"] if t.asked]
        found = (context["totals"], context["anomaly_counts"], context["responsiveness"], asked)
        if memo is not None:
            memo.put(org.slug, key, found)
    return found


def site_dashboard(index: Any) -> dict[str, Any]:
    """Template context of the site-wide dashboard (all organizations summed)."""
    data = shared(index)
    rows = []
    anomaly_counts: dict[str, int] = defaultdict(int)
    asked: list[float | None] = []
    summed: dict[str, int] = dict.fromkeys(TOTALS, 0)  # every total, even on a portal with no organization
    memo = index.memo("dashboard-totals") if getattr(index, "memo", None) else None
    for org in index.organizations:
        totals, anomalies, answered, org_asked = _organization_summary(index, org, memo)
        rows.append({"org": org, "totals": totals, "responsiveness": answered})
        for name, value in totals.items():
            summed[name] += value
        for name, value in anomalies.items():
            anomaly_counts[name] += value
        asked += org_asked
    if memo is not None:
        memo.save()
    bots = set(index.site.bots)
    order = [*quality_mod.CRITERIA, *LINK_ANOMALIES]
    return {
        "reference_date": data.reference,
        "org_rows": rows,
        "totals": {
            **summed,
            "organizations": len(index.organizations),
            "users": sum(1 for u in index.portal.users if u not in bots),
            "members": len(index.memberships),
            "harvesters": len(index.portal.harvesters),
        },
        "checked_at": max((c.checked_at for c in data.checks.values()), default=""),
        "anomaly_counts": {name: anomaly_counts[name] for name in order if anomaly_counts.get(name)},
        "responsiveness": _responsiveness(asked),
        "trends": trends(data.site_monthly, data.months, "chart-site"),
        "bar_chart": bar_chart,
        "checked": bool(data.checks),
    }
