"""Link checks of every resource URL and every API URL: ``portal links check``.

Each distinct URL of the public datasets' resources and of the public APIs (base URL, technical description,
documentation: :func:`dataservice_links`) is checked once, concurrently (httpx, asyncio):

* ``HEAD`` first; ``GET`` (headers only, the body is never read) when the server refuses ``HEAD``
  (403, 405, 501) or answers it with an error;
* redirects are followed (at most :data:`MAX_REDIRECTS`) and reported: the final URL and each hop's status;
* a timeout per request; at most ``per_host`` requests (hence connections) at a time per host, and
  ``concurrency`` in all;
* transport errors, timeouts, 429 and 5xx are retried ``retries`` times with exponential backoff
  (``backoff``, ``2 × backoff``, ...).

Results go to ``links/checks.csv`` in the content folder (committed state, written atomically, sorted by
resource id; an API's URLs have the ids ``dataservice:<slug>:base|endpoint|documentation``):
``resource;url;status;final_url;redirects;content_type;size;checked_at;error``. ``status`` is
the final HTTP status (empty when no answer came: see ``error``), ``size`` the ``Content-Length``,
``checked_at`` an RFC 3339 UTC time from the injectable ``clock``.

The build reads them back (:func:`load`): a resource is *available* when its last check, of its current
URL, ended in a 2xx; a check of another URL (the resource changed since) is ignored.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import http
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .files import write_atomic
from .portal import load_portal

CHECKS_FILE = "links/checks.csv"
COLUMNS = ("resource", "url", "status", "final_url", "redirects", "content_type", "size", "checked_at", "error")
MAX_REDIRECTS = 10
USER_AGENT = "portal-linkcheck/1 (+https://github.com/; link checker of an open-data portal)"
_GET_INSTEAD = frozenset((400, 403, 404, 405, 406, 500, 501))  # HEAD refused or mishandled: ask with GET
_RETRY = frozenset((429, 500, 502, 503, 504))


@dataclass(frozen=True)
class Check:
    """The outcome of checking one resource's URL."""

    resource: str
    url: str
    status: int | None
    final_url: str = ""
    redirects: str = ""  # statuses of the redirects followed, space-separated ("301 302")
    content_type: str = ""
    size: int | None = None
    checked_at: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def permanently_moved(self) -> bool:
        """A 301 or 308 on the way: the resource's URL should be updated to ``final_url``."""
        return any(hop in ("301", "308") for hop in self.redirects.split())

    def row(self) -> tuple:
        return (
            self.resource,
            self.url,
            "" if self.status is None else self.status,
            self.final_url,
            self.redirects,
            self.content_type,
            "" if self.size is None else self.size,
            self.checked_at,
            self.error,
        )


@dataclass(frozen=True)
class Outcome:
    status: int | None
    final_url: str = ""
    redirects: str = ""
    content_type: str = ""
    size: int | None = None
    error: str = ""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_urls(
    urls: Iterable[str],
    *,
    timeout: float = 10.0,
    per_host: int = 4,
    concurrency: int = 64,
    retries: int = 2,
    backoff: float = 0.5,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Outcome]:
    """Check each distinct URL; returns URL -> :class:`Outcome`. Never raises for a URL's failure."""
    distinct = sorted(set(urls))
    return asyncio.run(_check_all(distinct, timeout, per_host, concurrency, retries, backoff, transport))


async def _check_all(
    urls: list[str],
    timeout: float,
    per_host: int,
    concurrency: int,
    retries: int,
    backoff: float,
    transport: httpx.AsyncBaseTransport | None,
) -> dict[str, Outcome]:
    hosts: dict[str, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=limits,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    ) as client:

        async def one(url: str) -> tuple[str, Outcome]:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return url, Outcome(None, error="unsupported URL")
            host = hosts.setdefault(parts.netloc.lower(), asyncio.Semaphore(per_host))
            async with host, overall:  # the host first: a busy host does not hold global slots
                return url, await _with_retries(client, url, retries, backoff)

        results = await asyncio.gather(*(one(url) for url in urls))
    return dict(results)


async def _with_retries(client: httpx.AsyncClient, url: str, retries: int, backoff: float) -> Outcome:
    outcome = Outcome(None, error="not checked")
    for attempt in range(retries + 1):
        outcome = await _check_once(client, url)
        if outcome.status is not None and outcome.status not in _RETRY:
            return outcome
        if attempt < retries:
            await asyncio.sleep(backoff * 2**attempt)
    return outcome


async def _check_once(client: httpx.AsyncClient, url: str) -> Outcome:
    try:
        response = await client.head(url)
        if response.status_code in _GET_INSTEAD:
            async with client.stream("GET", url) as streamed:
                return _outcome(streamed)
        return _outcome(response)
    except httpx.TimeoutException:
        return Outcome(None, error="timeout")
    except httpx.ConnectError as exc:
        return Outcome(None, error=f"cannot connect: {_reason(exc)}")
    except httpx.TooManyRedirects:
        return Outcome(None, error=f"more than {MAX_REDIRECTS} redirects")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(None, error=f"{type(exc).__name__}: {_reason(exc)}")


# what a failed check's ``error`` starts with -> the code of what readers are told (see :func:`problem`)
_PROBLEMS = (
    ("timeout", "timeout"),
    ("cannot connect", "unreachable"),
    (f"more than {MAX_REDIRECTS} redirects", "redirects"),
    ("unsupported URL", "unsupported"),
)


def problem(status: int | None, error: str) -> tuple[str, str]:
    """What went wrong with a check, for readers: ``(code, text)``, never an exception's text.

    An HTTP answer is ``("http", "404 Not Found")`` (the status and its standard reason phrase, the same in
    every language); no answer is one of the codes ``timeout``, ``unreachable``, ``redirects``,
    ``unsupported`` or ``failed`` (anything else: a protocol error, a reset connection), whose phrase the
    theme translates. The detail stays in ``checks.csv`` for maintainers.
    """
    if status is not None:
        try:
            return "http", f"{status} {http.HTTPStatus(status).phrase}"
        except ValueError:
            return "http", str(status)
    for prefix, code in _PROBLEMS:
        if error.startswith(prefix):
            return code, ""
    return "failed", ""


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]


def _outcome(response: httpx.Response) -> Outcome:
    length = response.headers.get("content-length", "")
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return Outcome(
        response.status_code,
        final_url=str(response.url),
        redirects=" ".join(str(r.status_code) for r in response.history),
        content_type=content_type,
        size=int(length) if length.isdigit() else None,
    )


def check_resources(
    resources: Iterable[tuple[str, str]],
    clock: Callable[[], dt.datetime] = _utc_now,
    **options,
) -> list[Check]:
    """Check ``(resource id, url)`` pairs; one :class:`Check` per resource, sorted by id."""
    pairs = sorted(set(resources))
    outcomes = check_urls((url for _, url in pairs), **options)
    checked_at = clock().astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    checks = []
    for resource, url in pairs:
        o = outcomes[url]
        checks.append(
            Check(resource, url, o.status, o.final_url, o.redirects, o.content_type, o.size, checked_at, o.error)
        )
    return checks


DATASERVICE_PREFIX = "dataservice:"  # the check ids of APIs' URLs start with it (resource ids are UUIDs)


def dataservice_links(api: Any) -> list[tuple[str, str]]:
    """``(check id, url)`` of the URLs a reader of an API follows: base URL, technical description, documentation."""
    found = [(f"{DATASERVICE_PREFIX}{api.slug}:base", api.base_api_url)]
    if api.endpoint_description is not None:
        found.append((f"{DATASERVICE_PREFIX}{api.slug}:endpoint", api.endpoint_description.url))
    if api.documentation_url:
        found.append((f"{DATASERVICE_PREFIX}{api.slug}:documentation", api.documentation_url))
    return found


def is_dataservice_check(item: Check) -> bool:
    return item.resource.startswith(DATASERVICE_PREFIX)


def public_links(content_dir: Path) -> list[tuple[str, str]]:
    """``(check id, url)`` of every resource of every public dataset and every URL of every public API
    (validates the content first)."""
    portal, _ = load_portal(Path(content_dir))
    found = [(r.id, r.url) for d in portal.datasets.values() if not d.private for r in d.resources]
    found += [link for api in portal.dataservices.values() if not api.private for link in dataservice_links(api)]
    return sorted(found)


def check(content_dir: Path, clock: Callable[[], dt.datetime] = _utc_now, **options) -> list[Check]:
    """Check every public resource and API URL of ``content_dir`` and write ``links/checks.csv``; returns the
    checks."""
    checks = check_resources(public_links(content_dir), clock=clock, **options)
    write(Path(content_dir) / CHECKS_FILE, checks)
    return checks


def write(path: Path, checks: Iterable[Check]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in sorted(checks, key=lambda c: c.resource):
        writer.writerow(item.row())
    write_atomic(path, buffer.getvalue())


def load(content_dir: Path) -> dict[str, Check]:
    """Resource id -> its last :class:`Check` from ``links/checks.csv`` (empty without checks)."""
    path = Path(content_dir) / CHECKS_FILE
    found: dict[str, Check] = {}
    if not path.is_file():
        return found
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle, delimiter=";"):
            try:
                status = record["status"]
                size = record["size"]
                found[record["resource"]] = Check(
                    resource=record["resource"],
                    url=record["url"],
                    status=int(status) if status else None,
                    final_url=record.get("final_url") or "",
                    redirects=record.get("redirects") or "",
                    content_type=record.get("content_type") or "",
                    size=int(size) if size else None,
                    checked_at=record.get("checked_at") or "",
                    error=record.get("error") or "",
                )
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row: that resource counts as not checked
    return found


def _mime(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def url_anomalies(url: str, check: Check | None) -> list[tuple[str, dict]]:
    """What a check says is wrong with a URL: ``broken`` (no 2xx answer) or ``moved`` (a permanent redirect:
    the URL should be ``final_url``); nothing when not checked, or checked at another URL."""
    if check is None or check.url != url:
        return []
    if not check.ok:
        return [("broken", {"status": check.status, "error": check.error})]
    if check.permanently_moved:
        return [("moved", {"final_url": check.final_url, "redirects": check.redirects})]
    return []


def resource_anomalies(resource, check: Check | None) -> list[tuple[str, dict]]:
    """What a check says is wrong with a resource: ``(code, details)`` pairs; nothing when not checked.

    Codes: those of :func:`url_anomalies`, then ``size-mismatch`` (declared ``filesize`` differs from
    ``Content-Length``) and ``type-mismatch`` (declared ``mime`` differs from ``Content-Type``).
    """
    found = url_anomalies(resource.url, check)
    if check is None or check.url != resource.url or not check.ok:
        return found
    if resource.filesize is not None and check.size is not None and resource.filesize != check.size:
        found.append(("size-mismatch", {"declared": resource.filesize, "served": check.size}))
    declared = _mime(resource.mime)
    if declared and check.content_type and declared != check.content_type:
        found.append(("type-mismatch", {"declared": declared, "served": check.content_type}))
    return found


def dataservice_anomalies(api: Any, checks: Mapping[str, Check]) -> list[tuple[str, str, dict]]:
    """What the checks say is wrong with an API's URLs: ``(which, code, details)``, ``which`` being ``base``,
    ``endpoint`` or ``documentation``."""
    return [
        (check_id.rsplit(":", 1)[1], code, details)
        for check_id, url in dataservice_links(api)
        for code, details in url_anomalies(url, checks.get(check_id))
    ]
