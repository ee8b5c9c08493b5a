"""schema.org JSON-LD embedded in the pages (Google Dataset Search reads it).

:func:`dataset`, :func:`dataservice` and :func:`organization` return plain dicts; :func:`script_json` turns
one into text that is safe inside ``<script type="application/ld+json">``: every ``<``, ``>`` and ``&`` is
written as a JSON ``\\u`` escape, so no title can close the script element or open an HTML comment. The context is
inline (``{"@vocab": "https://schema.org/"}``), so the JSON-LD expands without fetching anything.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from ..markdown import plain
from ..model import Dataservice, Dataset, Organization
from ..vocabularies import LICENSES

CONTEXT = {"@vocab": "https://schema.org/"}
GOVERNMENT_BADGES = {"public-service", "local-authority"}


def _agent(index: Any, urls: Any, owner: tuple[str, str]) -> dict[str, Any]:
    kind, slug = owner
    uri = urls.base_url + index.owner_path(owner)
    if kind == "organization":
        org = index.portal.organizations[slug]
        return {"@type": organization_type(org), "@id": uri, "name": org.name, "url": uri}
    return {"@type": "Person", "@id": uri, "name": index.owner_name(owner), "url": uri}


def organization_type(org: Organization) -> str:
    return "GovernmentOrganization" if GOVERNMENT_BADGES & set(org.badges) else "Organization"


def dataset(index: Any, urls: Any, ds: Dataset, language: str) -> dict[str, Any]:
    """A schema.org ``Dataset``: creator, license, coverage, and each resource as a ``DataDownload``."""
    uri = f"{urls.base_url}datasets/{ds.slug}/"
    lic = LICENSES.get(ds.license)
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": uri,
        "url": urls.absolute(f"datasets/{ds.slug}/", language),
        "name": ds.title,
        "description": plain(ds.description, 5000) or ds.title,
        "identifier": uri,
        **({"inLanguage": lang} if (lang := ds.text_language(index.site.languages[0])) else {}),
        "isAccessibleForFree": True,
        **({"dateCreated": ds.issued} if ds.issued else {}),
        **({"dateModified": ds.modified} if ds.modified else {}),
        "creator": _agent(index, urls, ds.owner),
        "includedInDataCatalog": {"@type": "DataCatalog", "name": index.site.title, "url": urls.base_url},
    }
    if ds.acronym:
        out["alternateName"] = ds.acronym
    if ds.tags:
        out["keywords"] = list(ds.tags)
    if lic is not None and ds.license != "notspecified":
        out["license"] = lic.url or lic.title
    if ds.temporal_coverage:
        out["temporalCoverage"] = f"{ds.temporal_coverage['start']}/{ds.temporal_coverage.get('end', '..')}"
    if ds.spatial and ds.spatial.get("zones"):
        out["spatialCoverage"] = [{"@type": "Place", "identifier": zone, "name": zone} for zone in ds.spatial["zones"]]
    if ds.resources:
        out["distribution"] = [
            {
                "@type": "DataDownload",
                "@id": f"{urls.base_url}datasets/r/{r.id}/",
                "name": r.title,
                "contentUrl": r.url,
                "encodingFormat": r.mime or r.format,
                **({"contentSize": f"{r.filesize} B"} if r.filesize is not None else {}),
                **({"dateModified": r.last_modified} if r.last_modified else {}),
            }
            for r in ds.resources
        ]
    return out


def dataservice(index: Any, urls: Any, service: Dataservice, language: str) -> dict[str, Any]:
    """A schema.org ``WebAPI`` for an API's page: provider, documentation, terms of service, and the base URL
    as the ``EntryPoint`` of a ``ConsumeAction`` (schema.org's way to say where a service is called).

    Only properties of ``WebAPI`` (a ``Service``) are used: dates, keywords and ``isAccessibleForFree`` belong
    to creative works. The machine-readable description (OpenAPI, GetCapabilities) is a ``CreativeWork`` the
    API is ``subjectOf``; where to ask for access is its ``availableChannel``.
    """
    uri = f"{urls.base_url}dataservices/{service.slug}/"
    lic = LICENSES.get(service.license) if service.license else None
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "WebAPI",
        "@id": uri,
        "url": urls.absolute(f"dataservices/{service.slug}/", language),
        "name": service.title,
        "description": plain(service.description, 5000) or service.title,
        "identifier": uri,
        "provider": _agent(index, urls, service.owner),
        "potentialAction": {
            "@type": "ConsumeAction",
            "target": {"@type": "EntryPoint", "urlTemplate": service.base_api_url},
        },
    }
    if service.acronym:
        out["alternateName"] = service.acronym
    if service.documentation_url:
        out["documentation"] = service.documentation_url
    if service.endpoint_description:
        described = service.endpoint_description
        out["subjectOf"] = {"@type": "CreativeWork", "url": described.url, "encodingFormat": described.format}
    if lic is not None and service.license != "notspecified":
        out["termsOfService"] = lic.url or lic.title
    if service.authorization_request_url:
        out["availableChannel"] = {"@type": "ServiceChannel", "serviceUrl": service.authorization_request_url}
    return out


def organization(index: Any, urls: Any, org: Organization, language: str) -> dict[str, Any]:
    """A schema.org ``GovernmentOrganization`` (public-service or local-authority badge) or ``Organization``."""
    uri = f"{urls.base_url}organizations/{org.slug}/"
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": organization_type(org),
        "@id": uri,
        "url": urls.absolute(f"organizations/{org.slug}/", language),
        "name": org.name,
        "description": plain(org.description, 5000) or org.name,
        "foundingDate": org.created,
    }
    if org.acronym:
        out["alternateName"] = org.acronym
    if org.url:
        out["sameAs"] = org.url
    logo = index.image(("organization", org.slug))
    if logo:
        out["logo"] = urls.base_url + logo
    if org.contact_point:
        point = {"@type": "ContactPoint", "contactType": "customer support"}
        point.update({k: v for k, v in org.contact_point.items() if k in ("name", "email", "url")})
        out["contactPoint"] = point
    return out


def script_json(data: Any) -> Markup:
    """JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` escaped as ``\\u003c``, ``\\u003e``, ``\\u0026``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)
