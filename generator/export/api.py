"""A read-only static JSON API under ``api/``, described by ``api/openapi.json`` (OpenAPI 3.1).

Files (``{api}`` is ``{base}api/``):

* ``{api}site.json``: the portal, its counts and the entry points;
* ``{api}datasets/pages/<n>.json``, ``{api}organizations/pages/<n>.json``, ``{api}reuses/pages/<n>.json``:
  listings of :data:`PAGE_SIZE` summaries, sorted by slug, with ``next``/``previous`` links (page 1 always
  exists, possibly empty);
* ``{api}dataservices/pages/<n>.json``: the same for APIs;
* ``{api}datasets/<slug>.json`` (resources, quality, reuses, discussions with their messages),
  ``{api}organizations/<slug>.json`` (members, datasets, APIs, reuses, exports), ``{api}reuses/<slug>.json``,
  ``{api}dataservices/<slug>.json`` (the API and the public datasets it serves).

Item files end in ``.json`` and listings sit in ``pages/`` folders, so no slug can collide with a listing.
Every link is an absolute URL. Private datasets and private APIs are in no file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..model import Dataservice, Dataset, Discussion, Organization, Reuse
from ..vocabularies import LICENSES
from .public import served

PAGE_SIZE = 100
API_VERSION = "1.0.0"


def dumps(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class Api:
    """The JSON of the API's files; ``services`` are the public APIs it may name (default: all of them)."""

    def __init__(self, index: Any, urls: Any, services: list[Dataservice] | None = None):
        self.index = index
        self.urls = urls
        self.base = urls.base_url
        self.api = urls.base_url + "api/"
        self._services = services

    @property
    def services(self) -> list[Dataservice]:
        if self._services is None:
            self._services = self.index.dataservices
        return self._services

    # --- summaries (listings and references) -------------------------------------------------------------

    def owner(self, owner: tuple[str, str]) -> dict[str, Any]:
        kind, slug = owner
        out = {
            "type": kind,
            "slug": slug,
            "name": self.index.owner_name(owner),
            "page": self.base + self.index.owner_path(owner),
        }
        if kind == "organization":
            out["api"] = f"{self.api}organizations/{slug}.json"
        return out

    def dataset_summary(self, d: Dataset) -> dict[str, Any]:
        return {
            "slug": d.slug,
            "title": d.title,
            "page": f"{self.base}datasets/{d.slug}/",
            "api": f"{self.api}datasets/{d.slug}.json",
            "owner": self.owner(d.owner),
            "license": d.license,
            "created": d.issued,  # as stated: None for a harvested dataset whose source gives no date
            "last_modified": d.modified,
            "archived": d.archived,
            "resources": len(d.resources),
            "quality_score": round(self.index.quality(d).score, 4),
        }

    def organization_summary(self, org: Organization) -> dict[str, Any]:
        return {
            "slug": org.slug,
            "name": org.name,
            "acronym": org.acronym,
            "page": f"{self.base}organizations/{org.slug}/",
            "api": f"{self.api}organizations/{org.slug}.json",
            "badges": list(org.badges),
            "datasets": len(self.index.datasets_of.get(("organization", org.slug), [])),
        }

    def reuse_summary(self, reuse: Reuse) -> dict[str, Any]:
        return {
            "slug": reuse.slug,
            "title": reuse.title,
            "type": reuse.type,
            "page": f"{self.base}reuses/{reuse.slug}/",
            "api": f"{self.api}reuses/{reuse.slug}.json",
            "url": reuse.url,
            "owner": self.owner(reuse.owner),
            "created": reuse.created,
        }

    def dataservice_summary(self, s: Dataservice) -> dict[str, Any]:
        return {
            "slug": s.slug,
            "title": s.title,
            "acronym": s.acronym,
            "page": f"{self.base}dataservices/{s.slug}/",
            "api": f"{self.api}dataservices/{s.slug}.json",
            "owner": self.owner(s.owner),
            "base_api_url": s.base_api_url,
            "access_type": s.access_type,
            "license": s.license,
            "created": s.created,
            "last_modified": s.last_modified,
            "archived": s.archived,
        }

    # --- items ----------------------------------------------------------------------------------------------

    def discussion(self, discussion: Discussion) -> dict[str, Any]:
        return {
            "id": discussion.id,
            "title": discussion.title,
            "closed": discussion.closed,
            "closed_by": discussion.closed_by,
            "messages": [{"author": m.author, "posted": m.posted, "content": m.content} for m in discussion.messages],
        }

    def dataset(self, d: Dataset) -> dict[str, Any]:
        index = self.index
        lic = LICENSES.get(d.license)
        quality = index.quality(d)
        return {
            **self.dataset_summary(d),
            "uri": f"{self.base}datasets/{d.slug}/",
            "acronym": d.acronym,
            "description": d.description,
            "license": {
                "id": d.license,
                "title": lic.title if lic else d.license,
                "url": lic.url if lic else None,
                "source": d.license_source,  # the source's own license ({title, url}) of a harvested dataset
            },
            "frequency": d.frequency,
            "temporal_coverage": d.temporal_coverage,
            "spatial": d.spatial,
            "tags": list(d.tags),
            "contact_point": d.contact_point,
            "harvest": d.harvest,
            "quality": {"score": round(quality.score, 4), "criteria": dict(quality.criteria)},
            "resources": [
                {
                    "id": r.id,
                    "title": r.title,
                    "description": r.description,
                    "type": r.type,
                    "format": r.format,
                    "mime": r.mime,
                    "filesize": r.filesize,
                    "checksum": {"type": r.checksum.type, "value": r.checksum.value} if r.checksum else None,
                    "url": r.url,
                    "permalink": f"{self.base}datasets/r/{r.id}/",
                    "created": r.created,
                    "last_modified": r.last_modified,
                }
                for r in d.resources
            ],
            "reuses": [self.reuse_summary(r) for r in index.reuses_of_dataset.get(d.slug, [])],
            "discussions": [self.discussion(x) for x in index.discussions_about.get(("dataset", d.slug), [])],
        }

    def dataservice(self, s: Dataservice) -> dict[str, Any]:
        lic = LICENSES.get(s.license) if s.license else None
        described = s.endpoint_description
        return {
            **self.dataservice_summary(s),
            "uri": f"{self.base}dataservices/{s.slug}/",
            "description": s.description,
            "license": None if s.license is None else {
                "id": s.license, "title": lic.title if lic else s.license, "url": lic.url if lic else None,
                "source": None,
            },
            "endpoint_description": None if described is None else {"url": described.url, "format": described.format},
            "documentation_url": s.documentation_url,
            "authorization_request_url": s.authorization_request_url,
            "availability": s.availability,
            "rate_limiting": s.rate_limiting,
            "contact_point": s.contact_point,
            "tags": list(s.tags),
            "hvd_categories": list(s.hvd_categories),
            "harvest": s.harvest,
            "datasets": [self.dataset_summary(self.index.portal.datasets[slug]) for slug in served(self.index, s)],
        }  # fmt: skip

    def organization(self, org: Organization) -> dict[str, Any]:
        index = self.index
        owner = ("organization", org.slug)
        folder = f"{self.base}organizations/{org.slug}/"
        logo = index.image(owner)
        return {
            **self.organization_summary(org),
            "description": org.description,
            "url": org.url,
            "logo": self.base + logo if logo else None,
            "created": org.created,
            "contact_point": org.contact_point,
            "members": [{"user": m.user, "role": m.role, "since": m.since} for m in org.members],
            "datasets": [self.dataset_summary(d) for d in index.datasets_of.get(owner, [])],
            "reuses": [self.reuse_summary(r) for r in index.reuses_of.get(owner, [])],
            "dataservices": [self.dataservice_summary(s) for s in self.services if s.owner == owner],
            "exports": {
                "catalog": {fmt: f"{folder}catalog.{fmt}" for fmt in ("ttl", "rdf", "jsonld")},
                "csv": {
                    name: f"{folder}{name}.csv"
                    for name in ("datasets", "resources", "reuses", "discussions", "dataservices")
                },
                "feeds": {kind: f"{folder}feeds/{kind}-datasets.atom" for kind in ("new", "updated")},
            },
        }

    def reuse(self, reuse: Reuse) -> dict[str, Any]:
        index = self.index
        return {
            **self.reuse_summary(reuse),
            "description": reuse.description,
            "topic": reuse.topic,
            "tags": list(reuse.tags),
            "image": reuse.image,
            "datasets": [self.dataset_summary(dataset) for dataset in index.public_datasets(reuse)],
            "discussions": [self.discussion(x) for x in index.discussions_about.get(("reuse", reuse.slug), [])],
        }

    def site(self) -> dict[str, Any]:
        index, site = self.index, self.index.site
        return {
            "title": site.title,
            "description": site.description,
            "base_url": self.base,
            "languages": list(site.languages),
            "counts": {
                "datasets": len(index.datasets),
                "resources": index.resource_count,
                "organizations": len(index.organizations),
                "reuses": len(index.reuses),
                "dataservices": len(self.services),
            },
            "datasets": f"{self.api}datasets/pages/1.json",
            "organizations": f"{self.api}organizations/pages/1.json",
            "reuses": f"{self.api}reuses/pages/1.json",
            "dataservices": f"{self.api}dataservices/pages/1.json",
            "openapi": f"{self.api}openapi.json",
            "exports": {
                "catalog": {fmt: f"{self.base}catalog.{fmt}" for fmt in ("ttl", "rdf", "jsonld")},
                "csv": {
                    name: f"{self.base}{name}.csv"
                    for name in ("datasets", "resources", "organizations", "reuses", "discussions", "dataservices")
                },
                "feeds": {kind: f"{self.base}feeds/{kind}-datasets.atom" for kind in ("new", "updated")},
                "sitemap": f"{self.base}sitemap.xml",
            },
        }

    def listing_page(
        self, kind: str, chunk: list[dict[str, Any]], number: int, count: int, total: int
    ) -> tuple[str, bytes]:
        """Page ``number`` of ``count`` of a listing of ``total`` items; ``chunk`` holds its summaries."""
        page = {
            "page": number,
            "page_size": PAGE_SIZE,
            "total": total,
            "pages": count,
            "previous": f"{self.api}{kind}/pages/{number - 1}.json" if number > 1 else None,
            "next": f"{self.api}{kind}/pages/{number + 1}.json" if number < count else None,
            "data": chunk,
        }
        return f"api/{kind}/pages/{number}.json", dumps(page)

    def summary(self, kind: str, item: Any) -> dict[str, Any]:
        make = {
            "datasets": self.dataset_summary,
            "organizations": self.organization_summary,
            "dataservices": self.dataservice_summary,
        }
        return make.get(kind, self.reuse_summary)(item)


def site_files(api: Api) -> Iterator[tuple[str, bytes]]:
    """The description and the site (the listings are :meth:`Api.listing_page`, the items :func:`item_file`)."""
    yield "api/openapi.json", dumps(openapi(api.urls))
    yield "api/site.json", dumps(api.site())


LISTED = ("datasets", "organizations", "reuses", "dataservices")  # SiteIndex attributes, and the public APIs


def item_file(api: Api, kind: str, item: Any) -> tuple[str, bytes]:
    """``api/{datasets,organizations,reuses,dataservices}/<slug>.json``."""
    make = {
        "datasets": api.dataset,
        "organizations": api.organization,
        "reuses": api.reuse,
        "dataservices": api.dataservice,
    }[kind]
    return f"api/{kind}/{item.slug}.json", dumps(make(item))


# --- the OpenAPI description ------------------------------------------------------------------------------

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_URL = {"type": "string", "format": "uri"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _page_of(item: str) -> dict[str, Any]:
    return _obj(
        {
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "data": {"type": "array", "items": _ref(item)},
        }
    )


def _get(summary: str, schema: str, parameter: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
            "404": {"description": "No such file"},
        },
    }
    if parameter:
        operation["parameters"] = [
            {"name": parameter, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
            if parameter == "page"
            else {"name": parameter, "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    return {"get": operation}


def openapi(urls: Any) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the static API (its server is this site's ``api/`` folder)."""
    owner = _obj(
        {"type": {"enum": ["organization", "user"]}, "slug": _STR, "name": _STR, "page": _URL, "api": _URL},
        ["type", "slug", "name", "page"],
    )
    dataset_summary = _obj({
        "slug": _STR, "title": _STR, "page": _URL, "api": _URL, "owner": _ref("Owner"),
        "license": {"oneOf": [_STR, _ref("License")]}, "created": _NSTR, "last_modified": _NSTR,
        "archived": {"type": "boolean"}, "resources": {"oneOf": [{"type": "integer"}, {"type": "array"}]},
        "quality_score": {"type": "number", "minimum": 0, "maximum": 1},
    })  # fmt: skip
    resource = _obj({
        "id": _STR, "title": _STR, "description": _STR, "type": _STR, "format": _STR, "mime": _NSTR,
        "filesize": {"type": ["integer", "null"]}, "checksum": {"type": ["object", "null"]}, "url": _URL,
        "permalink": _URL, "created": _NSTR, "last_modified": _NSTR,
    })  # fmt: skip
    discussion = _obj({
        "id": _STR, "title": _STR, "closed": _NSTR, "closed_by": _NSTR,
        "messages": {"type": "array", "items": _obj({"author": _STR, "posted": _STR, "content": _STR})},
    })  # fmt: skip
    dataset = {
        "allOf": [
            _ref("DatasetSummary"),
            _obj({
                "uri": _URL, "acronym": _NSTR, "description": _STR, "license": _ref("License"),
                "frequency": _NSTR, "temporal_coverage": {"type": ["object", "null"]},
                "spatial": {"type": ["object", "null"]}, "tags": {"type": "array", "items": _STR},
                "contact_point": {"type": ["object", "null"]}, "harvest": {"type": ["object", "null"]},
                "quality": _obj({"score": {"type": "number"}, "criteria": {"type": "object"}}),
                "resources": {"type": "array", "items": _ref("Resource")},
                "reuses": {"type": "array", "items": _ref("ReuseSummary")},
                "discussions": {"type": "array", "items": _ref("Discussion")},
            }),
        ]
    }  # fmt: skip
    organization_summary = _obj({
        "slug": _STR, "name": _STR, "acronym": _NSTR, "page": _URL, "api": _URL,
        "badges": {"type": "array", "items": _STR}, "datasets": {"oneOf": [{"type": "integer"}, {"type": "array"}]},
    })  # fmt: skip
    organization = {
        "allOf": [
            _ref("OrganizationSummary"),
            _obj({
                "description": _STR, "url": _NSTR, "logo": _NSTR, "created": _STR,
                "contact_point": {"type": ["object", "null"]},
                "members": {"type": "array", "items": _obj({"user": _STR, "role": _STR, "since": _STR})},
                "datasets": {"type": "array", "items": _ref("DatasetSummary")},
                "reuses": {"type": "array", "items": _ref("ReuseSummary")},
                "dataservices": {"type": "array", "items": _ref("DataserviceSummary")},
                "exports": {"type": "object"},
            }),
        ]
    }  # fmt: skip
    reuse_summary = _obj({
        "slug": _STR, "title": _STR, "type": _STR, "page": _URL, "api": _URL, "url": _URL, "owner": _ref("Owner"),
        "created": _STR,
    })  # fmt: skip
    reuse = {
        "allOf": [
            _ref("ReuseSummary"),
            _obj({
                "description": _STR, "topic": _NSTR, "tags": {"type": "array", "items": _STR}, "image": _NSTR,
                "datasets": {"type": "array", "items": _ref("DatasetSummary")},
                "discussions": {"type": "array", "items": _ref("Discussion")},
            }),
        ]
    }  # fmt: skip
    dataservice_summary = _obj({
        "slug": _STR, "title": _STR, "acronym": _NSTR, "page": _URL, "api": _URL, "owner": _ref("Owner"),
        "base_api_url": _URL, "access_type": {"enum": ["open", "open_with_account", "restricted"]},
        "license": {"oneOf": [_NSTR, _ref("License")]}, "created": _STR, "last_modified": _NSTR,
        "archived": {"type": "boolean"},
    })  # fmt: skip
    dataservice = {
        "allOf": [
            _ref("DataserviceSummary"),
            _obj({
                "uri": _URL, "description": _STR, "license": {"oneOf": [{"type": "null"}, _ref("License")]},
                "endpoint_description": {"oneOf": [{"type": "null"}, _obj({"url": _URL, "format": _STR})]},
                "documentation_url": _NSTR, "authorization_request_url": _NSTR,
                "availability": {"type": ["number", "null"]}, "rate_limiting": _NSTR,
                "contact_point": {"type": ["object", "null"]}, "tags": {"type": "array", "items": _STR},
                "hvd_categories": {"type": "array", "items": _STR}, "harvest": {"type": ["object", "null"]},
                "datasets": {"type": "array", "items": _ref("DatasetSummary")},
            }),
        ]
    }  # fmt: skip
    site = _obj({
        "title": _STR, "description": _STR, "base_url": _URL, "languages": {"type": "array", "items": _STR},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "datasets": _URL, "organizations": _URL, "reuses": _URL, "dataservices": _URL, "openapi": _URL,
        "exports": {"type": "object"},
    })  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Static JSON API of the portal",
            "version": API_VERSION,
            "description": (
                "Read-only JSON files generated with the site: fetch them with GET, no authentication, no query "
                "parameters. Listings are paginated in files; item files hold everything about one object. "
                "Private datasets and private APIs are never published."
            ),
        },
        "servers": [{"url": urls.base_url + "api"}],
        "paths": {
            "/site.json": _get("The portal, its counts and entry points", "Site"),
            "/datasets/pages/{page}.json": _get("A page of datasets, by slug", "DatasetPage", "page"),
            "/datasets/{slug}.json": _get("One dataset", "Dataset", "slug"),
            "/organizations/pages/{page}.json": _get("A page of organizations", "OrganizationPage", "page"),
            "/organizations/{slug}.json": _get("One organization", "Organization", "slug"),
            "/reuses/pages/{page}.json": _get("A page of reuses", "ReusePage", "page"),
            "/reuses/{slug}.json": _get("One reuse", "Reuse", "slug"),
            "/dataservices/pages/{page}.json": _get("A page of APIs", "DataservicePage", "page"),
            "/dataservices/{slug}.json": _get("One API and the datasets it serves", "Dataservice", "slug"),
        },
        "components": {
            "schemas": {
                "Site": site,
                "Owner": owner,
                "License": _obj({"id": _STR, "title": _STR, "url": _NSTR, "source": {"type": ["object", "null"]}}),
                "DatasetSummary": dataset_summary,
                "Dataset": dataset,
                "Resource": resource,
                "Discussion": discussion,
                "DatasetPage": _page_of("DatasetSummary"),
                "OrganizationSummary": organization_summary,
                "Organization": organization,
                "OrganizationPage": _page_of("OrganizationSummary"),
                "ReuseSummary": reuse_summary,
                "Reuse": reuse,
                "ReusePage": _page_of("ReuseSummary"),
                "DataserviceSummary": dataservice_summary,
                "Dataservice": dataservice,
                "DataservicePage": _page_of("DataserviceSummary"),
            }
        },
    }
