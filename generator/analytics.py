"""Parsers of the analytics formats that ``portal metrics import`` reads: one small parser per format.

Static hosts (GitHub Pages, GitLab Pages) give no access logs, so a portal's audience comes from what its
operators already run. Two families, counted differently by :mod:`generator.metrics`:

* **request logs**, one request per line, counted with the same rules as combined logs (methods, errors,
  bots, repeated hits; the same content-fingerprint ledger): CloudFront standard logs (:class:`CloudFront`)
  and Cloudflare Logpush ``http_requests`` JSON lines (:class:`Cloudflare`). Each line becomes a
  :class:`Request`; a line that is not of the format is an error naming it, never a silent skip: these
  files are written by machines, so a bad line means the wrong file or a damaged one.
* **reports**, already counted by the analytics tool: Matomo's Reporting API (``Actions.getPageUrls`` and
  ``Actions.getDownloads``, JSON or CSV, :func:`matomo`), Plausible's CSV export (:func:`plausible`) and
  GoatCounter's CSV export (:func:`goatcounter`). Each becomes :class:`Count` rows: a target (URL, path or
  Matomo label), a number, and the days it covers when the file says (``None`` when it does not).

Nothing here keeps a client address, user agent, referrer, browser, location or session: a
:class:`Request` carries the client and agent only for the counting (which hashes them in memory), and a
:class:`Count` carries none of them. Every error is a :class:`FormatError` naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from .errors import UsageError

REPORT_FORMATS = ("matomo-pages", "matomo-downloads", "plausible", "goatcounter")
LOG_FORMATS = ("combined", "cloudfront", "cloudflare")
FORMATS = LOG_FORMATS + REPORT_FORMATS


class FormatError(UsageError):
    """A file that is not what ``--format`` says, or is damaged: names the file and the line."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line = str(path), line


# --- request logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a CDN log, as much as counting needs: who (in memory only), what, when, how it went."""

    client: bytes
    method: bytes
    target: bytes  # path and query, as requested
    status: bytes
    agent: bytes | None  # None: the log does not say
    moment: int  # epoch seconds, UTC
    month: str  # YYYY-MM of the moment, UTC
    bot: bool = False  # the CDN itself says it is a bot


def _utc(moment: dt.datetime) -> tuple[int, str]:
    moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp()), f"{moment.year:04d}-{moment.month:02d}"


class CloudFront:
    """Amazon CloudFront standard (access) logs: ``#Version``/``#Fields`` headers, then tab-separated fields.

    Field positions come from the ``#Fields`` header when the file has one, else the documented order.
    ``date`` and ``time`` are UTC; the user agent is URL-encoded (``%20``) and decoded here.
    """

    name = "cloudfront"
    FIELDS = ("date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
              "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query")  # fmt: skip
    NEEDED = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "cs(User-Agent)")

    def __init__(self) -> None:
        self.index = {name: number for number, name in enumerate(self.FIELDS)}

    def line(self, raw: bytes) -> Request | None:
        """The request of one line; None for a header or blank line; ValueError when it is not one."""
        raw = raw.rstrip(b"\r")
        if not raw or raw.startswith(b"#"):
            if raw.startswith(b"#Fields:"):
                names = raw[8:].decode("ascii", "replace").split()
                missing = [name for name in self.NEEDED if name not in names]
                if missing:
                    raise ValueError(f"the #Fields header lacks {', '.join(missing)}")
                self.index = {name: number for number, name in enumerate(names)}
            return None
        parts = raw.split(b"\t")
        index = self.index
        if len(parts) < 8 or len(parts) <= max(index[name] for name in self.NEEDED):
            raise ValueError(f"not a CloudFront standard log line ({len(parts)} tab-separated fields)")
        try:
            day = dt.datetime.strptime(f"{parts[index['date']].decode()} {parts[index['time']].decode()}",
                                       "%Y-%m-%d %H:%M:%S")  # fmt: skip
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"not a CloudFront date and time: {exc}") from None
        target = parts[index["cs-uri-stem"]]
        query = parts[index["cs-uri-query"]] if "cs-uri-query" in index and len(parts) > index["cs-uri-query"] else b"-"
        if query not in (b"-", b""):
            target += b"?" + query
        agent = parts[index["cs(User-Agent)"]]
        moment, month = _utc(day)
        return Request(parts[index["c-ip"]], parts[index["cs-method"]], target, parts[index["sc-status"]],
                       b"" if agent == b"-" else unquote_to_bytes(agent), moment, month)  # fmt: skip


def _timestamp(value: object) -> tuple[int, str]:
    """A Logpush timestamp in any of its formats: RFC 3339, or Unix seconds, milli-, micro- or nanoseconds."""
    if isinstance(value, str) and not value.isdigit():
        return _utc(dt.datetime.fromisoformat(value))
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a timestamp: {value!r}")
    number = int(value)
    digits = len(str(abs(number)))
    seconds = number // 10 ** (9 if digits >= 18 else 6 if digits >= 15 else 3 if digits >= 12 else 0)
    return _utc(dt.datetime.fromtimestamp(seconds, dt.UTC))


class Cloudflare:
    """Cloudflare Logpush, dataset ``http_requests``, as JSON lines (one object a line, often gzipped).

    Needs ``ClientRequestMethod``, ``ClientRequestURI`` (or ``ClientRequestPath``), ``EdgeResponseStatus``
    and ``EdgeStartTimestamp`` (any ``timestamp_format``); uses ``ClientIP`` and ``ClientRequestUserAgent``
    when the job includes them. A request Cloudflare scores as a verified bot (``BotScoreSrc``) is a bot.
    """

    name = "cloudflare"

    def line(self, raw: bytes) -> Request | None:
        if not raw.strip():
            return None
        try:
            record = json.loads(raw)
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        except ValueError as exc:
            raise ValueError(f"not a JSON object: {exc.msg} at column {exc.colno}") from None
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        method = record.get("ClientRequestMethod")
        target = record.get("ClientRequestURI") or record.get("ClientRequestPath")
        status = record.get("EdgeResponseStatus")
        if not isinstance(method, str) or not isinstance(target, str) or not isinstance(status, int | str):
            raise ValueError("not a Logpush http_requests record (ClientRequestMethod, ClientRequestURI, "
                             "EdgeResponseStatus and EdgeStartTimestamp are needed)")  # fmt: skip
        try:
            moment, month = _timestamp(record.get("EdgeStartTimestamp"))
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(f"EdgeStartTimestamp: {exc}") from None
        agent = record.get("ClientRequestUserAgent")
        return Request(str(record.get("ClientIP", "")).encode(), method.encode(), target.encode(),
                       str(status).encode(), agent.encode() if isinstance(agent, str) else None, moment, month,
                       bot=record.get("BotScoreSrc") == "Verified Bot")  # fmt: skip


LOG_PARSERS = {"cloudfront": CloudFront, "cloudflare": Cloudflare}


# --- reports --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A number of page views or downloads of one target over the days ``first``..``last`` (None: unsaid)."""

    target: str
    n: int
    first: dt.date | None = None
    last: dt.date | None = None


def _text(path: Path, data: bytes) -> str:
    """A report's text: UTF-8, or UTF-16 with a byte-order mark (Matomo's CSV for spreadsheets)."""
    try:
        text = data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1  # in UTF-16, an estimate
        raise FormatError(path, line, f"not {exc.encoding.upper()} text (a binary or truncated file?)") from None
    if "\0" in text:
        raise FormatError(path, text.count("\n", 0, text.index("\0")) + 1, "NUL bytes: a binary file")
    return text


def _line_of(text: str, needle: str) -> int:
    found = text.find(needle)
    return text.count("\n", 0, found) + 1 if found >= 0 else 1


def _number(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(value)  # type: ignore[call-overload]
    if number < 0:
        raise ValueError(value)
    return number


_MATOMO_DAY = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def matomo_period(key: str) -> tuple[dt.date, dt.date]:
    """A Matomo period key (``2026-11-05``, ``2026-11``, ``2026``, ``2026-11-02,2026-11-08``) as first/last day."""
    if "," in key:
        first, last = (matomo_period(part.strip()) for part in key.split(",", 1))
        return first[0], last[1]
    if re.fullmatch(r"\d{4}", key):
        return dt.date(int(key), 1, 1), dt.date(int(key), 12, 31)
    match = _MATOMO_DAY.fullmatch(key)
    if not match:
        raise ValueError(f"not a Matomo period: {key!r}")
    year, month, day = int(match[1]), int(match[2]), match[3]
    if day is not None:
        return (date := dt.date(year, month, int(day))), date
    return dt.date(year, month, 1), month_end(dt.date(year, month, 1))


def month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def matomo(path: Path, data: bytes) -> list[Count]:
    """``Actions.getPageUrls`` or ``Actions.getDownloads`` (``flat=1``), JSON or CSV, one or many periods.

    The count is ``nb_hits`` (page views; clicks on a download link), not ``nb_visits`` (visits that saw
    it). The target is the row's ``url`` when present, else its ``label`` (a path for pages,
    ``host/path`` for downloads). A single-period report carries no dates (``first`` is None); a
    multi-period one (``date=2026-11-01,2026-11-30&period=day``) is keyed by period.
    """
    text = _text(path, data)
    if text.strip() == "No data available":  # what Matomo's CSV (and TSV) renderers say of an empty report
        return []
    if text.lstrip().startswith(("[", "{")):
        return _matomo_json(path, text)
    return _matomo_csv(path, text)


def _matomo_json(path: Path, text: str) -> list[Count]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(path, exc.lineno, f"invalid or truncated JSON: {exc.msg}") from None
    if isinstance(document, dict) and document.get("result") == "error":
        raise FormatError(path, 1, f"Matomo answered an error: {document.get('message', '')}")
    if not isinstance(document, list | dict):
        raise FormatError(path, 1, "not a Matomo report (a list of rows, or rows by period, expected)")
    tables = [(None, document)] if isinstance(document, list) else list(document.items())
    counts: list[Count] = []
    for key, rows in tables:
        first = last = None
        if key is not None:
            try:
                first, last = matomo_period(key)
            except ValueError as exc:
                raise FormatError(path, _line_of(text, f'"{key}"'), str(exc)) from None
        if not isinstance(rows, list):
            raise FormatError(path, _line_of(text, f'"{key}"'), "not a Matomo report (a list of rows expected)")
        if key is not None:  # the period was reported, even without a row: it is imported as such
            counts.append(Count("", 0, first, last))
        for target, n in _matomo_rows(path, text, rows):
            counts.append(Count(target, n, first, last))
    return counts


def _matomo_rows(path: Path, text: str, rows: list) -> Iterator[tuple[str, int]]:
    for row in rows:
        if not isinstance(row, dict):
            raise FormatError(path, 1, "not a Matomo report (rows must be objects)")
        label = str(row.get("label", ""))
        if isinstance(row.get("subtable"), list):  # expanded=1: the tree, leaves carry their url
            yield from _matomo_rows(path, text, row["subtable"])
            continue
        line = _line_of(text, json.dumps(label)[1:-1]) if label else 1
        if "nb_hits" not in row:
            raise FormatError(path, line, "no nb_hits: not an Actions.getPageUrls or Actions.getDownloads report")
        if "idsubdatatable" in row and not row.get("url"):
            raise FormatError(path, line, f"row {label!r} is a folder: ask Matomo for a flat report (flat=1)")
        try:
            n = _number(row["nb_hits"])
        except (TypeError, ValueError):
            raise FormatError(path, line, f"nb_hits is not a count: {row['nb_hits']!r}") from None
        yield str(row.get("url") or label), n


def _table(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A CSV file's header and its non-blank rows with their line; a row of another width is an error."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if row:
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise FormatError(path, reader.line_num, f"not CSV: {exc}") from None
    header = rows.pop(0)[1] if rows else []
    for line, row in rows:
        if len(row) != len(header):
            raise FormatError(path, line, f"{len(row)} fields where the header has {len(header)} (truncated?)")
    return header, rows


def _matomo_csv(path: Path, text: str) -> list[Count]:
    header, rows = _table(path, text)
    if "label" not in header or "nb_hits" not in header:
        raise FormatError(path, 1, "not a Matomo report: its CSV header has no label and nb_hits columns")
    column = {name: number for number, name in enumerate(header)}
    url = column.get("url", column.get("metadata_url"))
    keyed = header[0] == "date"  # several periods: Matomo puts the period first, in a "date" column
    counts: list[Count] = []
    for line, row in rows:
        first = last = None
        if keyed:
            try:
                first, last = matomo_period(row[0])
            except ValueError as exc:
                raise FormatError(path, line, str(exc)) from None
        sub = column.get("idsubdatatable")
        if sub is not None and row[sub] and (url is None or not row[url]):
            raise FormatError(path, line, "a folder row: ask Matomo for a flat report (flat=1)")
        try:
            n = _number(row[column["nb_hits"]] or 0)
        except ValueError:
            raise FormatError(path, line, f"nb_hits is not a count: {row[column['nb_hits']]!r}") from None
        target = row[url] if url is not None and row[url] else row[column["label"]]
        counts.append(Count(target, n, first, last))
    return counts


_PLAUSIBLE_NAME = re.compile(r"imported_pages_(\d{8})_(\d{8})\.csv")


def plausible(path: Path, data: bytes) -> tuple[list[Count], tuple[dt.date, dt.date] | None]:
    """Plausible's CSV export (Site settings, Imports & Exports): ``imported_pages_<from>_<to>.csv``.

    The export is a zip of CSV files; this reads its pages table (the zip itself or that one file):
    ``date,visitors,pageviews,...,hostname,page``, one row per day and page. The count is ``pageviews``
    (not ``visitors``). Returns the counts, and the period the file name states (None when renamed).
    """
    name = path.name
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.namelist() if _PLAUSIBLE_NAME.fullmatch(Path(m).name)]
                if not members:
                    raise FormatError(path, 1, "no imported_pages_<from>_<to>.csv in this zip: not a Plausible export")
                name, data = Path(members[0]).name, archive.read(members[0])
                path = Path(f"{path}!{members[0]}")
        except (zipfile.BadZipFile, EOFError) as exc:
            raise FormatError(path, 1, f"a damaged zip: {exc}") from None
    text = _text(path, data)
    header, rows = _table(path, text)
    if not {"date", "page", "pageviews"} <= set(header):
        raise FormatError(path, 1, "not Plausible's pages export: the header needs date, page and pageviews")
    date, page, pageviews = header.index("date"), header.index("page"), header.index("pageviews")
    counts = []
    for line, row in rows:
        try:
            day = dt.date.fromisoformat(row[date])
            n = _number(row[pageviews])
        except ValueError:
            raise FormatError(
                path, line, f"not a date and a pageviews count: {row[date]!r}, {row[pageviews]!r}"
            ) from None
        counts.append(Count(row[page], n, day, day))
    match = _PLAUSIBLE_NAME.fullmatch(name)
    period = None
    if match:
        period = (dt.datetime.strptime(match[1], "%Y%m%d").date(), dt.datetime.strptime(match[2], "%Y%m%d").date())
    return counts, period


_GOATCOUNTER_HEADER = re.compile(r"(\d+),?Path")


def goatcounter(path: Path, data: bytes) -> list[Count]:
    """GoatCounter's CSV export: one row per page view, ``<version>Path,Title,Event,...,Bot,...,Date``.

    Every row that is neither an event (``Event``) nor a bot (``Bot`` other than 0) is one page view on
    the UTC day of its ``Date``. Browser, system, location, session and referrer are never read.
    """
    text = _text(path, data)
    header, rows = _table(path, text)
    if not header or not _GOATCOUNTER_HEADER.fullmatch(header[0]) or not {"Event", "Bot", "Date"} <= set(header):
        raise FormatError(path, 1, "not a GoatCounter export: the header must start with <version>Path")
    event, bot, date = header.index("Event"), header.index("Bot"), header.index("Date")
    counts = []
    for line, row in rows:
        if row[event].lower() in ("1", "true") or row[bot] not in ("", "0"):
            continue
        try:
            moment = dt.datetime.fromisoformat(row[date])
        except ValueError:
            raise FormatError(path, line, f"not an RFC 3339 date: {row[date]!r}") from None
        day = (moment.astimezone(dt.UTC) if moment.tzinfo else moment).date()
        counts.append(Count(row[0], 1, day, day))
    return counts
