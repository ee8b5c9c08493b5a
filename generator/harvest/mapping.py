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
import json
import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import geometry
from ..vocabularies import FREQUENCIES, FREQUENCIES_EU, hvd_code, match_license

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

# ------------------------------------------------------------------------------------------------ licenses


def map_license(values: list[str], label: str | None = None) -> tuple[str, dict[str, str] | None]:
    """Our license id for the first remote value we recognise (matched whole, see
    :func:`generator.vocabularies.match_license`), and the source's own license when it is none of ours.

    ``values`` are the remote's URIs, ids or titles in order of preference; ``label`` the title the remote
    gives its license, if any. No value at all gives ``notspecified``; an unknown license gives ``other`` and
    ``{"title", "url"}`` as the source wrote them, which the page shows and the export publishes. A known family
    that is not ours word for word (CC BY 3.0 is ``other-at``) keeps its source value too.
    """
    candidates = [v.strip() for v in values if v and v.strip()]
    urls = [v for v in candidates if http_url(v)]
    names = [v for v in candidates if not http_url(v)]
    title = one_line(label or (names[0] if names else ""), 300)
    source = {k: v for k, v in (("title", title), ("url", urls[0] if urls else "")) if v}
    for value in [*candidates, *([label] if label else [])]:
        found = match_license(value)
        if found is not None:  # a family of ours ("other-at" for CC BY 3.0) keeps the source's own license
            return found, (source or None) if found.startswith("other-") and value in urls else None
    if not candidates and not label:
        return "notspecified", None
    return "other", source or None


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
    found = _FREQUENCIES.get(key) or _FREQUENCIES.get(key.replace("_", " ")) or _BY_PERIOD.get(_period(key))
    return (found, None) if found else ("unknown", raw)


def map_hvd(values: list[str]) -> tuple[list[str], list[str]]:
    """The codes of the EU high-value dataset categories among remote values (URIs or codes), each once, and
    the values that are no category of the list (kept raw in ``harvest.unmapped``)."""
    codes = [code for code in map(hvd_code, values) if code is not None]
    return list(dict.fromkeys(codes)), [v for v in values if hvd_code(v) is None]


_DURATION = re.compile(
    r"^(?:r\d*/)?p(?:(\d+(?:\.\d+)?)y)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)w)?"
    r"(?:(\d+(?:\.\d+)?)d)?(?:t(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$"
)
_SECONDS = (365 * 86400, 365 * 86400 / 12, 7 * 86400, 86400, 3600, 60, 1)


def _period(key: str) -> int | None:
    """Seconds of an ISO 8601 duration or repeating interval (``R/P7D``, ``R/P12M``, ``P1W``), rounded."""
    found = _DURATION.match(key.replace(" ", ""))
    if not found or not any(found.groups()):
        return None
    return round(sum(float(v) * unit for v, unit in zip(found.groups(), _SECONDS, strict=True) if v))


# the same periods written another way (R/P7D is weekly, R/P12M annual, R/PT24H daily)
_BY_PERIOD: dict[int | None, str] = {}
for _key, _ours in _FREQUENCIES.items():
    if _key.startswith("r/"):
        _BY_PERIOD.setdefault(_period(_key), _ours)
_BY_PERIOD.pop(None, None)


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


# what says a distribution is a service to call rather than a file to download: its format or media type,
# the standard it conforms to (dct:conformsTo), or the protocol its URL speaks
_SERVICE_FORMATS = frozenset({
    "wms", "wfs", "wcs", "wmts", "wps", "csw", "sos", "wms-srvc", "wfs-srvc", "wcs-srvc", "ogc-api", "ogcapi",
    "api", "rest", "esri-rest", "arcgis-rest", "arcgis-geoservices-rest-api", "openapi", "swagger", "sparql",
    "sparql-endpoint", "graphql", "odata",
})  # fmt: skip
_SERVICE_MEDIA_TYPES = frozenset({
    "application/sparql-query", "application/sparql-results+json", "application/sparql-results+xml",
    "application/vnd.oai.openapi", "application/vnd.oai.openapi+json", "application/openapi+json",
    "application/vnd.ogc.wms_xml", "application/vnd.ogc.wfs_xml", "application/vnd.ogc.se_xml",
})  # fmt: skip
_SERVICE_STANDARDS = re.compile(
    r"(opengis\.net/def/serviceType/ogc/|opengeospatial\.org/standards/(wms|wfs|wcs|wmts|wps|csw)|"
    r"/spec/ogcapi|swagger\.io|openapis\.org|spec\.openapis|w3\.org/TR/(rdf-)?sparql|"
    r"inspire\.ec\.europa\.eu/metadata-codelist/SpatialDataServiceType/)",
    re.I,
)
_SERVICE_URL = re.compile(
    r"([?&]service=(wms|wfs|wcs|wmts|wps|csw)\b|/(MapServer|FeatureServer|ImageServer|WMSServer|WFSServer)(/\d+)?/?$"
    r"|/sparql/?$|/wms/?$|/wfs/?$|/ows/?$|/openapi(\.json|\.ya?ml)?$|/swagger(\.json)?$)",
    re.I,
)


def resource_type(
    fmt: str | None,
    mime: str | None,
    url: str,
    *,
    conforms_to: list[str] = (),
    service: bool = False,
    declared: str | None = None,
) -> str:
    """One rule for every backend: a service (OGC WMS/WFS/WCS..., REST/OpenAPI, SPARQL) is ``api``, anything
    else a file, ``main``. ``declared`` is the remote's own role (CKAN ``resource_type``), kept when it is one
    of ours; ``service`` is true when the remote links a data service (``dcat:accessService``). An access URL
    alone says nothing: ckanext-dcat writes every resource URL there, files included.
    """
    if declared in ("api", "documentation", "code", "update", "other"):
        return declared
    raw_format = re.sub(r"[^a-z0-9.+-]+", "-", (fmt or "").lower()).strip("-")
    if (
        service
        or raw_format in _SERVICE_FORMATS
        or (mime or "") in _SERVICE_MEDIA_TYPES
        or any(_SERVICE_STANDARDS.search(standard) for standard in conforms_to)
        or _SERVICE_URL.search(url)
    ):
        return "api"
    return "main"


# ISO 639-2/3 and EU authority codes -> ISO 639-1 (our language codes)
_LANGUAGES_639 = {
    "bul": "bg", "ces": "cs", "cze": "cs", "dan": "da", "deu": "de", "ger": "de", "ell": "el", "gre": "el",
    "eng": "en", "spa": "es", "est": "et", "fin": "fi", "fra": "fr", "fre": "fr", "gle": "ga", "hrv": "hr",
    "hun": "hu", "isl": "is", "ice": "is", "ita": "it", "lit": "lt", "lav": "lv", "mlt": "mt", "nld": "nl",
    "dut": "nl", "nor": "no", "nob": "nb", "nno": "nn", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro",
    "slk": "sk", "slo": "sk", "slv": "sl", "swe": "sv", "roh": "rm", "cat": "ca", "eus": "eu", "glg": "gl",
    "ltz": "lb", "ukr": "uk", "rus": "ru", "tur": "tr", "ara": "ar", "zho": "zh", "chi": "zh", "jpn": "ja",
}  # fmt: skip
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def language_code(value: str | None) -> str | None:
    """An ISO 639-1 code (``en``, ``nb``, ``pt-BR`` kept) from a tag, a 639-2/3 code or a language URI."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip().rstrip("/")
    if "/" in text or "#" in text:
        text = re.split(r"[/#]", text)[-1]
    text = text.replace("_", "-")
    head, _, tail = text.partition("-")
    head = head.lower()
    head = _LANGUAGES_639.get(head, head)
    code = f"{head}-{tail}" if tail and len(head) == 2 else head
    return code if len(head) == 2 and LANGUAGE_RE.match(code) else None


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
    conforms_to: list[str] = field(default_factory=list)  # dct:conformsTo (standards, protocols)
    service: bool = False  # the remote links a data service (dcat:accessService) and no download URL


@dataclass
class RemoteDataset:
    """A dataset as the remote describes it (raw strings), before mapping."""

    remote_id: str | None
    remote_uri: str | None = None
    title: Any = None
    description: str | None = None
    language: str | None = None  # the language the title and description are written in (a tag or code)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {lang: {title, description}}
    data_languages: list[str] = field(default_factory=list)  # dct:language: the data's, as codes or URIs
    licenses: list[str] = field(default_factory=list)
    license_label: str | None = None  # the remote's title of its license
    frequency: str | None = None
    keywords: list[str] = field(default_factory=list)
    issued: str | None = None
    created: str | None = None  # dct:created: the issued date when there is no dct:issued
    modified: str | None = None
    temporal_start: str | None = None
    temporal_end: str | None = None
    spatial: list[str] = field(default_factory=list)  # zone ids, place URIs or names
    places: list[dict[str, str]] = field(default_factory=list)  # named places: {uri, label}
    geometries: list[Any] = field(default_factory=list)  # WKT, GeoJSON (text or dict), GML, "w,s,e,n"
    bboxes: list[Any] = field(default_factory=list)  # bounding boxes, in the same forms
    contact: dict[str, str] = field(default_factory=dict)
    resources: list[RemoteResource] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)  # names and ids, for the organization filter
    name: str | None = None  # the remote's own slug (CKAN), for titles that leave no slug (non-Latin scripts)
    sort_lists: bool = False  # RDF has no order: sort keywords and resources so every run agrees
    label: str | None = None  # how the job log names a record without URI: its blank node label
    unread: dict[str, str] = field(default_factory=dict)  # source fields no content field holds, kept raw
    hvd_categories: list[str] = field(default_factory=list)  # dcatap:hvdCategory values (URIs of the EU list)


@dataclass
class RemoteDataservice:
    """An API (``dcat:DataService``) as the remote describes it (raw strings), before mapping."""

    remote_id: str | None
    remote_uri: str | None = None
    title: Any = None
    acronym: str | None = None
    description: str | None = None
    endpoint_url: str | None = None
    endpoint_description: str | None = None
    endpoint_format: str | None = None  # the description's dct:format: a URI or a label (openapi, wms...)
    documentation: str | None = None
    licenses: list[str] = field(default_factory=list)
    license_label: str | None = None
    access_rights: str | None = None
    keywords: list[str] = field(default_factory=list)
    issued: str | None = None
    modified: str | None = None
    contact: dict[str, str] = field(default_factory=dict)
    serves: list[str] = field(default_factory=list)  # URIs of the datasets it serves
    hvd_categories: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)  # names and ids, for the organization filter
    label: str | None = None


@dataclass
class Record:
    """One remote dataset or API mapped to ours (``dataset``: the content dict), or why it could not be."""

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
    label: str | None = None  # blank node label, for the job log
    serves: list[str] = field(default_factory=list)  # an API's served datasets, as remote URIs or ids


def failed(remote_id: str | None, error: str, remote_uri: str | None = None, **names: Any) -> Record:
    return Record(remote_id=remote_id, remote_uri=remote_uri, error=error, **names)


def to_record(remote: RemoteDataset, namespace: str) -> Record:
    """Map one remote dataset; ``namespace`` (``org/harvester``) makes resource ids unique to this harvester."""
    title = one_line(remote.title) if remote.title is not None else ""
    names = {"title": title, "label": remote.label}
    if not remote.remote_id:
        error = "the dataset has no identifier: the next harvest could not recognise it"
        return failed(None, error, remote.remote_uri, **names)
    if not title:
        return failed(remote.remote_id, "the dataset has no title", remote.remote_uri, **names)
    unmapped: dict[str, str] = {k: one_line(v, 2000) for k, v in remote.unread.items() if one_line(v, 2000)}
    data: dict[str, Any] = {"title": title, "description": (remote.description or "").strip()}
    language = language_code(remote.language)
    if language:
        data["language"] = language
    translations = {}
    for lang, text in sorted(remote.translations.items()):
        code = language_code(lang)
        entry = {k: (one_line(v) if k == "title" else v.strip()) for k, v in text.items() if v and v.strip()}
        if code and code != language and entry:
            translations[code] = entry
    if translations:
        data["translations"] = translations
    data_languages = list(dict.fromkeys(c for c in (language_code(v) for v in remote.data_languages) if c))
    if data_languages:
        data["data_languages"] = data_languages
    data["license"], license_source = map_license(remote.licenses, remote.license_label)
    if license_source:
        data["license_source"] = license_source
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
    spatial, raw_spatial = _spatial(remote)
    if spatial:
        data["spatial"] = spatial
    if raw_spatial:
        unmapped["spatial"] = " | ".join(sorted(set(raw_spatial)))[:2000]
    tags = [t for t in (slugify(k, 100) for k in remote.keywords) if t]
    tags = sorted(set(tags)) if remote.sort_lists else list(dict.fromkeys(tags))
    if tags:
        data["tags"] = tags
    # dates as the source states them, and none when it states none: dct:created stands in for a missing
    # dct:issued; the harvest date is harvest metadata (harvest.harvested), never the dataset's
    issued = date_value(remote.issued, date_only=True) or date_value(remote.created, date_only=True)
    modified = date_value(remote.modified)
    for name, raw, value in (
        ("issued", remote.issued, date_value(remote.issued)),
        ("created", remote.created, date_value(remote.created)),
        ("modified", remote.modified, modified),
    ):
        if raw and not value:
            unmapped[name] = str(raw)
    if issued:
        data["created"] = issued
    if modified:
        data["last_modified"] = modified
    contact = _contact(remote.contact)
    if contact:
        data["contact_point"] = contact
    hvd, raw_hvd = map_hvd(sorted(remote.hvd_categories) if remote.sort_lists else remote.hvd_categories)
    if hvd:
        data["hvd_categories"] = hvd
    if raw_hvd:
        unmapped["hvd_categories"] = " | ".join(raw_hvd)[:2000]
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
        label=remote.label,
    )


# an API's dct:accessRights (the EU access-right table's last segment) -> its access type: what the DCAT
# export writes (generator.export.dcat.ACCESS_RIGHTS) reads back as itself
ACCESS_TYPES = {"PUBLIC": "open", "RESTRICTED": "open_with_account", "NON_PUBLIC": "restricted"}
# the kinds of API description of the content schema; the EU file types of OGC services read back as theirs
ENDPOINT_FORMATS = ("openapi", "swagger", "wms", "wfs", "wmts", "wcs", "csw", "sparql", "graphql", "wsdl", "other")
_ENDPOINT_FILE_TYPES = {"WMS_SRVC": "wms", "WFS_SRVC": "wfs"}


def to_service_record(remote: RemoteDataservice) -> Record:
    """Map one remote API; the datasets it serves stay remote URIs in ``serves`` until the datasets have slugs.

    An API without stated dates has no ``created`` here (the harvester gives it the first harvest's date, which
    the content schema requires); access rights absent mean ``open``, an unknown value ``restricted`` (never
    claimed open).
    """
    title = one_line(remote.title) if remote.title is not None else ""
    names = {"title": title, "label": remote.label}
    if not remote.remote_id:
        error = "the API has no identifier: the next harvest could not recognise it"
        return failed(None, error, remote.remote_uri, **names)
    if not title:
        return failed(remote.remote_id, "the API has no title", remote.remote_uri, **names)
    endpoint = http_url(remote.endpoint_url)
    if not endpoint:
        return failed(remote.remote_id, "the API has no http(s) endpoint URL", remote.remote_uri, **names)
    unmapped: dict[str, str] = {}
    data: dict[str, Any] = {"title": title}
    if remote.acronym and one_line(remote.acronym):
        data["acronym"] = one_line(remote.acronym, 300)
    data["description"] = (remote.description or "").strip() or title
    data["base_api_url"] = endpoint
    described = http_url(remote.endpoint_description)
    if described:
        data["endpoint_description"] = {"url": described, "format": _endpoint_format(remote.endpoint_format)}
    documentation = http_url(remote.documentation)
    if documentation:
        data["documentation_url"] = documentation
    rights = (remote.access_rights or "").strip()
    access = ACCESS_TYPES.get(rights.rstrip("/").rsplit("/", 1)[-1].upper()) if rights else "open"
    if access is None:
        access, unmapped["access_rights"] = "restricted", one_line(rights, 2000)
    data["access_type"] = access
    license_id, source = map_license(remote.licenses, remote.license_label)
    if license_id != "notspecified":
        data["license"] = license_id
    if source:
        unmapped["license"] = one_line(" ".join(v for v in (source.get("title"), source.get("url")) if v), 2000)
    contact = _contact(remote.contact)
    if contact:
        data["contact_point"] = contact
    tags = sorted({t for t in (slugify(k, 100) for k in remote.keywords) if t})
    if tags:
        data["tags"] = tags
    hvd, raw_hvd = map_hvd(sorted(remote.hvd_categories))
    if hvd:
        data["hvd_categories"] = hvd
    if raw_hvd:
        unmapped["hvd_categories"] = " | ".join(raw_hvd)[:2000]
    issued = date_value(remote.issued, date_only=True)
    modified = date_value(remote.modified)
    if issued or modified:
        data["created"] = issued or str(modified)[:10]
    if modified:
        data["last_modified"] = modified
    return Record(
        remote_id=remote.remote_id,
        remote_uri=remote.remote_uri,
        remote_modified=modified or issued,
        title=title,
        dataset=data,
        unmapped=unmapped,
        keywords=tags,
        publishers=remote.publishers,
        label=remote.label,
        serves=sorted(set(remote.serves)),
    )


def _endpoint_format(value: str | None) -> str:
    """The kind of an API description: our name for the remote's label or EU file type, else ``other``."""
    text = (value or "").strip()
    name = text.rstrip("/").rsplit("/", 1)[-1]
    return _ENDPOINT_FILE_TYPES.get(name) or (text.lower() if text.lower() in ENDPOINT_FORMATS else "other")


def _spatial(remote: RemoteDataset) -> tuple[dict[str, Any], list[str]]:
    """Zones, named places, bounding box and geometry; the values none of them can hold, raw."""
    zones, places, raw = [], [], []
    for value in remote.spatial:
        found = zone(value)
        if found:
            zones.append(found)
        elif http_url(value):
            places.append({"uri": value})
        elif one_line(value, 300):
            places.append({"label": one_line(value, 300)})
    for place in remote.places:
        uri, label = http_url(place.get("uri")), one_line(place.get("label") or "", 300)
        found = zone(uri) if uri else None
        if found:
            zones.append(found)
        elif uri or label:
            places.append({k: v for k, v in (("uri", uri), ("label", label)) if v})
    out: dict[str, Any] = {}
    if zones:
        out["zones"] = sorted(set(zones))
    unique = {json_key(p): p for p in places}
    if unique:
        out["places"] = [unique[k] for k in sorted(unique)]
    bbox = geometry_wkt = None
    for value in [*remote.bboxes, *remote.geometries]:
        shape = geometry.read(value)
        if shape is None:
            raw.append(value if isinstance(value, str) else json_key(value))
            continue
        if value in remote.bboxes or shape.wkt is None:
            bbox = bbox or list(shape.bbox)
        else:
            geometry_wkt = geometry_wkt or shape.wkt
            bbox = bbox or list(shape.bbox)
    if bbox:
        out["bbox"] = bbox
    if geometry_wkt:
        out["geometry"] = geometry_wkt
    return out, raw


def unread_fields(source: dict[str, Any], read: set[str] | frozenset[str]) -> dict[str, str]:
    """The fields of a JSON record (CKAN, data.json) that no content field holds, as text for ``unmapped``."""
    out = {}
    for key, value in source.items():
        if key in read or value in (None, "", [], {}):
            continue
        out[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return out


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _contact(raw: dict[str, str]) -> dict[str, str]:
    contact = {}
    name = one_line(raw.get("name") or "")
    if name:
        contact["name"] = name
    email = (raw.get("email") or "").strip()
    email = email[len("mailto:") :] if email.lower().startswith("mailto:") else email
    if "://" in email:  # an address written as a relative IRI (no mailto:), resolved against the page's URL
        email = email.rsplit("/", 1)[-1]
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
    kind = resource_type(res.format, mime, url, conforms_to=res.conforms_to, service=res.service, declared=res.type)
    out: dict[str, Any] = {"id": rid, "title": one_line(title), "url": url, "type": kind, "format": fmt}
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
