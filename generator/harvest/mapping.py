"""From remote values to our dataset dict: vocabularies, dates, formats, slugs, in one place for every backend.

Each backend reads its catalogue into neutral :class:`RemoteDataset` / :class:`RemoteResource` values (plain
strings as the remote wrote them); :func:`to_record` turns one into a :class:`Record` holding a dataset dict
in the portal's schema, with a fixed key order so that the YAML written from it is deterministic.

Values we cannot map are never dropped silently: a license we do not know becomes ``other``, a frequency
``unknown``, and the raw remote value is kept in ``harvest.unmapped`` where the dataset page shows it.
The tables here read back what the DCAT export writes (:data:`generator.vocabularies.FREQUENCIES_EU`), so a portal's
own export harvests back to the same datasets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..vocabularies import FREQUENCIES, FREQUENCIES_EU, LICENSES

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

# ------------------------------------------------------------------------------------------------ licenses

# identifiers other catalogues use for our licenses (CKAN license ids, SPDX, EU authority codes, titles)
_LICENSE_ALIASES: dict[str, str] = {
    # CKAN's default license list and common variants
    "cc-by": "cc-by-4.0",
    "cc-by-4": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-zero": "cc0-1.0",
    "cc0": "cc0-1.0",
    "odc-odbl-1.0": "odc-odbl",
    "odbl": "odc-odbl",
    "odbl-1.0": "odc-odbl",
    "odc-by-1.0": "odc-by",
    "odc-pddl-1.0": "odc-pddl",
    "pddl": "odc-pddl",
    "pddl-1.0": "odc-pddl",
    "fr-lo": "lov1",  # CKAN's fr-lo is Licence Ouverte 1.0
    "lo-2.0": "etalab-2.0",
    "lov2": "etalab-2.0",
    "licence-ouverte-2.0": "etalab-2.0",
    "other-closed": "other",
    "not-specified": "notspecified",
    "license-not-specified": "notspecified",
    # EU licence authority codes
    "cc-by-4-0": "cc-by-4.0",
    "cc-bysa-4-0": "cc-by-sa-4.0",
    "cc0-1-0": "cc0-1.0",
    "cc0-1.0-universal": "cc0-1.0",
    "odc-by-1-0": "odc-by",
    "odc-odbl-1-0": "odc-odbl",
    "odc-pddl-1-0": "odc-pddl",
    "etalab-2-0": "etalab-2.0",
    # Project Open Data's public domain label
    "usa.gov/publicdomain/label/1.0": "other-pd",
    "creativecommons.org/publicdomain/mark/1.0": "other-pd",
    # DCAT-AP.de licence vocabulary
    "dcat-ap.de/def/licenses/cc-by-4.0": "cc-by-4.0",
    "dcat-ap.de/def/licenses/cc-by-sa-4.0": "cc-by-sa-4.0",
    "dcat-ap.de/def/licenses/cczero": "cc0-1.0",
    "dcat-ap.de/def/licenses/odbl": "odc-odbl",
    "dcat-ap.de/def/licenses/odby": "odc-by",
    "dcat-ap.de/def/licenses/odcpddl": "odc-pddl",
}


def _license_key(value: str) -> str:
    text = value.strip().lower()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = re.sub(r"(/legalcode|/deed\.[a-z-]+)$", "", text.rstrip("/"))
    return text.rstrip("/")


def _license_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for lic in LICENSES.values():
        table[_license_key(lic.id)] = lic.id
        table[_license_key(lic.title)] = lic.id
        if lic.url:
            table[_license_key(lic.url)] = lic.id
    for alias, target in _LICENSE_ALIASES.items():
        table[_license_key(alias)] = target
    return table


_LICENSES = _license_table()


def map_license(values: list[str]) -> tuple[str, str | None]:
    """Our license id for the first remote value we recognise, and the raw value when none is known.

    ``values`` are the remote's URIs, ids or titles in order of preference. No value at all gives
    ``notspecified``; only unknown values give ``other`` plus the raw value to keep visible.
    """
    candidates = [v.strip() for v in values if v and v.strip()]
    for value in candidates:
        key = _license_key(value)
        found = _LICENSES.get(key)
        if found is None and key.startswith(_license_key(EU_LICENCE)):
            found = _LICENSES.get(key.rsplit("/", 1)[1].replace("_", "-"))
        if found is None and "/" in key and not key.startswith(("creativecommons", "opendatacommons")):
            found = _LICENSES.get(key.rsplit("/", 1)[1])
        if found is not None:
            return found, None
    if not candidates:
        return "notspecified", None
    return "other", " | ".join(dict.fromkeys(candidates))


# ----------------------------------------------------------------------------------------------- frequencies

_FREQUENCIES: dict[str, str] = {
    **{code.lower(): ours for ours, code in FREQUENCIES_EU.items() if code != "OTHER"},
    "cont": "continuous",
    **{ours.lower(): ours for ours in FREQUENCIES},  # ours, and Dublin Core's cld:freq terms (same names)
    "annually": "annual",
    "yearly": "annual",
    "biannual": "semiannual",
    "biannually": "semiannual",
    "fortnightly": "biweekly",
    "realtime": "continuous",
    "real-time": "continuous",
    "continual": "continuous",
    "never": "punctual",
    "as needed": "irregular",
    "asneeded": "irregular",
    # ISO 8601 repeating durations (Project Open Data's accrualPeriodicity)
    "r/p5y": "quinquennial",
    "r/p3y": "triennial",
    "r/p2y": "biennial",
    "r/p1y": "annual",
    "r/p6m": "semiannual",
    "r/p4m": "threeTimesAYear",
    "r/p3m": "quarterly",
    "r/p2m": "bimonthly",
    "r/p1m": "monthly",
    "r/p0.5m": "semimonthly",
    "r/p0.33m": "threeTimesAMonth",
    "r/p2w": "biweekly",
    "r/p1w": "weekly",
    "r/p3.5d": "semiweekly",
    "r/p0.33w": "threeTimesAWeek",
    "r/p1d": "daily",
    "r/pt12h": "semidaily",
    "r/pt8h": "threeTimesADay",
    "r/pt6h": "fourTimesADay",
    "r/pt1h": "hourly",
    "r/pt1s": "continuous",
}


def map_frequency(value: str | None) -> tuple[str | None, str | None]:
    """Our frequency for a remote URI or term; ``("unknown", raw)`` when we do not know it."""
    if value is None or not str(value).strip():
        return None, None
    raw = str(value).strip()
    key = raw.lower()
    if "/" in key and not key.startswith("r/"):
        key = key.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    found = _FREQUENCIES.get(key) or _FREQUENCIES.get(key.replace("_", " "))
    return (found, None) if found else ("unknown", raw)


# ------------------------------------------------------------------------------------------- formats, types

_MIME_TO_FORMAT = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
    "application/geo+json": "geojson",
    "application/vnd.geo+json": "geojson",
    "application/ld+json": "jsonld",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/rdf+xml": "rdf",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/pdf": "pdf",
    "text/html": "html",
    "text/plain": "txt",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.google-earth.kml+xml": "kml",
    "application/geopackage+sqlite3": "gpkg",
    "application/x-shapefile": "shp",
    "application/vnd.apache.parquet": "parquet",
    "application/x-netcdf": "netcdf",
    "application/yaml": "yaml",
    "text/tab-separated-values": "tsv",
}
_FORMAT_ALIASES = {
    "rdf-xml": "rdf",
    "rdf+xml": "rdf",
    "json-ld": "jsonld",
    "turtle": "ttl",
    "shapefile": "shp",
    # EU file-type authority codes whose name is not our format
    "rdf-turtle": "ttl",
    "rdf-n3": "n3",
    "rdf-n-triples": "nt",
    "gzip": "gz",
    "markdown": "md",
    "grib": "grib2",
    "wfs-srvc": "wfs",
    "wms-srvc": "wms",
}
# EU country authority (alpha-3) -> our zone ids (country:<alpha-2>)
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
_COUNTRIES = {
    "AUT": "at", "BEL": "be", "BGR": "bg", "CHE": "ch", "CYP": "cy", "CZE": "cz", "DEU": "de", "DNK": "dk",
    "EST": "ee", "ESP": "es", "FIN": "fi", "FRA": "fr", "GBR": "gb", "GRC": "gr", "HRV": "hr", "HUN": "hu",
    "IRL": "ie", "ISL": "is", "ITA": "it", "LIE": "li", "LTU": "lt", "LUX": "lu", "LVA": "lv", "MCO": "mc",
    "MLT": "mt", "NLD": "nl", "NOR": "no", "POL": "pl", "PRT": "pt", "ROU": "ro", "SWE": "se", "SVN": "si",
    "SVK": "sk", "USA": "us", "CAN": "ca",
}  # fmt: skip


def zone(value: str) -> str | None:
    """Our zone id for a remote spatial value: a zone id, a URI ending in one, or an EU country URI."""
    if value.startswith(EU_COUNTRY):
        code = _COUNTRIES.get(value[len(EU_COUNTRY) :].strip("/"))
        return f"country:{code}" if code else None
    candidate = value.rstrip("/").rsplit("/", 1)[-1] if "/" in value else value
    return candidate if _ZONE_RE.match(candidate) else None


FORMAT_RE = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_ZONE_RE = re.compile(r"^[a-z0-9-]+(:[A-Za-z0-9-]+)+$")
MIME_RE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")


def media_type(value: str | None) -> str | None:
    """A media type from ``text/csv``, ``text/csv; charset=utf-8`` or an IANA URI, else None."""
    if not value:
        return None
    text = value.strip().lower()
    for prefix in (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split(";")[0].strip()
    return text if MIME_RE.match(text) else None


def file_format(value: str | None, mime: str | None, url: str | None) -> str | None:
    """A lowercase format from a remote format (word, EU file-type URI, media type), the media type, or the URL."""
    if value:
        text = value.strip()
        as_mime = media_type(text)
        if as_mime and as_mime in _MIME_TO_FORMAT:
            return _MIME_TO_FORMAT[as_mime]
        if "://" in text:
            text = unquote(text.rstrip("/").rsplit("/", 1)[-1])
        text = re.sub(r"[^a-z0-9.+-]+", "-", text.lower().replace("_", "-")).strip("-.")[:40]
        text = _FORMAT_ALIASES.get(text, text)
        if text and FORMAT_RE.match(text):
            return text
    if mime:
        if mime in _MIME_TO_FORMAT:
            return _MIME_TO_FORMAT[mime]
        guessed = mimetypes.guess_extension(mime, strict=False)
        if guessed:
            return guessed.lstrip(".")
    if url:
        name = urlsplit(url).path.rsplit("/", 1)[-1]
        if "." in name:
            ext = name.rsplit(".", 1)[1].lower()
            if 1 <= len(ext) <= 8 and ext.isalnum():
                return ext
    return None


_CHECKSUM_ALGORITHMS = {"sha256": "sha256", "sha-256": "sha256", "sha1": "sha1", "sha-1": "sha1", "md5": "md5"}
_DIGEST_RE = re.compile(r"^[0-9a-f]{32}([0-9a-f]{8})?([0-9a-f]{24})?$")
_DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


def checksum(algorithm: str | None, value: str | None) -> dict[str, str] | None:
    """``{type, value}`` from an SPDX algorithm (URI or name) and a hex digest; a CKAN bare hash by length."""
    if not value:
        return None
    digest = value.strip().lower()
    if ":" in digest and not algorithm:  # "sha256:abcd..." as some CKAN instances write it
        algorithm, digest = digest.split(":", 1)
    if algorithm:
        name = algorithm.strip().lower().rsplit("/", 1)[-1].rsplit("#", 1)[-1].replace("checksumalgorithm_", "")
        kind = _CHECKSUM_ALGORITHMS.get(name)
    else:
        kind = {32: "md5", 40: "sha1", 64: "sha256"}.get(len(digest))
    if kind is None or len(digest) != _DIGEST_LENGTHS[kind] or not _DIGEST_RE.match(digest):
        return None
    return {"type": kind, "value": digest}


def byte_size(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number >= 0 and number == int(number) else None


# ------------------------------------------------------------------------------------------------------ dates

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def date_value(value: Any, *, date_only: bool = False, end: bool = False) -> str | None:
    """An ISO date (or RFC 3339 date-time when it has an offset and ``date_only`` is false), else None.

    A date-time without offset is cut to its date (we do not guess its time zone); a bare year or year-month
    means its first day (its last day when ``end``).
    """
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        text += "-12-31" if end else "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        if end:
            year, month = int(text[:4]), int(text[5:7])
            try:
                first_next = dt.date(year + month // 12, month % 12 + 1, 1)
            except ValueError:
                return None
            text = (first_next - dt.timedelta(days=1)).isoformat()
        else:
            text += "-01"
    try:
        if _DATE_RE.match(text):
            return dt.date.fromisoformat(text).isoformat()
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if date_only or parsed.tzinfo is None:
        return parsed.date().isoformat()
    if _RFC3339_RE.match(text):
        return text
    return parsed.isoformat()


# ------------------------------------------------------------------------------------------------ text, slugs

_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d"})
SLUG_MAX = 80


def slugify(value: Any, max_length: int = SLUG_MAX) -> str:
    """ASCII, lowercase, hyphens; cut at a hyphen below ``max_length``. Empty when nothing is left."""
    text = unicodedata.normalize("NFKD", str(value).translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    slug = "-".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[: max_length + 1] else slug[:max_length]
        slug = slug[:max_length].strip("-")
    return slug


def short_hash(value: str, length: int = 6) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]


def one_line(value: Any, max_length: int = 1000) -> str:
    return " ".join(str(value).split())[:max_length]


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s]+$")


def http_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if _URL_RE.match(text) and len(text) <= 4000 else None


# --------------------------------------------------------------------------------------------------- records


@dataclass
class RemoteResource:
    """A distribution / resource as the remote describes it (raw strings)."""

    key: str  # stable within the dataset: the distribution's URI, the CKAN resource id, else its URLs
    title: str | None = None
    description: str | None = None
    url: str | None = None  # download URL first, else access URL
    format: str | None = None
    media_type: str | None = None
    byte_size: Any = None
    checksum_algorithm: str | None = None
    checksum_value: str | None = None
    issued: str | None = None
    modified: str | None = None
    type: str | None = None  # ours (main, api, documentation...) when the remote says


@dataclass
class RemoteDataset:
    """A dataset as the remote describes it (raw strings), before mapping."""

    remote_id: str | None
    remote_uri: str | None = None
    title: Any = None
    description: str | None = None
    licenses: list[str] = field(default_factory=list)
    frequency: str | None = None
    keywords: list[str] = field(default_factory=list)
    issued: str | None = None
    modified: str | None = None
    temporal_start: str | None = None
    temporal_end: str | None = None
    spatial: list[str] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)
    resources: list[RemoteResource] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)  # names and ids, for the organization filter
    name: str | None = None  # the remote's own slug (CKAN), for titles that leave no slug (non-Latin scripts)
    sort_lists: bool = False  # RDF has no order: sort keywords and resources so every run agrees


@dataclass
class Record:
    """One remote dataset mapped to ours (``dataset``), or why it could not be (``error``)."""

    remote_id: str | None
    remote_uri: str | None = None
    remote_modified: str | None = None
    title: str = ""
    name: str | None = None
    dataset: dict[str, Any] | None = None  # without the harvest block
    unmapped: dict[str, str] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    error: str | None = None


def failed(remote_id: str | None, error: str, remote_uri: str | None = None) -> Record:
    return Record(remote_id=remote_id, remote_uri=remote_uri, error=error)


def to_record(remote: RemoteDataset, namespace: str) -> Record:
    """Map one remote dataset; ``namespace`` (``org/harvester``) makes resource ids unique to this harvester."""
    if not remote.remote_id:
        return failed(None, "the dataset has no identifier: the next harvest could not recognise it", remote.remote_uri)
    title = one_line(remote.title) if remote.title is not None else ""
    if not title:
        return failed(remote.remote_id, "the dataset has no title", remote.remote_uri)
    unmapped: dict[str, str] = {}
    data: dict[str, Any] = {"title": title, "description": (remote.description or "").strip()}
    data["license"], raw_license = map_license(remote.licenses)
    if raw_license:
        unmapped["license"] = raw_license
    frequency, raw_frequency = map_frequency(remote.frequency)
    if frequency:
        data["frequency"] = frequency
    if raw_frequency:
        unmapped["frequency"] = raw_frequency
    start = date_value(remote.temporal_start, date_only=True)
    end = date_value(remote.temporal_end, date_only=True, end=True)
    if start:
        data["temporal_coverage"] = {"start": start, **({"end": end} if end else {})}
    elif remote.temporal_start or remote.temporal_end:
        unmapped["temporal"] = f"{remote.temporal_start or ''}/{remote.temporal_end or ''}"
    zones, raw_spatial = [], []
    for value in remote.spatial:
        found = zone(value)
        if found:
            zones.append(found)
        else:
            raw_spatial.append(value)
    if zones:
        data["spatial"] = {"zones": sorted(set(zones))}
    if raw_spatial:
        unmapped["spatial"] = " | ".join(sorted(set(raw_spatial)))[:2000]
    tags = [t for t in (slugify(k, 100) for k in remote.keywords) if t]
    tags = sorted(set(tags)) if remote.sort_lists else list(dict.fromkeys(tags))
    if tags:
        data["tags"] = tags
    issued = date_value(remote.issued, date_only=True)
    modified = date_value(remote.modified)
    for name, raw, value in (("issued", remote.issued, issued), ("modified", remote.modified, modified)):
        if raw and not value:
            unmapped[name] = str(raw)
    data["created"] = issued or (modified[:10] if modified else None)
    data["last_modified"] = modified or issued
    contact = _contact(remote.contact)
    if contact:
        data["contact_point"] = contact
    resources = []
    seen_ids: set[str] = set()
    remotes = sorted(remote.resources, key=lambda r: (r.url or "", r.key)) if remote.sort_lists else remote.resources
    for index, res in enumerate(remotes):
        mapped = _resource(res, namespace, remote.remote_id, seen_ids)
        if isinstance(mapped, str):
            unmapped[f"resource {index + 1}"] = mapped
        else:
            resources.append(mapped)
    if resources:
        data["resources"] = resources
    return Record(
        remote_id=remote.remote_id,
        remote_uri=remote.remote_uri,
        remote_modified=modified or issued,
        title=title,
        name=remote.name,
        dataset=data,
        unmapped=unmapped,
        keywords=tags,
        publishers=remote.publishers,
    )


def _contact(raw: dict[str, str]) -> dict[str, str]:
    contact = {}
    name = one_line(raw.get("name") or "")
    if name:
        contact["name"] = name
    email = (raw.get("email") or "").strip()
    email = email[len("mailto:") :] if email.lower().startswith("mailto:") else email
    if _EMAIL_RE.match(email) and len(email) <= 320:
        contact["email"] = email
    url = http_url(raw.get("url"))
    if url:
        contact["url"] = url
    return contact


def _resource(res: RemoteResource, namespace: str, remote_id: str, seen: set[str]) -> dict[str, Any] | str:
    url = http_url(res.url)
    if url is None:
        return f"{res.title or res.key}: no http(s) URL ({res.url or 'none'})"
    key = f"{namespace}\n{remote_id}\n{res.key}"
    rid = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
    n = 1
    while rid in seen:  # two distributions with the same key: keep both, with distinct ids
        n += 1
        rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}\n{n}"))
    seen.add(rid)
    mime = media_type(res.media_type)
    if mime is None:
        as_mime = media_type(res.format)
        mime = as_mime if as_mime and "/" in (res.format or "") else None
    fmt = file_format(res.format, mime, url) or "unknown"
    title = one_line(res.title or "") or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or fmt.upper()
    out: dict[str, Any] = {"id": rid, "title": one_line(title), "url": url, "type": res.type or "main", "format": fmt}
    if mime:
        out["mime"] = mime
    size = byte_size(res.byte_size)
    if size is not None:
        out["filesize"] = size
    digest = checksum(res.checksum_algorithm, res.checksum_value)
    if digest:
        out["checksum"] = digest
    created = date_value(res.issued)
    if created:
        out["created"] = created
    modified = date_value(res.modified)
    if modified:
        out["last_modified"] = modified
    if res.description and res.description.strip():
        out["description"] = res.description.strip()
    return out
