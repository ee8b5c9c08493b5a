"""DCAT catalogues in RDF/XML, Turtle, JSON-LD, N-Triples or N3, read with rdflib, Hydra paging followed.

Symmetric to DCAT-AP 3 (what the portal's DCAT export writes): dct:title, dct:description, dcat:keyword,
dct:license, dct:accrualPeriodicity, dct:temporal (dcat:startDate/endDate), dct:spatial, dcat:contactPoint
(vCard), dct:issued/modified, DCAT-AP HVD's dcatap:hvdCategory, and dcat:distribution with
dcat:downloadURL/accessURL, dct:format, dcat:mediaType, dcat:byteSize, spdx:checksum, dct:license. The
catalogue's APIs (dcat:DataService listed by dcat:service or standing alone) are read too (:func:`dataservices`):
endpoint URL and description, documentation, access rights, licence, contact, keywords, dates, HVD categories
and the datasets they serve. Literals in several languages are read in the site's languages first (then
untagged, then English, then any).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from ..vocabularies import HVD_LEGISLATION
from .errors import CatalogueError, FetchError, HarvestError
from .fetch import Fetcher, Page
from .mapping import RemoteDataservice, RemoteDataset, RemoteResource

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("http://schema.org/")
SCHEMA_S = Namespace("https://schema.org/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCAT_SERIES = URIRef("http://www.w3.org/ns/dcat#DatasetSeries")

ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, application/n-triples;q=0.8, "
    "text/n3;q=0.7, application/xml;q=0.5, */*;q=0.1"
)
MAX_PAGES = 10_000
_BY_MEDIA_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
}
_BY_EXTENSION = {
    "ttl": "turtle",
    "rdf": "xml",
    "xml": "xml",
    "owl": "xml",
    "jsonld": "json-ld",
    "json": "json-ld",
    "nt": "nt",
    "n3": "n3",
}
REMOTE_FILTERS: frozenset[str] = frozenset()  # DCAT has no query API: filters apply to what was read
# the properties of a dataset that the content model holds (the others go to harvest.unmapped); the
# publisher and landing page are the portal's own in the export (provenance links to the source)
_READ = frozenset({
    DCTERMS.identifier, DCTERMS.title, DCTERMS.description, DCTERMS.language, DCTERMS.license,
    DCTERMS.accrualPeriodicity, DCAT.keyword, DCTERMS.issued, DCTERMS.created, DCTERMS.modified,
    DCTERMS.temporal, DCTERMS.spatial, DCAT.contactPoint, DCAT.distribution, DCTERMS.publisher, DCAT.landingPage,
    DCATAP.hvdCategory,
})  # fmt: skip


@dataclass
class Catalogue:
    """What one read of a catalogue gave: its pages (URL and SHA-256, in order) and its datasets.

    ``unchanged`` is true when every page is byte for byte the one of the last run (``known``): the datasets
    are then not read at all, which turns a re-run on an unchanged 10,000-dataset catalogue into a download.
    """

    pages: list[dict[str, str]]
    unchanged: bool
    remotes: list[RemoteDataset]
    services: list[RemoteDataservice] = field(default_factory=list)  # the catalogue's APIs (dcat:DataService)


def read(fetcher: Fetcher, url: str, languages: list[str], known: list[dict[str, str]] | None = None) -> Catalogue:
    """Every page of the catalogue at ``url``, following Hydra ``next``/``nextPage`` links, and its datasets.

    A page identical to the same page of the last run is not parsed: its next page is the one recorded then.
    Raises :class:`HarvestError` for a page that cannot be fetched or parsed.
    """
    known = known or []
    pages: list[dict[str, str]] = []
    fetched: list[tuple[Page, Graph | None]] = []
    contexts: dict[str, Any] = {}
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and next_url not in seen:
        if len(seen) >= MAX_PAGES:
            raise CatalogueError(f"{url}: more than {MAX_PAGES} pages, stopping")
        seen.add(next_url)
        page = fetcher.get(next_url, accept=ACCEPT)
        index = len(pages)
        pages.append({"url": next_url, "sha256": hashlib.sha256(page.content).hexdigest()})
        if index < len(known) and known[index] == pages[index]:
            fetched.append((page, None))
            next_url = known[index + 1]["url"] if index + 1 < len(known) else None
        else:
            graph = parse(page, fetcher, contexts)
            fetched.append((page, graph))
            next_url = next_page(graph, page.url)
    if known and len(pages) == len(known) and all(graph is None for _, graph in fetched):
        return Catalogue(pages, True, [])
    remotes: list[RemoteDataset] = []
    services: list[RemoteDataservice] = []
    for page, graph in fetched:
        graph = graph if graph is not None else parse(page, fetcher, contexts)
        remotes.extend(datasets(graph, languages))
        services.extend(dataservices(graph, languages))
    return Catalogue(pages, False, remotes, services)


def parse(page: Page, fetcher: Fetcher | None = None, contexts: dict[str, Any] | None = None) -> Graph:
    """The RDF graph of one page; the serialisation is told by the media type, the URL, then the content."""
    fmt = rdf_format(page)
    data: Any = page.content
    if fmt == "json-ld":
        data = _inline_contexts(page, fetcher, contexts if contexts is not None else {})
    graph = Graph()
    # rdflib warns (and logs a traceback) about ill-typed literals: we check every value ourselves
    with warnings.catch_warnings(), _quiet("rdflib"):
        warnings.simplefilter("ignore")
        try:
            graph.parse(data=data, format=fmt, publicID=page.url)
        except HarvestError:
            raise
        except Exception as exc:  # rdflib's parsers raise anything from SyntaxError to KeyError
            raise CatalogueError(f"{page.url} is not valid {_FORMAT_NAMES[fmt]}: {_first_line(exc)}") from None
    return graph


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    disabled, logger.disabled = logger.disabled, True
    term = logging.getLogger(name + ".term")
    term_disabled, term.disabled = term.disabled, True
    try:
        yield
    finally:
        logger.disabled, term.disabled = disabled, term_disabled


_FORMAT_NAMES = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples", "n3": "N3"}


def rdf_format(page: Page) -> str:
    if page.media_type in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[page.media_type]
    name = urlsplit(page.url).path.rsplit("/", 1)[-1].lower()
    for ext in sorted(_BY_EXTENSION, key=len, reverse=True):
        if name.endswith("." + ext):
            return _BY_EXTENSION[ext]
    head = page.content[:2000].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if re.match(rb"^(<[^>]+>\s+<[^>]+>\s+\S)", head) and b"@prefix" not in head:
        return "nt"
    return "turtle"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:300]


def _inline_contexts(page: Page, fetcher: Fetcher | None, cache: dict[str, Any]) -> str:
    """JSON-LD with remote ``@context`` URLs replaced by their content, fetched through our client.

    rdflib would otherwise fetch them itself, without our timeouts, size limit or User-Agent.
    """
    try:
        document = json.loads(page.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"{page.url} is not valid JSON-LD: {_first_line(exc)}") from None

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            target = urljoin(page.url, value)
            if target not in cache:
                if fetcher is None:
                    raise CatalogueError(f"{page.url}: remote JSON-LD context {target} cannot be fetched")
                try:
                    remote = fetcher.get_json(target)
                except FetchError as exc:
                    raise CatalogueError(f"{page.url}: its JSON-LD context cannot be read: {exc}") from None
                cache[target] = remote.get("@context", {}) if isinstance(remote, dict) else {}
            return cache[target]
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: resolve(v) if k == "@context" else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return json.dumps(walk(document))


def next_page(graph: Graph, page_url: str) -> str | None:
    """The Hydra next page (``hydra:next`` of a PartialCollectionView, or ``hydra:nextPage`` of a PagedCollection)."""
    found = sorted(str(o) for p in (HYDRA.next, HYDRA.nextPage) for o in graph.objects(None, p))
    return urljoin(page_url, found[0]) if found else None


# ----------------------------------------------------------------------------------------------- reading


def datasets(graph: Graph, languages: list[str]) -> Iterator[RemoteDataset]:
    reader = _Reader(graph, languages)
    subjects = set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.subjects(RDF.type, DCAT_SERIES))
    subjects |= {o for o in graph.objects(None, DCAT.dataset) if isinstance(o, (URIRef, BNode))}
    subjects = {s for s in subjects if (s, None, None) in graph and (s, RDF.type, DCAT.Catalog) not in graph}
    for subject in sorted(subjects, key=_node_key):
        yield reader.dataset(subject)


def dataservices(graph: Graph, languages: list[str]) -> Iterator[RemoteDataservice]:
    """The APIs of a catalogue: ``dcat:DataService`` nodes that a catalogue lists (``dcat:service``) or that stand
    alone (no other node points at them); a service that a distribution points at (``dcat:accessService``) is
    part of it, read with its dataset as a resource."""
    reader = _Reader(graph, languages)
    listed = set(graph.objects(None, DCAT.service))
    alone = {s for s in graph.subjects(RDF.type, DCAT.DataService) if next(graph.subject_predicates(s), None) is None}
    subjects = listed | alone
    for subject in sorted((s for s in subjects if isinstance(s, (URIRef, BNode))), key=_node_key):
        if (subject, None, None) in graph:
            yield reader.dataservice(subject)


def _node_key(node: Any) -> tuple[int, str]:
    return (isinstance(node, BNode), str(node))


class _Reader:
    def __init__(self, graph: Graph, languages: list[str]):
        self.g = graph
        self.languages = [lang.lower() for lang in languages]

    # --- values

    def _rank(self, literal: Any) -> tuple[int, str]:
        lang = (getattr(literal, "language", None) or "").lower().split("-")[0]
        if lang in self.languages:
            return (self.languages.index(lang), "")
        if not lang:
            return (len(self.languages), "")
        if lang == "en":
            return (len(self.languages) + 1, "")
        return (len(self.languages) + 2, lang)

    def text(self, subject: Any, *predicates: URIRef) -> str | None:
        """The best literal of the first predicate that has one (site languages first)."""
        for predicate in predicates:
            values = [o for o in self.g.objects(subject, predicate) if isinstance(o, Literal) and str(o).strip()]
            if values:
                return str(min(values, key=lambda v: (self._rank(v), str(v))))
        return None

    def texts(self, subject: Any, predicate: URIRef) -> list[str]:
        """All literals in the best language present (keywords come in one list per language)."""
        values = [o for o in self.g.objects(subject, predicate) if isinstance(o, Literal) and str(o).strip()]
        if not values:
            return []
        best = min(self._rank(v) for v in values)
        return sorted(str(v) for v in values if self._rank(v) == best)

    def value(self, subject: Any, *predicates: URIRef) -> str | None:
        """A URI or literal as text (for URIs of licenses, frequencies, formats...); labels of blank nodes."""
        for predicate in predicates:
            found = sorted(self._as_text(o) or "" for o in self.g.objects(subject, predicate))
            found = [v for v in found if v]
            if found:
                return found[0]
        return None

    def values(self, subject: Any, predicate: URIRef) -> list[str]:
        return sorted({v for v in (self._as_text(o) for o in self.g.objects(subject, predicate)) if v})

    def _as_text(self, node: Any) -> str | None:
        if isinstance(node, URIRef):
            return str(node)
        if isinstance(node, Literal):
            return str(node).strip() or None
        if isinstance(node, BNode):  # a described thing without URI: its identifier, value or label
            return self.value(node, DCTERMS.identifier, RDF.value, SKOS.prefLabel, RDFS.label, DCTERMS.title)
        return None

    def date(self, subject: Any, *predicates: URIRef) -> str | None:
        for predicate in predicates:
            found = sorted(str(o).strip() for o in self.g.objects(subject, predicate) if isinstance(o, Literal))
            if found:
                return found[0]
        return None

    # --- things

    def by_language(self, subject: Any, predicate: URIRef) -> dict[str, str]:
        """One literal per language tag (``""`` for untagged), the best-ranked first."""
        values = [o for o in self.g.objects(subject, predicate) if isinstance(o, Literal) and str(o).strip()]
        found: dict[str, str] = {}
        for literal in sorted(values, key=lambda v: (self._rank(v), str(v))):
            found.setdefault((literal.language or "").lower(), str(literal))
        return found

    def dataset(self, s: Any) -> RemoteDataset:
        g = self.g
        identifier = self.text(s, DCTERMS.identifier)
        uri = str(s) if isinstance(s, URIRef) else None
        titles = self.by_language(s, DCTERMS.title)
        descriptions = self.by_language(s, DCTERMS.description)
        language = next(iter(titles), None)  # the best-ranked title's tag ("" when untagged)
        translations = {
            lang: {k: v for k, v in (("title", titles.get(lang)), ("description", descriptions.get(lang))) if v}
            for lang in dict.fromkeys([*titles, *descriptions])
            if lang and lang != language
        }
        description = descriptions.get(language or "") or self.text(s, DCTERMS.description)
        license_nodes = sorted(g.objects(s, DCTERMS.license), key=_node_key)
        start = end = None
        for period in sorted(g.objects(s, DCTERMS.temporal), key=_node_key):
            start = self.date(period, DCAT.startDate, SCHEMA.startDate, SCHEMA_S.startDate)
            end = self.date(period, DCAT.endDate, SCHEMA.endDate, SCHEMA_S.endDate)
            if start or end:
                break
        distributions = sorted(g.objects(s, DCAT.distribution), key=_node_key)
        licenses = self.values(s, DCTERMS.license)
        for dist in distributions:
            licenses += [v for v in self.values(dist, DCTERMS.license) if v not in licenses]
            license_nodes += sorted(g.objects(dist, DCTERMS.license), key=_node_key)
        license_label = next(
            (t for t in (self.text(n, DCTERMS.title, RDFS.label, SKOS.prefLabel) for n in license_nodes) if t), None
        )
        places = self.places(s)
        return RemoteDataset(
            remote_id=identifier or uri,
            remote_uri=uri,
            title=titles.get(language or "") if titles else None,
            description=description,
            language=language or None,
            translations=translations,
            data_languages=self.values(s, DCTERMS.language),
            licenses=licenses,
            license_label=license_label,
            frequency=self.value(s, DCTERMS.accrualPeriodicity),
            keywords=self.texts(s, DCAT.keyword),
            issued=self.date(s, DCTERMS.issued),
            created=self.date(s, DCTERMS.created),
            modified=self.date(s, DCTERMS.modified),
            temporal_start=start,
            temporal_end=end,
            spatial=places["spatial"],
            places=places["places"],
            geometries=places["geometries"],
            bboxes=places["bboxes"],
            contact=self.contact(s),
            resources=[self.distribution(d) for d in distributions],
            publishers=self.publishers(s),
            sort_lists=True,
            label=None if uri else f"_:{s}",
            unread=self.unread(s),
            hvd_categories=self.values(s, DCATAP.hvdCategory),
        )

    def dataservice(self, s: Any) -> RemoteDataservice:
        """An API; its own page as ``foaf:page`` (what the export writes for an HVD API) is no documentation."""
        uri = str(s) if isinstance(s, URIRef) else None
        description = next(iter(sorted(self.g.objects(s, DCAT.endpointDescription), key=_node_key)), None)
        pages = [p for p in self.values(s, FOAF.page) if p != uri]
        license_nodes = sorted(self.g.objects(s, DCTERMS.license), key=_node_key)
        return RemoteDataservice(
            remote_id=self.text(s, DCTERMS.identifier) or uri,
            remote_uri=uri,
            title=self.text(s, DCTERMS.title),
            acronym=self.text(s, DCTERMS.alternative),
            description=self.text(s, DCTERMS.description),
            endpoint_url=self.value(s, DCAT.endpointURL),
            endpoint_description=str(description) if isinstance(description, URIRef) else None,
            endpoint_format=self.value(description, DCTERMS.format) if description is not None else None,
            documentation=pages[0] if pages else None,
            licenses=self.values(s, DCTERMS.license),
            license_label=next(
                (t for t in (self.text(n, DCTERMS.title, RDFS.label, SKOS.prefLabel) for n in license_nodes) if t), None
            ),
            access_rights=self.value(s, DCTERMS.accessRights),
            keywords=self.texts(s, DCAT.keyword),
            issued=self.date(s, DCTERMS.issued, DCTERMS.created),
            modified=self.date(s, DCTERMS.modified),
            contact=self.contact(s),
            serves=self.values(s, DCAT.servesDataset),
            hvd_categories=self.values(s, DCATAP.hvdCategory),
            publishers=self.publishers(s),
            label=None if uri else f"_:{s}",
        )

    def publishers(self, s: Any) -> list[str]:
        """The publisher's URI, names and identifiers (what the ``organization`` filter matches)."""
        found: list[str] = []
        for publisher in self.g.objects(s, DCTERMS.publisher):
            if isinstance(publisher, URIRef):
                found.append(str(publisher))
            found += self.values(publisher, FOAF.name) + self.values(publisher, DCTERMS.identifier)
        return found

    def unread(self, s: Any) -> dict[str, str]:
        """The dataset's properties no content field holds (dcat:theme, dct:provenance...), raw, by CURIE."""
        found: dict[str, list[str]] = {}
        hvd = (s, DCATAP.hvdCategory, None) in self.g
        for predicate, obj in self.g.predicate_objects(s):
            if predicate in _READ or predicate == RDF.type:
                continue
            if predicate == DCTERMS.accessRights and str(obj).endswith("/access-right/PUBLIC"):
                continue  # what every dataset of the portal is
            if predicate == DCATAP.applicableLegislation and str(obj) == HVD_LEGISLATION and hvd:
                continue  # what hvd_categories says
            value = self._as_text(obj) or ("(a described node)" if isinstance(obj, BNode) else None)
            if value:
                found.setdefault(_curie(predicate), []).append(value)
        return {k: " | ".join(sorted(set(v))) for k, v in sorted(found.items())}

    def places(self, s: Any) -> dict[str, list[Any]]:
        """Spatial coverage (GeoDCAT-AP): zone ids (a dct:Location's identifier, as the export writes it) and
        place URIs, place names, ``dcat:bbox`` and ``locn:geometry`` literals (WKT, GML, GeoJSON)."""
        found: dict[str, list[Any]] = {"spatial": [], "places": [], "geometries": [], "bboxes": []}
        for place in sorted(self.g.objects(s, DCTERMS.spatial), key=_node_key):
            if isinstance(place, Literal):
                text = str(place).strip()
                kind = "geometries" if place.datatype and str(place.datatype).startswith(str(GSP)) else "spatial"
                if text:
                    found[kind].append(text)
                continue
            identifier = self.text(place, DCTERMS.identifier)
            label = self.text(place, SKOS.prefLabel, RDFS.label, DCTERMS.title, LOCN.geographicName)
            if identifier:
                found["spatial"].append(identifier)
            elif isinstance(place, URIRef):
                found["places"].append({"uri": str(place), **({"label": label} if label else {})})
            elif label:
                found["places"].append({"label": label})
            found["bboxes"] += sorted(str(o) for o in self.g.objects(place, DCAT.bbox) if isinstance(o, Literal))
            for geo in sorted(self.g.objects(place, LOCN.geometry), key=_node_key):
                if isinstance(geo, Literal):
                    found["geometries"].append(str(geo))
                else:  # a gsp:Geometry node
                    found["geometries"] += [
                        str(o) for p in (GSP.asWKT, GSP.asGML, GSP.asGeoJSON) for o in self.g.objects(geo, p)
                    ]
        found["bboxes"] = list(dict.fromkeys(found["bboxes"]))
        return found

    def contact(self, s: Any) -> dict[str, str]:
        for point in sorted(self.g.objects(s, DCAT.contactPoint), key=_node_key):
            name = self.text(point, VCARD.fn, VCARD["organization-name"], FOAF.name)
            email = self._vcard_value(point, VCARD.hasEmail)
            url = self._vcard_value(point, VCARD.hasURL)
            found = {k: v for k, v in (("name", name), ("email", email), ("url", url)) if v}
            if found:
                return found
        return {}

    def _vcard_value(self, point: Any, predicate: URIRef) -> str | None:
        for node in sorted(self.g.objects(point, predicate), key=_node_key):
            if isinstance(node, BNode):
                value = self.value(node, VCARD.hasValue)
                if value:
                    return value
            elif str(node).strip():
                return str(node).strip()
        return None

    def distribution(self, d: Any) -> RemoteResource:
        download = self.value(d, DCAT.downloadURL)
        access = self.value(d, DCAT.accessURL)
        checksum = next(iter(sorted(self.g.objects(d, SPDX.checksum), key=_node_key)), None)
        return RemoteResource(
            key=str(d) if isinstance(d, URIRef) else f"{download or ''} {access or ''} {self.text(d, DCTERMS.title)}",
            title=self.text(d, DCTERMS.title),
            description=self.text(d, DCTERMS.description),
            url=download or access,
            format=self.value(d, DCTERMS.format),
            media_type=self.value(d, DCAT.mediaType),
            byte_size=self.date(d, DCAT.byteSize),
            checksum_algorithm=self.value(checksum, SPDX.algorithm) if checksum is not None else None,
            checksum_value=self.value(checksum, SPDX.checksumValue) if checksum is not None else None,
            issued=self.date(d, DCTERMS.issued),
            modified=self.date(d, DCTERMS.modified),
            conforms_to=self.values(d, DCTERMS.conformsTo)
            + [
                v for service in self.g.objects(d, DCAT.accessService) for v in self.values(service, DCTERMS.conformsTo)
            ],
            service=(d, DCAT.accessService, None) in self.g and not download,  # as the export writes APIs
        )


_CURIES = {
    "http://purl.org/dc/terms/": "dct",
    str(DCAT): "dcat",
    str(FOAF): "foaf",
    str(RDFS): "rdfs",
    str(SKOS): "skos",
    "http://www.w3.org/ns/adms#": "adms",
    "http://www.w3.org/ns/prov#": "prov",
    str(LOCN): "locn",
    "http://www.w3.org/2002/07/owl#": "owl",
    "http://schema.org/": "schema",
    "http://data.europa.eu/r5r/": "dcatap",
    "http://www.w3.org/ns/odrl/2/": "odrl",
    "http://dati.gov.it/onto/dcatapit#": "dcatapit",
}


def _curie(predicate: URIRef) -> str:
    """A property's short name for ``unmapped`` (the full URI when its namespace is not a common one)."""
    text = str(predicate)
    for namespace, prefix in _CURIES.items():
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text
