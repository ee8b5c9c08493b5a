"""DCAT-AP 3 catalogues of the portal and of each organization (Turtle, RDF/XML, JSON-LD).

URIs (``{base}`` is the site's base URL):

* catalogue: ``{base}#catalog`` (portal), ``{base}organizations/<org>/#catalog`` (organization);
* dataset: its page, ``{base}datasets/<slug>/`` (also its ``dcat:landingPage``);
* distribution: its resource redirect, ``{base}datasets/r/<id>/`` (``dcat:accessURL``/``downloadURL``: the file);
* publisher: the organization's page ``{base}organizations/<org>/`` (``foaf:Organization``) or the user's page
  ``{base}users/<name>/`` (``foaf:Person``); the portal itself is ``{base}#publisher``;
* contact point ``<dataset>#contact`` (or the organization's ``<org>#contact``), period ``<dataset>#temporal``,
  places ``<dataset>#spatial-<n>``, checksum ``<distribution>#checksum``;
* API (``dcat:DataService``, listed by the catalogue's ``dcat:service``): its page ``{base}dataservices/<slug>/``,
  contact point ``<api>#contact``; its access type is its ``dct:accessRights`` (:data:`ACCESS_RIGHTS`), its
  ``dcat:servesDataset`` the public datasets it serves.

Controlled vocabularies are the EU ones (frequency, language, file type, access right), licenses are their
URLs from :mod:`generator.vocabularies`; the few things that have no URI (a license "Other (Open)", a file
format outside the EU list) are labelled blank nodes. Every object of a property the DCAT-AP range shapes
constrain carries its class (``dct:Frequency``, ``dct:LicenseDocument``...), so the export validates on its
own, without the vocabularies loaded; EU concepts also carry their ``skos:inScheme``.

Titles, descriptions and keywords are tagged with the language they are written in: the dataset's
``language`` (a harvested dataset keeps its source's), else the site's first language; a harvested text of
unknown language stays untagged rather than mislabelled, and ``translations`` add a literal per language.
``dct:language`` is the data's (``data_languages``), never the interface's. A harvested dataset carries its
provenance: the remote identifier (``dct:identifier`` and ``adms:identifier``) and the remote dataset
(``prov:wasDerivedFrom``). Its dates are the ones its source stated, none when it stated none.
High-value datasets (``hvd_categories``) follow DCAT-AP HVD: the dataset, each of its distributions and the
data service of an API resource name the regulation (``dcatap:applicableLegislation``, an ``eli:LegalResource``);
the dataset and its services carry their ``dcatap:hvdCategory`` concepts (``skos:Concept`` with both labels and
``skos:inScheme``); a service also gets the contact point and a documentation page (the dataset's), and the
URLs the HVD range shapes constrain are typed ``rdfs:Resource``, so the HVD part validates without inference.
:meth:`CatalogWriter.mark_hvd` does it for any node, dataset or data service.
Spatial coverage is GeoDCAT-AP's: ``dct:Location`` with ``dcat:bbox`` and ``locn:geometry`` as
``gsp:wktLiteral``, named places by URI or ``skos:prefLabel``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import geometry
from ..model import Dataservice, Dataset, Organization, Resource
from ..vocabularies import FREQUENCIES_EU, HVD_CATEGORIES, HVD_LEGISLATION, HVD_SCHEME, LICENSES
from .public import served
from .rdf import IRI, BNode, Literal, Node, iri, text, typed

EU = "http://publications.europa.eu/resource/authority/"


# ISO 639-1 (ours) -> EU language authority table
LANGUAGES_EU = {
    "bg": "BUL", "ca": "CAT", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "eu": "EUS", "fi": "FIN", "fr": "FRA", "ga": "GLE", "gl": "GLG", "hr": "HRV", "hu": "HUN",
    "is": "ISL", "it": "ITA", "lb": "LTZ", "lt": "LIT", "lv": "LAV", "mt": "MLT", "nb": "NOB", "nl": "NLD",
    "nn": "NNO", "no": "NOR", "pl": "POL", "pt": "POR", "rm": "ROH", "ro": "RON", "sk": "SLK", "sl": "SLV",
    "sv": "SWE", "uk": "UKR", "ru": "RUS", "tr": "TUR", "ar": "ARA", "zh": "ZHO", "ja": "JPN",
}  # fmt: skip

# resource format -> EU file type authority table
FILE_TYPES_EU = {
    "7z": "7Z",
    "csv": "CSV",
    "csv.gz": "CSV",
    "doc": "DOC",
    "docx": "DOCX",
    "geojson": "GEOJSON",
    "geotiff": "GEOTIFF",
    "gml": "GML",
    "gpkg": "GPKG",
    "gpx": "GPX",
    "grib2": "GRIB",
    "gtfs": "GTFS",
    "gz": "GZIP",
    "html": "HTML",
    "jpeg": "JPEG",
    "jpg": "JPEG",
    "json": "JSON",
    "jsonld": "JSON_LD",
    "kml": "KML",
    "kmz": "KMZ",
    "md": "MARKDOWN",
    "n3": "RDF_N3",
    "netcdf": "NETCDF",
    "odg": "ODG",
    "ods": "ODS",
    "odt": "ODT",
    "parquet": "PARQUET",
    "pdf": "PDF",
    "png": "PNG",
    "rdf": "RDF_XML",
    "shp": "SHP",
    "sql": "SQL",
    "tar": "TAR",
    "tif": "TIFF",
    "tiff": "TIFF",
    "tsv": "TSV",
    "ttl": "RDF_TURTLE",
    "txt": "TXT",
    "wfs": "WFS_SRVC",
    "wms": "WMS_SRVC",
    "xls": "XLS",
    "xlsx": "XLSX",
    "xml": "XML",
    "yaml": "YAML",
    "yml": "YAML",
    "zip": "ZIP",
}

# ISO 3166-1 alpha-2 (our zone ids: country:fr) -> EU country authority table (alpha-3)
COUNTRIES_EU = {
    "at": "AUT", "be": "BEL", "bg": "BGR", "ch": "CHE", "cy": "CYP", "cz": "CZE", "de": "DEU", "dk": "DNK",
    "ee": "EST", "es": "ESP", "fi": "FIN", "fr": "FRA", "gb": "GBR", "gr": "GRC", "hr": "HRV", "hu": "HUN",
    "ie": "IRL", "is": "ISL", "it": "ITA", "li": "LIE", "lt": "LTU", "lu": "LUX", "lv": "LVA", "mc": "MCO",
    "mt": "MLT", "nl": "NLD", "no": "NOR", "pl": "POL", "pt": "PRT", "ro": "ROU", "se": "SWE", "si": "SVN",
    "sk": "SVK",
}  # fmt: skip

# DCAT-AP 2.1.1 admits SHA-1 only (3.0.0 any algorithm): the other checksums are in the CSV and the API
CHECKSUM_ALGORITHMS = {"sha1": "sha1"}

ACCESS_PUBLIC = EU + "access-right/PUBLIC"
# an API's access type -> the EU access-right table: RESTRICTED is "available under certain conditions" (an
# account anyone can open), NON_PUBLIC is access granted on request to some (restricted), so each of the three
# reads back as itself
ACCESS_RIGHTS = {"open": "PUBLIC", "open_with_account": "RESTRICTED", "restricted": "NON_PUBLIC"}
# an API description's format -> the EU file-type table (the service types it lists); others are labelled
ENDPOINT_FORMATS_EU = {"wms": "WMS_SRVC", "wfs": "WFS_SRVC"}
ORG_CONTACT = "#contact"


def literal_date(value: str) -> Literal:
    """``xsd:date`` for ``YYYY-MM-DD``, ``xsd:dateTime`` for an RFC 3339 date-time."""
    return typed(value, "xsd:date" if len(value) == 10 else "xsd:dateTime")


class CatalogWriter:
    """The nodes of one catalogue document. Shared nodes (agents, licenses, concepts) are written once."""

    def __init__(self, index: Any, urls: Any):
        self.index = index
        self.base = urls.base_url
        self.languages: list[str] = list(index.site.languages)
        self.lang = self.languages[0]
        self._seen: set[str] = set()

    # --- shared nodes, emitted on first use --------------------------------------------------------------

    def _once(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _concept(self, uri: str, cls: str, scheme: str, out: list[Node]) -> IRI:
        term = IRI(uri)
        if self._once(uri):
            out.append(Node(term, [cls], [("skos:inScheme", IRI(EU + scheme))]))
        return term

    def language(self, code: str, out: list[Node]) -> IRI | None:
        eu = LANGUAGES_EU.get(code)
        return None if eu is None else self._concept(f"{EU}language/{eu}", "dct:LinguisticSystem", "language", out)

    def agent(self, owner: tuple[str, str], out: list[Node]) -> IRI:
        kind, slug = owner
        term = IRI(iri(self.base + self.index.owner_path(owner)))
        if self._once(term.value):
            cls = "foaf:Organization" if kind == "organization" else "foaf:Person"
            node = Node(term, ["foaf:Agent", cls], [("foaf:name", text(self.index.owner_name(owner)))])
            out.append(node)
        return term

    def org_contact(self, org: Organization, out: list[Node]) -> IRI | None:
        if not org.contact_point:
            return None
        subject = IRI(iri(f"{self.base}organizations/{org.slug}/{ORG_CONTACT}"))
        if self._once(subject.value):
            out.append(self._contact_node(subject, org.contact_point, org.name))
        return subject

    def _contact_node(self, subject: IRI, contact: dict[str, str], fallback_name: str) -> Node:
        node = Node(subject, ["vcard:Kind", "vcard:Organization"])
        node.add("vcard:fn", text(contact.get("name") or fallback_name))
        if contact.get("email"):
            node.add("vcard:hasEmail", IRI(iri("mailto:" + contact["email"])))
        if contact.get("url"):
            node.add("vcard:hasURL", IRI(iri(contact["url"])))
        return node

    def license(self, key: str, out: list[Node], source: dict[str, str] | None = None) -> IRI | BNode | None:
        lic = LICENSES.get(key)
        if lic is None or key == "notspecified":
            return None
        if source and key.startswith("other"):  # the source's own license, as it gave it
            url, title = source.get("url"), source.get("title")
            own: IRI | BNode = IRI(iri(url)) if url else BNode("license-" + (title or key).encode().hex()[:60])
            if self._once(f"license-source:{url or title}"):
                node = Node(own, ["dct:LicenseDocument"], [("dct:title", text(title or url or lic.title))])
                out.append(node)
            return own
        term: IRI | BNode = IRI(iri(lic.url)) if lic.url else BNode(f"license-{key}")
        if self._once(f"license:{key}"):
            out.append(
                Node(term, ["dct:LicenseDocument"], [("dct:title", text(lic.title)), ("dct:identifier", text(key))])
            )
        return term

    def frequency(self, key: str | None, out: list[Node]) -> IRI | None:
        if not key or key not in FREQUENCIES_EU:
            return None
        return self._concept(f"{EU}frequency/{FREQUENCIES_EU[key]}", "dct:Frequency", "frequency", out)

    def file_format(self, fmt: str, out: list[Node]) -> IRI | BNode:
        eu = FILE_TYPES_EU.get(fmt)
        if eu is not None:
            return self._concept(f"{EU}file-type/{eu}", "dct:MediaTypeOrExtent", "file-type", out)
        term = BNode("format-" + fmt.encode().hex())
        if self._once(term.label):
            out.append(Node(term, ["dct:MediaTypeOrExtent"], [("rdfs:label", text(fmt))]))
        return term

    def resource(self, term: IRI, out: list[Node]) -> IRI:
        """``term`` typed ``rdfs:Resource`` (once): the DCAT-AP HVD range shapes ask for it, without inference."""
        if self._once("resource:" + term.value):
            out.append(Node(term, ["rdfs:Resource"]))
        return term

    def mark_hvd(self, node: Node, categories: list[str], out: list[Node]) -> None:
        """What makes a dataset or data service a high-value one: the regulation, and its categories if any.

        A distribution of a high-value dataset gets the regulation alone (``categories`` empty).
        """
        legislation = IRI(HVD_LEGISLATION)
        if self._once(HVD_LEGISLATION):
            out.append(Node(legislation, ["eli:LegalResource"]))
        node.add("dcatap:applicableLegislation", legislation)
        for code in categories:
            category = HVD_CATEGORIES[code]
            term = IRI(category.uri)
            if self._once(category.uri):
                concept = Node(term, ["skos:Concept"], [("skos:inScheme", IRI(HVD_SCHEME))])
                for lang, label in category.labels.items():
                    concept.add("skos:prefLabel", text(label, lang))
                out.append(concept)
            node.add("dcatap:hvdCategory", term)

    def media_type(self, mime: str, out: list[Node]) -> IRI:
        term = IRI(iri("https://www.iana.org/assignments/media-types/" + mime))
        if self._once(term.value):
            out.append(Node(term, ["dct:MediaType"]))
        return term

    # --- datasets and distributions ----------------------------------------------------------------------

    def dataset_uri(self, dataset: Dataset) -> IRI:
        return IRI(iri(f"{self.base}datasets/{dataset.slug}/"))

    def distribution_uri(self, resource: Resource) -> IRI:
        return IRI(iri(f"{self.base}datasets/r/{resource.id}/"))

    def dataset_nodes(self, dataset: Dataset) -> list[Node]:
        """The dataset, its distributions and every node they refer to that is not written yet."""
        out: list[Node] = []
        lang = dataset.text_language(self.lang)
        uri = self.dataset_uri(dataset)
        node = Node(uri, ["dcat:Dataset"])
        out.append(node)
        node.add("dct:identifier", text(uri.value))
        node.add("dct:title", text(dataset.title, lang))
        for code, translation in dataset.translations.items():
            if translation.get("title"):
                node.add("dct:title", text(translation["title"], code))
        node.add("dct:description", text(dataset.description, lang))
        for code, translation in dataset.translations.items():
            if translation.get("description"):
                node.add("dct:description", text(translation["description"], code))
        node.add("dcat:landingPage", uri)
        node.add("dct:publisher", self.agent(dataset.owner, out))
        if dataset.issued:
            node.add("dct:issued", literal_date(dataset.issued))
        if dataset.modified:
            node.add("dct:modified", literal_date(dataset.modified))
        for code in dataset.data_languages:
            node.add("dct:language", self.language(code.split("-")[0], out))
        for tag in dataset.tags:
            node.add("dcat:keyword", text(tag, lang))
        self._provenance(dataset, node, out)
        license_term = self.license(dataset.license, out, dataset.license_source)
        node.add("dct:license", license_term)
        node.add("dct:accessRights", self._concept(ACCESS_PUBLIC, "dct:RightsStatement", "access-right", out))
        node.add("dct:accrualPeriodicity", self.frequency(dataset.frequency, out))
        contact = self._contact(dataset, uri, out)
        node.add("dcat:contactPoint", contact)
        if dataset.hvd_categories:
            self.mark_hvd(node, dataset.hvd_categories, out)
        if dataset.temporal_coverage:
            period = IRI(uri.value + "#temporal")
            node.add("dct:temporal", period)
            out.append(self._period(period, dataset.temporal_coverage))
        if dataset.spatial:
            for number, zone in enumerate(dataset.spatial.get("zones", []), start=1):
                node.add("dct:spatial", self._place(zone, IRI(f"{uri.value}#spatial-{number}"), out))
            for number, place in enumerate(dataset.spatial.get("places", []), start=1):
                node.add("dct:spatial", self._named_place(place, IRI(f"{uri.value}#place-{number}"), out))
            if dataset.spatial.get("bbox") or dataset.spatial.get("geometry"):
                area = IRI(uri.value + "#area")
                node.add("dct:spatial", area)
                located = Node(area, ["dct:Location"])
                if dataset.spatial.get("bbox"):
                    located.add("dcat:bbox", typed(geometry.box_wkt(dataset.spatial["bbox"]), "gsp:wktLiteral"))
                if dataset.spatial.get("geometry"):
                    located.add("locn:geometry", typed(dataset.spatial["geometry"], "gsp:wktLiteral"))
                out.append(located)
        for resource in dataset.resources:
            dist = self.distribution_uri(resource)
            node.add("dcat:distribution", dist)
            hvd = (dataset, contact) if dataset.hvd_categories else None
            out.append(self._distribution(dist, resource, license_term, out, lang, hvd))
        if dataset.hvd_categories:
            self._hvd_extras(dataset, [resource.url for resource in dataset.resources], out)
        # the page: the landing page is a foaf:Document (the range shapes check its class)
        node.types.append("foaf:Document")
        return out

    def _hvd_extras(self, item: Dataset | Dataservice, urls: list[str], out: list[Node]) -> None:
        """The URLs of a high-value dataset's or API's contact and of ``urls`` (its distributions' files, its
        endpoint and description), typed as the HVD range shapes ask."""
        contact = item.contact_point or (org.contact_point if (org := self._owner_org(item)) else None) or {}
        found = ["mailto:" + contact["email"]] if contact.get("email") else []
        found += [contact["url"]] if contact.get("url") else []
        for url in found + urls:
            self.resource(IRI(iri(url)), out)

    def _contact(self, item: Dataset | Dataservice, uri: IRI, out: list[Node]) -> IRI | None:
        """A dataset's or API's own contact point (``<uri>#contact``), else its organization's."""
        if item.contact_point:
            subject = IRI(uri.value + "#contact")
            out.append(self._contact_node(subject, item.contact_point, self.index.owner_name(item.owner)))
            return subject
        org = self._owner_org(item)
        return self.org_contact(org, out) if org else None

    def _owner_org(self, item: Dataset | Dataservice) -> Organization | None:
        """The organization that publishes ``item`` (None for a personal one): whose contact it falls back to."""
        kind, slug = item.owner
        return self.index.portal.organizations[slug] if kind == "organization" else None

    def _period(self, subject: IRI, coverage: dict[str, str]) -> Node:
        node = Node(subject, ["dct:PeriodOfTime"])
        node.add("dcat:startDate", literal_date(coverage["start"]))
        if coverage.get("end"):
            node.add("dcat:endDate", literal_date(coverage["end"]))
        return node

    def _provenance(self, dataset: Dataset, node: Node, out: list[Node]) -> None:
        """Where a harvested dataset comes from, so an aggregator reading the source and us can deduplicate."""
        harvest = dataset.harvest or {}
        remote_id, remote_uri = harvest.get("remote_id"), harvest.get("remote_uri")
        if not remote_id:
            return
        node.add("dct:identifier", text(str(remote_id)))
        identifier = IRI(node.subject.value + "#source-identifier")
        node.add("adms:identifier", identifier)
        out.append(Node(identifier, ["adms:Identifier"], [("skos:notation", text(str(remote_id)))]))
        if remote_uri and str(remote_uri).startswith(("http://", "https://")):
            node.add("prov:wasDerivedFrom", IRI(iri(str(remote_uri))))

    def _named_place(self, place: dict[str, str], subject: IRI, out: list[Node]) -> IRI:
        term = IRI(iri(place["uri"])) if place.get("uri") else subject
        if self._once("place:" + term.value):
            located = Node(term, ["dct:Location"])
            if place.get("label"):
                located.add("skos:prefLabel", text(place["label"]))
            out.append(located)
        return term

    def _place(self, zone: str, subject: IRI, out: list[Node]) -> IRI:
        kind, _, code = zone.partition(":")
        if kind == "country" and code.lower() in COUNTRIES_EU:
            return self._concept(f"{EU}country/{COUNTRIES_EU[code.lower()]}", "dct:Location", "country", out)
        node = Node(subject, ["dct:Location"], [("dct:identifier", text(zone)), ("skos:prefLabel", text(zone))])
        out.append(node)
        return subject

    def _distribution(
        self,
        subject: IRI,
        resource: Resource,
        license_term: Any,
        out: list[Node],
        lang: str | None = None,
        hvd: tuple[Dataset, IRI | None] | None = None,
    ) -> Node:
        """A distribution; ``hvd``, the high-value dataset it belongs to and its contact, adds the HVD terms."""
        node = Node(subject, ["dcat:Distribution"])
        if hvd is not None:
            self.mark_hvd(node, [], out)
        node.add("dct:identifier", text(resource.id))
        node.add("dct:title", text(resource.title, lang))
        if resource.description:
            node.add("dct:description", text(resource.description, lang))
        url = IRI(iri(resource.url))
        node.add("dcat:accessURL", url)
        if resource.type != "api":
            node.add("dcat:downloadURL", url)
        else:  # a service to call: DCAT's data service, which a harvester reads back as an API
            service = IRI(subject.value + "#service")
            node.add("dcat:accessService", service)
            service_node = Node(
                service, ["dcat:DataService"], [("dct:title", text(resource.title, lang)), ("dcat:endpointURL", url)]
            )
            if hvd is not None:  # DCAT-AP HVD asks a service for its contact and its documentation too
                dataset, contact = hvd
                self.mark_hvd(service_node, dataset.hvd_categories, out)
                service_node.add("dcat:contactPoint", contact)
                service_node.add("foaf:page", self.dataset_uri(dataset))
            out.append(service_node)
        node.add("dct:format", self.file_format(resource.format, out))
        if resource.mime:
            node.add("dcat:mediaType", self.media_type(resource.mime, out))
        if resource.filesize is not None:
            node.add("dcat:byteSize", typed(str(resource.filesize), "xsd:decimal"))
        if resource.checksum and resource.checksum.type in CHECKSUM_ALGORITHMS:
            checksum = IRI(subject.value + "#checksum")
            node.add("spdx:checksum", checksum)
            algorithm = IRI(
                "http://spdx.org/rdf/terms#checksumAlgorithm_" + CHECKSUM_ALGORITHMS[resource.checksum.type]
            )
            if self._once(algorithm.value):
                out.append(Node(algorithm, ["spdx:ChecksumAlgorithm"]))
            out.append(
                Node(
                    checksum,
                    ["spdx:Checksum"],
                    [
                        ("spdx:algorithm", algorithm),
                        ("spdx:checksumValue", typed(resource.checksum.value, "xsd:hexBinary")),
                    ],
                )
            )
        if resource.created:
            node.add("dct:issued", literal_date(resource.created))
        if resource.last_modified:
            node.add("dct:modified", literal_date(resource.last_modified))
        node.add("dct:license", license_term)
        return node

    # --- APIs (data services) ----------------------------------------------------------------------------

    def dataservice_uri(self, service: Dataservice) -> IRI:
        return IRI(iri(f"{self.base}dataservices/{service.slug}/"))

    def dataservice_nodes(self, service: Dataservice) -> list[Node]:
        """A public API as a ``dcat:DataService`` and every node it refers to that is not written yet.

        ``dcat:servesDataset`` names only the public datasets it serves (a private one has no URI to give).
        """
        out: list[Node] = []
        uri = self.dataservice_uri(service)
        # its page is also its landing page: a foaf:Document for the range shapes, as a dataset's
        node = Node(uri, ["dcat:DataService", "foaf:Document"])
        out.append(node)
        node.add("dct:identifier", text(uri.value))
        node.add("dct:title", text(service.title, self.lang))
        if service.acronym:
            node.add("dct:alternative", text(service.acronym, self.lang))
        node.add("dct:description", text(service.description, self.lang))
        node.add("dcat:landingPage", uri)
        node.add("dct:publisher", self.agent(service.owner, out))
        node.add("dct:issued", literal_date(service.created))
        if service.last_modified:
            node.add("dct:modified", literal_date(service.last_modified))
        for tag in service.tags:
            node.add("dcat:keyword", text(tag, self.lang))
        endpoint = IRI(iri(service.base_api_url))
        node.add("dcat:endpointURL", endpoint)
        urls = [service.base_api_url]
        if service.endpoint_description:
            described = service.endpoint_description
            description = IRI(iri(described.url))
            node.add("dcat:endpointDescription", description)
            kind = self._endpoint_format(described.format, out)
            out.append(Node(description, ["rdfs:Resource"], [("dct:format", kind)]))
        if service.documentation_url:
            page = IRI(iri(service.documentation_url))
            node.add("foaf:page", page)
            if self._once("document:" + page.value):
                out.append(Node(page, ["foaf:Document"]))
        elif service.hvd_categories:  # DCAT-AP HVD asks an HVD service for a documentation page: its own page
            node.add("foaf:page", uri)
        node.add("dct:license", self.license(service.license, out) if service.license else None)
        rights = EU + "access-right/" + ACCESS_RIGHTS[service.access_type]
        node.add("dct:accessRights", self._concept(rights, "dct:RightsStatement", "access-right", out))
        node.add("dcat:contactPoint", self._contact(service, uri, out))
        for slug in served(self.index, service):
            node.add("dcat:servesDataset", IRI(iri(f"{self.base}datasets/{slug}/")))
        if service.hvd_categories:
            self.mark_hvd(node, service.hvd_categories, out)
            self._hvd_extras(service, urls, out)
        return out

    def _endpoint_format(self, fmt: str, out: list[Node]) -> IRI | BNode:
        """What kind of description it is: the EU file type of OGC services, else a labelled node (``openapi``)."""
        eu = ENDPOINT_FORMATS_EU.get(fmt)
        if eu is not None:
            return self._concept(f"{EU}file-type/{eu}", "dct:MediaTypeOrExtent", "file-type", out)
        return self.file_format(fmt, out)

    # --- catalogues --------------------------------------------------------------------------------------

    def catalog(
        self,
        datasets: list[Dataset],
        org: Organization | None = None,
        dated: list[Dataset] | None = None,
        services: list[Dataservice] | None = None,
    ) -> Iterator[Node]:
        """The catalogue node, then every dataset's nodes, then every API's (a generator: the site-wide one streams).

        ``datasets`` are the ones this document describes (one page of a paged catalogue); the catalogue's
        issued and modified dates come from ``dated`` (default: the same datasets; the first page of a paged
        catalogue passes them all, the other pages none). ``services`` are the public APIs it lists
        (``dcat:service``): the first page of a paged catalogue lists them all.
        """
        services = services or []
        dated = datasets if dated is None else dated
        site = self.index.site
        out: list[Node] = []
        if org is None:
            uri = IRI(iri(self.base + "#catalog"))
            publisher = IRI(iri(self.base + "#publisher"))
            homepage = IRI(iri(self.base))
            title, description = site.title, site.description
            out.append(Node(publisher, ["foaf:Agent"], [("foaf:name", text(site.title))]))
        else:
            uri = IRI(iri(f"{self.base}organizations/{org.slug}/#catalog"))
            publisher = self.agent(("organization", org.slug), out)
            homepage = IRI(iri(f"{self.base}organizations/{org.slug}/"))
            title, description = f"{org.name} · {site.title}", org.description
        node = Node(uri, ["dcat:Catalog"])
        node.add("dct:title", text(title, self.lang))
        node.add("dct:description", text(description, self.lang))
        node.add("dct:publisher", publisher)
        node.add("foaf:homepage", homepage)
        for code in self.languages:
            node.add("dct:language", self.language(code, out))
        issued = [d.issued[:10] for d in dated if d.issued]
        modified = [d.modified[:10] for d in dated if d.modified]
        if issued:
            node.add("dct:issued", literal_date(min(issued)))
        if modified:
            node.add("dct:modified", literal_date(max(modified)))
        for dataset in datasets:
            node.add("dcat:dataset", self.dataset_uri(dataset))
        for service in services:
            node.add("dcat:service", self.dataservice_uri(service))
        if org is not None:
            homepage_node = Node(homepage, ["foaf:Document"])
        else:
            homepage_node = Node(homepage, ["foaf:Document"], [("dct:title", text(site.title, self.lang))])
        yield node
        yield homepage_node
        yield from out
        for dataset in datasets:
            yield from self.dataset_nodes(dataset)
        for service in services:
            yield from self.dataservice_nodes(service)


def page_view(url: Callable[[int], str], number: int, count: int, total: int) -> Node:
    """The Hydra view of page ``number`` of a paged catalogue (``url(n)``: page n's URL), as harvesters follow."""
    node = Node(IRI(iri(url(number))), ["hydra:PartialCollectionView"])
    node.add("hydra:first", IRI(iri(url(1))))
    node.add("hydra:last", IRI(iri(url(count))))
    if number > 1:
        node.add("hydra:previous", IRI(iri(url(number - 1))))
    if number < count:
        node.add("hydra:next", IRI(iri(url(number + 1))))
    node.add("hydra:totalItems", typed(str(total), "xsd:integer"))
    return node
