"""Audience metrics: ``portal metrics import --format F FILE...`` (``ingest LOG...`` for combined logs).

Counts, per month:

* **views** of dataset, organization and reuse pages (``/datasets/<slug>/``, ``/organizations/<org>/``,
  ``/reuses/<slug>/``, in any language, under the site's base path);
* **downloads** of resources: hits on the redirect pages ``/datasets/r/<id>/`` and on resource files that
  the site itself hosts (a resource URL on the host of ``site.yaml``'s ``base_url``); in a Matomo downloads
  report, also the clicks on any resource's own URL.

From two kinds of input (parsed by :mod:`generator.analytics`):

* **Request logs**: nginx/Apache *combined* access logs (the common format too), CloudFront standard logs,
  Cloudflare Logpush JSON lines; plain or ``.gz``. Not counted: other methods than ``GET``; errors (4xx,
  5xx) and redirects (3xx except 304: the redirect's target is counted when it is fetched); bots
  (:data:`BOT_RE`, empty user agents, and what the CDN flags); repeated hits, i.e. the same client on the
  same page or resource within :data:`REPEAT_WINDOW` seconds. Combined lines that do not parse are skipped
  and counted; a CDN log line that is not of its format is an error (:class:`FormatError`).
* **Reports** of an analytics tool (Matomo, Plausible, GoatCounter), which already counted: their counts are
  taken as they are (:func:`import_reports`).

**Privacy by design**: a client is identified only in memory, by a keyed BLAKE2 hash of its IP address and
user agent whose key is drawn at random for each run and never written. No IP address, user agent,
referrer or timestamp leaves this module: the outputs are monthly counts per page.

**Outputs** (committed state of the content repository, written atomically, only once every input parsed):

* ``metrics/<YYYY-MM>.csv``: ``kind;id;views;downloads;source;period``, one row per dataset,
  organization, reuse (``views``) or resource (``downloads``) and source, sorted. ``source`` is the format;
  logs add their counts to their source's row (``period`` empty); a report's rows carry the days they
  count (``2026-11-01/2026-11-30``), and importing a period again replaces them. The dashboards sum the
  sources. The month is the one of the timestamp as the log wrote it (CloudFront and Cloudflare: UTC).
* ``metrics/ingested.txt``: the ledger that makes log ingestion idempotent. Each line is
  ``<sha256> <n>``: the SHA-256 of the first ``n`` bytes (whole lines, decompressed) of an ingested log.
  Before counting a log, the lines covered by the longest known prefix of it are discounted: ingesting the
  same file twice, its ``.gz`` once rotated, or a log that has grown since (``access.log`` today, then
  tomorrow), counts every line once. A last line without a newline is being written: it is left for the
  next run. Logs are fingerprinted by content, so a renamed or moved file is still recognised. (A log
  rotated with ``copytruncate`` and re-read from its start is a new file: its prefix is new bytes.)
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import gzip
import hashlib
import io
import re
import secrets
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from . import analytics
from .analytics import FormatError
from .errors import UsageError
from .files import write_atomic

REPEAT_WINDOW = 30  # seconds: the same client on the same target within this is one hit
LEDGER = "ingested.txt"
COLUMNS = ("kind", "id", "views", "downloads", "source", "period")
KINDS = ("dataset", "organization", "resource", "reuse")
_COUNTED_STATUSES = frozenset((b"200", b"203", b"206", b"304"))
# A redirect answers a download where the host applies the resource redirects itself (resource_redirects:
# rules, an S3 website's redirect objects): counted for a resource, never as a page view (a folder's 301).
_REDIRECT_STATUSES = frozenset((b"301", b"302", b"303", b"307", b"308"))

# %h %l %u [%t] "%r" %>s %b ["%{Referer}i" "%{User-agent}i"]
LINE_RE = re.compile(
    rb"^(\S+) \S+ \S+ \[([^\]\n]{26})\] "  # client, [10/Oct/2000:13:55:36 -0700]
    rb'"([A-Z]+) (\S+)(?: [^"\n]*)?" (\d{3}) (?:\d+|-)'  # "GET /path HTTP/1.1" 200 2326
    rb'(?: "[^"\\\n]*(?:\\.[^"\\\n]*)*" "([^"\\\n]*(?:\\.[^"\\\n]*)*)")?[^\n]*$',  # "referrer" "agent"
    re.MULTILINE,
)
CHUNK = 1 << 20  # bytes read at a time
# crawlers, monitors, HTTP libraries and command-line tools; an empty or "-" user agent counts as a bot too
BOT_RE = re.compile(
    rb"bot|crawl|spider|slurp|scrap|fetch|archiver|monitor|uptime|pingdom|checker|validator|preview|"
    rb"headless|phantomjs|lighthouse|curl|wget|httpie|python|httpx|aiohttp|go-http|okhttp|java/|libwww|"
    rb"perl|ruby|php/|node-fetch|axios|postman|insomnia|facebookexternalhit|embedly|whatsapp|"
    rb"mediapartners|feedfetcher|portal-linkcheck",
    re.IGNORECASE,
)
_MONTH_NAMES = (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_NOT_SLUGS = frozenset(("page", "r"))  # /datasets/page/2/, /datasets/r/<id>/


@dataclass
class IngestResult:
    """What one run read and counted; ``months`` lists the metrics files it changed."""

    files: int = 0
    lines: int = 0
    views: int = 0
    downloads: int = 0
    malformed: int = 0
    bots: int = 0
    errors: int = 0
    repeated: int = 0
    ignored: int = 0  # other pages, static files, methods, redirects
    already_ingested: int = 0  # lines of logs (or log prefixes) ingested by an earlier run
    months: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    """What the counting needs to know of the site: its base path, languages and self-hosted files."""

    base_path: str
    languages: tuple[str, ...]
    hosted: dict[str, str]  # URL path of a file the site hosts -> resource id

    @classmethod
    def from_content(cls, content_dir: Path) -> Site:
        site_file = content_dir / "site.yaml"
        try:
            site = yaml.load(site_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            base = urlsplit(site["base_url"])
            languages = tuple(site["languages"])
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"cannot read the site's base_url and languages from {site_file}: {exc}") from exc
        return cls(base.path if base.path.endswith("/") else base.path + "/", languages, _hosted(content_dir, base))


def _hosted(content_dir: Path, base) -> dict[str, str]:
    """Resources whose URL is on the site's own host: their URL path -> id (only files naming the host)."""
    needle = f"//{base.netloc}/".encode()
    hosted: dict[str, str] = {}
    for pattern in ("organizations/*/datasets/*.yaml", "users/*/datasets/*.yaml"):
        for path in sorted(content_dir.glob(pattern)):
            raw = path.read_bytes()
            if needle not in raw:
                continue
            try:
                data = yaml.load(raw, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue  # `portal validate` reports it
            if not isinstance(data, dict) or data.get("private"):
                continue
            for resource in data.get("resources") or []:
                if not isinstance(resource, dict) or not isinstance(resource.get("url"), str):
                    continue
                parts = urlsplit(resource["url"])
                if parts.netloc == base.netloc and parts.path:
                    hosted.setdefault(unquote(parts.path), str(resource.get("id")))
    return hosted


class _Classifier:
    """Request path -> (kind, id, column) for what is counted, else None. Cached: paths repeat a lot."""

    def __init__(self, site: Site):
        prefix = re.escape(site.base_path)
        langs = "|".join(re.escape(lang) for lang in site.languages[1:])
        lang = f"(?:(?:{langs})/)?" if langs else ""
        self.page = re.compile(
            rf"{prefix}{lang}(datasets|organizations|reuses)/({_SLUG})/(?:index\.html)?".encode(),
        )
        self.redirect = re.compile(rf"{prefix}datasets/r/([^/?#]+)/(?:index\.html)?".encode())
        self.hosted = {path.encode(): ident for path, ident in site.hosted.items()}
        self.cache: dict[bytes, tuple[str, str, int] | None] = {}

    _KIND = {b"datasets": "dataset", b"organizations": "organization", b"reuses": "reuse"}

    def __call__(self, target: bytes) -> tuple[str, str, int] | None:
        try:
            return self.cache[target]
        except KeyError:
            pass
        path = target.split(b"?", 1)[0]
        found: tuple[str, str, int] | None = None
        match = self.page.fullmatch(path)
        if match and match.group(2).decode() not in _NOT_SLUGS:
            found = (self._KIND[match.group(1)], match.group(2).decode(), 0)
        elif (match := self.redirect.fullmatch(path)) is not None:
            found = ("resource", unquote(match.group(1).decode("utf-8", "replace")), 1)
        else:
            ident = self.hosted.get(path) or self.hosted.get(unquote(path.decode("utf-8", "replace")).encode())
            if ident is not None:
                found = ("resource", ident, 1)
        if len(self.cache) < 100_000:
            self.cache[target] = found
        return found


def _chunks(path: Path) -> Iterator[bytes]:
    """The bytes of a log (plain or gzip, recognised by its magic number), a megabyte at a time."""
    with path.open("rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if gz else path.open("rb") as handle:
        first = True
        while chunk := handle.read(CHUNK):
            if first and b"\0" in chunk:  # an image, an archive...: counting its "lines" as malformed hides the mistake
                raise UsageError(f"{path} is not an access log (it holds binary data): give the server's text log")
            first = False
            yield chunk


class Ledger:
    """The prefixes of logs already ingested: size in bytes -> SHA-256 digests of prefixes of that size."""

    def __init__(self, entries: Iterable[tuple[str, int]] = ()):
        self.by_size: dict[int, set[str]] = {}
        for digest, size in entries:
            self.add(digest, size)

    def add(self, digest: str, size: int) -> None:
        self.by_size.setdefault(size, set()).add(digest)

    @classmethod
    def read(cls, path: Path) -> Ledger:
        entries = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 2 and not line.startswith("#") and parts[1].isdigit():
                    entries.append((parts[0], int(parts[1])))
        return cls(entries)

    def text(self) -> str:
        rows = sorted((size, digest) for size, digests in self.by_size.items() for digest in digests)
        head = "# metrics ingest ledger: sha256 of the first n bytes of an ingested log, and n (do not edit)\n"
        return head + "".join(f"{digest} {size}\n" for size, digest in rows)


class _Run:
    """One ``ingest`` call: the classifier, the in-memory client key, the dedupe memory, the counts."""

    def __init__(self, site: Site, window: int = REPEAT_WINDOW, fmt: str = "combined"):
        self.classify = _Classifier(site)
        self.parser = analytics.LOG_PARSERS[fmt]() if fmt != "combined" else None
        self.salt = secrets.token_bytes(16)  # never written: hashed clients cannot be recognised later
        self.window = window
        self.last_seen: dict[tuple[bytes, str, str], int] = {}
        self.days: dict[bytes, tuple[int, str] | None] = {}
        self.bots: dict[bytes, bool] = {}  # user agent -> is a bot (memory only, like everything here)
        self.newest = 0

    def day(self, stamp: bytes) -> tuple[int, str] | None:
        """``10/Oct/2000:13:55:36 -0700`` -> (epoch seconds, ``2000-10``), or None for an impossible time."""
        key = stamp[:12] + stamp[20:]
        value = self.days.get(key, False)
        if value is False:
            try:
                tz = stamp[21:26]
                offset = (1 if tz[:1] == b"+" else -1) * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)
                number = _MONTHS[stamp[3:6]]
                midnight = dt.datetime(int(stamp[7:11]), number, int(stamp[0:2]), tzinfo=dt.UTC)
                if stamp[2:3] != b"/" or stamp[6:7] != b"/" or stamp[11:12] != b":" or stamp[20:21] != b" ":
                    raise ValueError(stamp)
                value = (int(midnight.timestamp()) - offset, f"{midnight.year:04d}-{number:02d}")
            except (KeyError, ValueError):
                value = None
            self.days[key] = value
        if value is None:
            return None
        try:
            hour, minute, second = int(stamp[12:14]), int(stamp[15:17]), int(stamp[18:20])
        except ValueError:
            return None
        if hour > 23 or minute > 59 or second > 60 or stamp[14:15] != b":" or stamp[17:18] != b":":
            return None
        return value[0] + hour * 3600 + minute * 60 + second, value[1]

    def is_bot(self, ua: bytes) -> bool:
        found = self.bots.get(ua)
        if found is None:
            found = not ua or ua == b"-" or BOT_RE.search(ua) is not None
            if len(self.bots) < 100_000:
                self.bots[ua] = found
        return found

    def prune(self) -> None:
        horizon = self.newest - self.window
        self.last_seen = {k: t for k, t in self.last_seen.items() if t >= horizon}

    def count_file(self, path: Path, ledger: Ledger, result: IngestResult) -> tuple[dict, str, int]:
        """Counts of the lines of ``path`` past its longest known prefix; its fingerprint and size.

        Counts are ``(month, kind, id, column) -> n``. Only complete lines are read: a last line without a
        newline is still being written and is left for the next run. A first pass fingerprints the log and
        finds its longest prefix already ingested (hashing only: a log ingested before costs little); the
        second counts what follows.
        """
        digest = hashlib.sha256()
        sizes = sorted(ledger.by_size)
        known = known_lines = consumed = lines = 0
        tail = b""
        for chunk in _chunks(path):
            buffer = tail + chunk if tail else chunk
            cut = buffer.rfind(b"\n") + 1
            body, tail = buffer[:cut], buffer[cut:]
            end, hashed = consumed + len(body), 0
            for size in sizes[bisect.bisect_right(sizes, consumed) : bisect.bisect_right(sizes, end)]:
                digest.update(body[hashed : size - consumed])
                hashed = size - consumed
                if body[hashed - 1 : hashed] == b"\n" and digest.hexdigest() in ledger.by_size[size]:
                    known, known_lines = size, lines + body.count(b"\n", 0, hashed)
            digest.update(body[hashed:])
            lines += body.count(b"\n")
            consumed = end
        counts: dict[tuple[str, str, str, int], int] = {}
        stats = dict.fromkeys(_STATS, 0)
        if known < consumed:
            position, line, tail = 0, 1, b""
            for chunk in _chunks(path):
                buffer = tail + chunk if tail else chunk
                cut = buffer.rfind(b"\n") + 1
                body, tail = buffer[:cut], buffer[cut:]
                start = min(max(known - position, 0), len(body))
                position += len(body)
                if start < len(body):
                    requests = self.requests(body, start, path, line + body.count(b"\n", 0, start))
                    self._count(requests, body.count(b"\n", start), counts, stats)
                line += body.count(b"\n")
                if position >= consumed:
                    break
            if self.parser is None and known == 0 and stats["malformed"] == lines:
                raise FormatError(path, known_lines + 1, "no line is a combined-format access log line "
                                  "(not a log, or another --format)")  # fmt: skip
        result.lines += lines
        result.already_ingested += known_lines
        for name in _STATS:
            setattr(result, name, getattr(result, name) + stats[name])
        return counts, digest.hexdigest(), consumed

    def requests(self, body: bytes, start: int, path: Path, line: int) -> Iterator[tuple | None]:
        """The requests of the complete lines ``body[start:]``, whose first is line ``line`` of ``path``.

        Each is ``(client, method, target, status, agent, stamp, bot)``; ``stamp`` is turned into a time by
        :meth:`when`. Combined logs skip what does not parse (counted as malformed); the CDN formats, written
        by machines, raise :class:`FormatError` on a line that is not theirs. None is a header line.
        """
        if self.parser is None:
            for m in LINE_RE.finditer(body, start):
                ip, stamp, method, target, status, ua = m.groups()
                yield ip, method, target, status, ua, stamp, False
            return
        for number, raw in enumerate(body[start:-1].split(b"\n"), line):
            if b"\0" in raw:
                raise FormatError(path, number, f"NUL bytes: a binary file, not a {self.parser.name} log")
            try:
                request = self.parser.line(raw)
            except ValueError as exc:
                raise FormatError(path, number, str(exc)) from None
            if request is None:
                yield None
            else:
                r = request
                yield r.client, r.method, r.target, r.status, r.agent, (r.moment, r.month), r.bot

    def when(self, stamp) -> tuple[int, str] | None:
        return self.day(stamp) if self.parser is None else stamp

    def _count(self, requests: Iterable[tuple | None], lines: int, counts: dict, stats: dict[str, int]) -> None:
        """Count ``requests`` (of ``lines`` complete lines) into ``counts`` and ``stats``."""
        classify, is_bot, last_seen, salt = self.classify, self.is_bot, self.last_seen, self.salt
        window, blake2b, when_of = self.window, hashlib.blake2b, self.when
        well_formed = views = downloads = bots = errors = repeated = ignored = malformed = 0
        for request in requests:
            well_formed += 1
            if request is None:
                ignored += 1
                continue
            ip, method, target, status, ua, stamp, flagged = request
            if method != b"GET":
                ignored += 1
                continue
            redirected = status in _REDIRECT_STATUSES
            if status not in _COUNTED_STATUSES and not redirected:
                if status[:1] in b"45":
                    errors += 1
                else:
                    ignored += 1
                continue
            found = classify(target)
            if found is None or (redirected and not found[2]):
                ignored += 1
                continue
            if flagged or (ua is not None and is_bot(ua)):
                bots += 1
                continue
            when = when_of(stamp)
            if when is None:
                malformed += 1
                continue
            moment = when[0]
            kind, ident, column = found
            key = (blake2b(ip + b"\0" + (ua or b""), key=salt, digest_size=12).digest(), kind, ident)
            previous = last_seen.get(key)
            last_seen[key] = moment
            if previous is not None and abs(moment - previous) < window:
                repeated += 1
                continue
            if moment > self.newest:
                self.newest = moment
            count_key = (when[1], kind, ident, column)
            counts[count_key] = counts.get(count_key, 0) + 1
            if column:
                downloads += 1
            else:
                views += 1
            if len(last_seen) > 500_000:
                self.prune()
                last_seen = self.last_seen
        stats["malformed"] += malformed + lines - well_formed
        for name, value in (("views", views), ("downloads", downloads), ("bots", bots), ("errors", errors),
                            ("repeated", repeated), ("ignored", ignored)):  # fmt: skip
            stats[name] += value


_STATS = ("malformed", "bots", "errors", "repeated", "ignored", "views", "downloads")


def ingest(content_dir: Path, logs: Iterable[Path], window: int = REPEAT_WINDOW, fmt: str = "combined") -> IngestResult:
    """Count the requests of ``logs`` (``fmt``: combined, cloudfront or cloudflare) into ``metrics/``.

    Every log is read and counted before anything is written: a file that cannot be read, or a line of a
    CDN log that is not of its format, raises and leaves the metrics as they were.
    """
    if fmt not in analytics.LOG_FORMATS:
        raise UsageError(f"{fmt!r} is not a log format ({', '.join(analytics.LOG_FORMATS)})")
    content_dir = _content(content_dir)
    site = Site.from_content(content_dir)
    folder = content_dir / "metrics"
    ledger = Ledger.read(folder / LEDGER)
    run = _Run(site, window, fmt)
    total: dict[str, dict[tuple[str, str], list[int]]] = {}  # month -> (kind, id) -> [views, downloads]
    result = IngestResult()
    for log in logs:
        log = Path(log)
        try:
            counts, digest, size = run.count_file(log, ledger, result)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise UsageError(f"cannot read the log {log}: {exc}") from exc
        for (month, kind, ident, column), n in counts.items():
            total.setdefault(month, {}).setdefault((kind, ident), [0, 0])[column] += n
        if size:
            ledger.add(digest, size)
        result.files += 1
    for month in sorted(total):
        rows = read_rows(folder / f"{month}.csv")
        for (kind, ident), (views, downloads) in total[month].items():
            row = rows.setdefault((kind, ident, fmt, ""), [0, 0])
            row[0] += views
            row[1] += downloads
        write_atomic(folder / f"{month}.csv", month_text(rows))
        result.months.append(month)
    if result.files:
        write_atomic(folder / LEDGER, ledger.text())
    return result


def _content(content_dir: Path) -> Path:
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise UsageError(f"the content folder {content_dir} does not exist")
    return content_dir


# --- reports of analytics tools (Matomo, Plausible, GoatCounter) ----------------------------------------


@dataclass
class ImportResult:
    """What one ``import`` of reports read, counted and replaced; ``months`` lists the files it changed."""

    files: int = 0
    rows: int = 0
    views: int = 0
    downloads: int = 0
    ignored: int = 0  # rows of other pages (home, listings, static files) or of unknown resources
    periods: list[str] = field(default_factory=list)  # "YYYY-MM-DD/YYYY-MM-DD" of what was imported
    replaced: list[str] = field(default_factory=list)  # periods of earlier imports this one replaced
    months: list[str] = field(default_factory=list)


Period = tuple[dt.date, dt.date]


def import_reports(content_dir: Path, fmt: str, files: Iterable[Path], period: Period | None = None) -> ImportResult:
    """Import reports of an analytics tool (``fmt`` in :data:`analytics.REPORT_FORMATS`) into ``metrics/``.

    The tool already counted: its counts are taken as they are, per page, per month. Each month of a report
    is recorded with its source and period (rows ``...;matomo-pages;2026-11-01/2026-11-30``); importing a
    period again **replaces** what an earlier import of the same source recorded for the periods it covers,
    so the same report twice, or a month-to-date report each day, counts once. A period that overlaps an
    earlier one without covering it is refused (it cannot be split without double counting). ``period``
    is required for files that carry no dates (a single-period Matomo report) and, for the others, states
    the whole period the export covers (every row must fall within it). Nothing is written unless every
    file parses.
    """
    content_dir = _content(content_dir)
    site = Site.from_content(content_dir)
    classify = _Classifier(site)
    resources = resource_urls(content_dir) if fmt == "matomo-downloads" else {}
    folder = content_dir / "metrics"
    months: dict[str, dict[tuple[str, str, str, str], list[int]]] = {}
    result = ImportResult()
    for path in files:
        path = Path(path)
        try:
            data = _read_bytes(path)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise UsageError(f"cannot read the report {path}: {exc}") from exc
        counts, named = _report_counts(path, fmt, data)
        result.files += 1
        result.rows += sum(1 for count in counts if count.target)
        for (first, last), by_target in _periods(path, counts, period or named):
            month, label = first.strftime("%Y-%m"), f"{first.isoformat()}/{last.isoformat()}"
            rows = months.get(month)
            if rows is None:
                rows = months[month] = read_rows(folder / f"{month}.csv")
            result.replaced += _replace(path, rows, fmt, first, last)
            result.periods.append(label)
            for target, n in by_target.items():
                found = _classify_target(classify, resources, target)
                if found is None:
                    result.ignored += 1
                    continue
                kind, ident, column = found
                rows.setdefault((kind, ident, fmt, label), [0, 0])[column] += n
                if column:
                    result.downloads += n
                else:
                    result.views += n
    result.periods, result.replaced = sorted(set(result.periods)), sorted(set(result.replaced))
    for month in sorted(months):
        write_atomic(folder / f"{month}.csv", month_text(months[month]))
        result.months.append(month)
    return result


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, decompressed when it is gzip (recognised by its magic number)."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _report_counts(path: Path, fmt: str, data: bytes) -> tuple[list[analytics.Count], Period | None]:
    """The counts of one report, and the period its file name states (Plausible), if any."""
    if fmt in ("matomo-pages", "matomo-downloads"):
        return analytics.matomo(path, data), None
    if fmt == "plausible":
        return analytics.plausible(path, data)
    if fmt == "goatcounter":
        return analytics.goatcounter(path, data), None
    raise UsageError(f"unknown report format {fmt!r}")


def _periods(path: Path, counts: list[analytics.Count], stated: Period | None) -> list[tuple[Period, dict]]:
    """What a report counted, one period a month: ``((first, last), target -> n)``, by date.

    The period a report covers is ``stated`` (the options, or the file's name), else the span of its dated
    rows; it is cut at month ends, and each row goes to the month of its days. A row over days of two
    months cannot be split (a Matomo ``week`` or ``range`` across months): an error. A report without
    dates (a single-period Matomo report) needs ``stated``, within one month.
    """
    if any(count.first is None for count in counts):
        if stated is None:
            raise UsageError(f"{path} does not say which days it counts: give --month, or --from and --to")
        counts = [analytics.Count(c.target, c.n, *stated) if c.first is None else c for c in counts]
    elif stated is None:
        if not counts:
            raise UsageError(f"{path} counts nothing and does not say which days: give --month, or --from and --to")
        stated = (min(c.first for c in counts), max(c.last for c in counts))  # type: ignore[type-var]
    first, last = stated
    pieces: dict[str, tuple[Period, dict[str, int]]] = {}
    day = first
    while day <= last:
        end = min(last, analytics.month_end(day))
        pieces[day.strftime("%Y-%m")] = ((day, end), {})
        day = end + dt.timedelta(days=1)
    for count in counts:
        assert count.first is not None and count.last is not None
        if count.first < first or count.last > last:
            raise UsageError(f"{path} counts {count.first}/{count.last}, outside the period {first}/{last}")
        if count.first.strftime("%Y-%m") != count.last.strftime("%Y-%m"):
            raise UsageError(f"{path} counts {count.first}/{count.last} as one, across months: import one month "
                             "at a time (Matomo: period=day or period=month)")  # fmt: skip
        targets = pieces[count.first.strftime("%Y-%m")][1]
        if count.target:
            targets[count.target] = targets.get(count.target, 0) + count.n
    return list(pieces.values())


def _replace(path: Path, rows: dict, source: str, first: dt.date, last: dt.date) -> list[str]:
    """Drop from a month's ``rows`` the imports of ``source`` that ``first``..``last`` covers; their periods.

    An earlier period that overlaps without being covered (a partial overlap, or one that covers the new
    period) is refused: its counts cannot be split by day, so importing would count some days twice.
    """
    replaced = set()
    for kind, ident, row_source, label in list(rows):
        if row_source != source or not label:
            continue
        try:
            begin, end = (dt.date.fromisoformat(part) for part in label.split("/"))
        except ValueError:
            continue
        if end < first or begin > last:
            continue
        if begin < first or end > last:
            raise UsageError(f"{path}: {first}/{last} overlaps the {source} import of {label} without covering "
                             f"it: import a period that covers {label} (or that does not touch it)")  # fmt: skip
        del rows[(kind, ident, row_source, label)]
        replaced.add(label)
    return sorted(replaced)


def _classify_target(classify: _Classifier, resources: dict[str, str], target: str) -> tuple[str, str, int] | None:
    """A report's target (a URL, a path, or Matomo's ``host/path`` label) -> (kind, id, column), or None."""
    if target in resources:
        return ("resource", resources[target], 1)
    if "://" in target:
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    elif target.startswith("/"):
        path = target
    else:  # Matomo's flat download labels: host/path
        for scheme in ("https", "http"):  # the label drops the scheme
            if f"{scheme}://{target}" in resources:
                return ("resource", resources[f"{scheme}://{target}"], 1)
        path = "/" + target.split("/", 1)[1] if "/" in target else "/"
    bare = path.split("?", 1)[0]
    if bare.endswith("/index"):  # Matomo names a URL ending in / after its default action, "index"
        path = bare[: -len("index")]
    return classify(path.encode("utf-8", "replace"))


def resource_urls(content_dir: Path) -> dict[str, str]:
    """The URL of every resource of every public dataset -> its id (what a downloads report names)."""
    found: dict[str, str] = {}
    for pattern in ("organizations/*/datasets/*.yaml", "users/*/datasets/*.yaml"):
        for path in sorted(Path(content_dir).glob(pattern)):
            try:
                data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue  # `portal validate` reports it
            if not isinstance(data, dict) or data.get("private"):
                continue
            for resource in data.get("resources") or []:
                if isinstance(resource, dict) and isinstance(resource.get("url"), str):
                    found.setdefault(resource["url"], str(resource.get("id")))
    return found


def read_rows(path: Path) -> dict[tuple[str, str, str, str], list[int]]:
    """``(kind, id, source, period) -> [views, downloads]`` of a monthly file (empty when absent).

    Files written before sources were recorded have no ``source`` column: their rows came from combined
    logs. Rows that do not parse are skipped (the dashboards read them the same way).
    """
    rows: dict[tuple[str, str, str, str], list[int]] = {}
    if not path.is_file():
        return rows
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle, delimiter=";"):
            try:
                key = (record["kind"], record["id"], record.get("source") or "combined", record.get("period") or "")
                views, downloads = int(record["views"] or 0), int(record["downloads"] or 0)
            except (KeyError, TypeError, ValueError):
                continue
            if key[0] in KINDS:
                row = rows.setdefault(key, [0, 0])
                row[0] += views
                row[1] += downloads
    return rows


def read_month(path: Path) -> dict[tuple[str, str], list[int]]:
    """``(kind, id) -> [views, downloads]`` of a monthly metrics file, every source summed."""
    rows: dict[tuple[str, str], list[int]] = {}
    for (kind, ident, _source, _period), (views, downloads) in read_rows(path).items():
        row = rows.setdefault((kind, ident), [0, 0])
        row[0] += views
        row[1] += downloads
    return rows


def month_text(rows: dict[tuple[str, str, str, str], list[int]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for (kind, ident, source, period), (views, downloads) in sorted(rows.items()):
        writer.writerow((kind, ident, views, downloads, source, period))
    return buffer.getvalue()


MONTH_FILE_RE = re.compile(r"(\d{4})-(\d{2})\.csv")


def load(content_dir: Path) -> dict[str, dict[tuple[str, str], list[int]]]:
    """Every committed month of metrics: ``"YYYY-MM" -> {(kind, id): [views, downloads]}``, by month."""
    folder = Path(content_dir) / "metrics"
    months: dict[str, dict[tuple[str, str], list[int]]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            if MONTH_FILE_RE.fullmatch(path.name):
                months[path.stem] = read_month(path)
    return months
