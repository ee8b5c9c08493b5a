"""CKAN's action API: ``package_search`` page by page, with the organization, tags and query filters.

Handles what real instances answer: ``organization: null``, extras whose values are JSON text, resources
without format or size, naive timestamps, ``success: false`` errors.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from .errors import CatalogueError
from .fetch import Fetcher
from .mapping import RemoteDataset, RemoteResource, unread_fields

ROWS = 100
# package keys the content model holds, or that are CKAN's own bookkeeping (the others go to harvest.unmapped)
_CKAN_READ = frozenset({
    "id", "name", "title", "notes", "license_id", "license_url", "license_title", "tags", "resources", "extras",
    "organization", "owner_org", "maintainer", "maintainer_email", "author", "author_email", "url", "issued",
    "modified", "metadata_created", "metadata_modified", "frequency", "accrual_periodicity", "update_frequency",
    "temporal_start", "temporal_end", "temporal_coverage", "spatial_coverage", "spatial", "spatial_uri",
    "spatial_text", "contact", "language", "uri", "title_translated", "notes_translated", "state", "type",
    "private", "num_resources", "num_tags", "groups", "relationships_as_object", "relationships_as_subject",
    "isopen", "creator_user_id", "revision_id", "license_is_open", "tracking_summary",
})  # fmt: skip
MAX_DATASETS = 1_000_000
REMOTE_FILTERS = frozenset({"organization", "tags", "query"})  # sent to package_search


def api_root(url: str) -> str:
    """``https://ckan.example.org`` from the site root, ``/api/3``, ``/api/3/action`` or an action URL."""
    root = url.rstrip("/")
    for suffix in ("/package_search", "/action", "/3", "/api"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    return root


def search_params(filters: dict[str, Any]) -> dict[str, str]:
    fq = []
    if filters.get("organization"):
        fq.append(f'organization:"{filters["organization"]}"')
    if filters.get("tags"):
        fq.append("tags:(" + " OR ".join(f'"{tag}"' for tag in filters["tags"]) + ")")
    params = {"sort": "id asc"}
    if fq:
        params["fq"] = " AND ".join(fq)
    if filters.get("query"):
        params["q"] = filters["query"]
    return params


def records(fetcher: Fetcher, url: str, filters: dict[str, Any]) -> Iterator[RemoteDataset]:
    root = api_root(url)
    endpoint = f"{root}/api/3/action/package_search"
    params = search_params(filters)
    start = 0
    while start < MAX_DATASETS:
        answer = fetcher.get_json(endpoint, params={**params, "rows": ROWS, "start": start})
        results, count = _results(answer, endpoint)
        for package in results:
            yield package_record(package, root)
        start += len(results)
        if not results or start >= count:
            return


def _results(answer: Any, endpoint: str) -> tuple[list[Any], int]:
    if not isinstance(answer, dict):
        raise CatalogueError(f"{endpoint} did not answer a CKAN API object")
    if answer.get("success") is False:
        error = answer.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        raise CatalogueError(f"{endpoint} refused the search: {message or 'success is false'}")
    result = answer.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise CatalogueError(f"{endpoint} did not answer a package_search result")
    count = result.get("count")
    return result["results"], count if isinstance(count, int) else len(result["results"])


def extras(package: dict[str, Any]) -> dict[str, Any]:
    """Extras as a dict; values that are JSON text (``"[\\"a\\"]"``, ``"{...}"``) are decoded."""
    found: dict[str, Any] = {}
    items = package.get("extras")
    if not isinstance(items, list):
        return found
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        value = item.get("value")
        if isinstance(value, str) and value.strip()[:1] in ("[", "{", '"'):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        found[item["key"]] = value
    return found


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _first(extra: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = extra.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        text = _text(value)
        if text:
            return text
    return None


def _field(package: dict[str, Any], extra: dict[str, Any], *keys: str) -> str | None:
    """A scheming field (top-level, ckanext-scheming / ckanext-dcat 2.x), else the legacy extra of that name."""
    return _first(package, *keys) or _first(extra, *keys)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A scheming repeating field: a list of dicts, or its JSON text (as some instances return it)."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict):
        value = [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str) and value.strip()[:1] == "[":
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, str):
        value = [v for v in value.split(",")] if "," in value else [value]
    return [t for t in (_text(v) for v in value) if t] if isinstance(value, list) else []


def package_record(package: Any, root: str) -> RemoteDataset:
    if not isinstance(package, dict):
        return RemoteDataset(remote_id=None, title=None)
    extra = extras(package)
    name = _text(package.get("name"))
    organization = package.get("organization") if isinstance(package.get("organization"), dict) else {}
    keywords = [
        tag.get("name") or tag.get("display_name")
        for tag in package.get("tags") or []
        if isinstance(tag, dict) and isinstance(tag.get("name") or tag.get("display_name"), str)
    ]
    licenses = [v for v in (_text(package.get(k)) for k in ("license_id", "license_url")) if v]
    licenses += [
        v for r in package.get("resources") or [] if isinstance(r, dict) for v in [_text(r.get("license"))] if v
    ]
    # temporal coverage: scheming's list of periods (the first), else the flat fields
    periods = _dicts(package.get("temporal_coverage") or extra.get("temporal_coverage"))
    start = _text(periods[0].get("start")) if periods else None
    end = _text(periods[0].get("end")) if periods else None
    # spatial coverage: scheming's spatial_coverage, ckanext-spatial's GeoJSON ``spatial``, legacy extras
    spatial, places, geometries, bboxes = [], [], [], []
    for cover in _dicts(package.get("spatial_coverage") or extra.get("spatial_coverage")):
        if _text(cover.get("uri")) or _text(cover.get("text")):
            places.append({"uri": _text(cover.get("uri")) or "", "label": _text(cover.get("text")) or ""})
        if cover.get("geom"):
            geometries.append(cover["geom"])
        if cover.get("bbox"):
            bboxes.append(cover["bbox"])
    for key in ("spatial_uri", "spatial_text"):
        value = _field(package, extra, key)
        if value:
            places.append({"uri": value} if key == "spatial_uri" else {"label": value})
    for value in (package.get("spatial"), extra.get("spatial")):
        if isinstance(value, dict) or (isinstance(value, str) and value.strip()[:1] == "{"):
            geometries.append(value)
        elif isinstance(value, str) and value.strip():
            spatial.append(value.strip())
    contacts = _dicts(package.get("contact") or extra.get("contact"))
    contact = contacts[0] if contacts else {}
    contact_email = _text(contact.get("email")) or _first(extra, "contact_email")
    contact_email = contact_email or _text(package.get("maintainer_email")) or _text(package.get("author_email"))
    contact_name = _text(contact.get("name")) or _first(extra, "contact_name")
    contact_name = contact_name or _text(package.get("maintainer")) or _text(package.get("author"))
    contact_url = _text(contact.get("url")) or _text(package.get("url"))
    titles = package.get("title_translated") if isinstance(package.get("title_translated"), dict) else {}
    notes = package.get("notes_translated") if isinstance(package.get("notes_translated"), dict) else {}
    translations = {
        lang: {k: v for k, v in (("title", _text(titles.get(lang))), ("description", _text(notes.get(lang)))) if v}
        for lang in dict.fromkeys([*titles, *notes])
    }
    read_extras = {"uri", "frequency", "accrual_periodicity", "update_frequency", "issued", "modified"}
    read_extras |= {"temporal_start", "temporal_end", "temporal_coverage", "spatial_coverage", "spatial_uri"}
    read_extras |= {"spatial_text", "spatial", "contact", "contact_name", "contact_email", "language"}
    unread = unread_fields(package, _CKAN_READ) | {
        f"extras.{k}": v for k, v in unread_fields(extra, read_extras).items()
    }
    return RemoteDataset(
        remote_id=_text(package.get("id")) or name,
        remote_uri=_field(package, extra, "uri") or (f"{root}/dataset/{name}" if name else None),
        title=_text(package.get("title")) or name,
        description=package.get("notes") if isinstance(package.get("notes"), str) else None,
        translations=translations,
        data_languages=_strings(package.get("language") or extra.get("language")),
        licenses=licenses,
        license_label=_text(package.get("license_title")),
        frequency=_field(package, extra, "frequency", "accrual_periodicity", "update_frequency"),
        keywords=keywords,
        issued=_field(package, extra, "issued") or _text(package.get("metadata_created")),
        modified=_field(package, extra, "modified") or _text(package.get("metadata_modified")),
        temporal_start=start or _field(package, extra, "temporal_start"),
        temporal_end=end or _field(package, extra, "temporal_end"),
        spatial=spatial,
        places=places,
        geometries=geometries,
        bboxes=bboxes,
        contact={"name": contact_name or "", "email": contact_email or "", "url": contact_url or ""},
        resources=[_resource(r, i) for i, r in enumerate(package.get("resources") or []) if isinstance(r, dict)],
        publishers=[v for v in (_text(organization.get("name")), _text(organization.get("title"))) if v],
        name=name,
        unread=unread,
    )


def _resource(res: dict[str, Any], index: int) -> RemoteResource:
    download, access = _text(res.get("download_url")), _text(res.get("access_url"))
    return RemoteResource(
        key=_text(res.get("id")) or f"{index}:{res.get('url')}",
        title=_text(res.get("name")),
        description=res.get("description") if isinstance(res.get("description"), str) else None,
        url=_text(res.get("url")) or download or access,
        format=_text(res.get("format")),
        media_type=_text(res.get("mimetype")) or _text(res.get("mimetype_inner")),
        byte_size=res.get("size"),
        checksum_algorithm=_text(res.get("hash_algorithm")),
        checksum_value=_text(res.get("hash")),
        issued=_text(res.get("issued")) or _text(res.get("created")),
        modified=_text(res.get("modified")) or _text(res.get("last_modified")) or _text(res.get("metadata_modified")),
        type=_text(res.get("resource_type")),
        conforms_to=_strings(res.get("conforms_to")),
        service=bool(_dicts(res.get("access_services"))) and not download,  # a file served by an API too
    )
