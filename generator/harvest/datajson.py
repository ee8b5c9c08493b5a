"""Project Open Data ``data.json`` catalogues (DCAT-US 1.1, and the 1.0 bare list of datasets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import geometry
from .errors import CatalogueError
from .fetch import Fetcher
from .mapping import RemoteDataset, RemoteResource, unread_fields

REMOTE_FILTERS: frozenset[str] = frozenset()
# the keys the content model holds (the others go to harvest.unmapped); publisher and landing page are the
# portal's own in the export, the source being linked as provenance
_READ = frozenset({
    "@type", "identifier", "landingPage", "title", "description", "license", "rights", "accrualPeriodicity",
    "keyword", "issued", "modified", "temporal", "publisher", "contactPoint", "spatial", "distribution", "language",
    "accessLevel",
})  # fmt: skip


def records(fetcher: Fetcher, url: str) -> Iterator[RemoteDataset]:
    document = fetcher.get_json(url)
    yield from catalogue_records(document, url)


def catalogue_records(document: Any, url: str) -> Iterator[RemoteDataset]:
    if isinstance(document, list):  # data.json 1.0: a bare list of datasets
        items = document
    elif isinstance(document, dict):
        kind = document.get("@type")
        if kind is not None and kind != "dcat:Catalog":
            raise CatalogueError(f"{url} is not a data.json catalogue: its @type is {kind!r}, not 'dcat:Catalog'")
        items = document.get("dataset")
        if not isinstance(items, list):
            raise CatalogueError(f"{url} is not a data.json catalogue: it has no 'dataset' list")
    else:
        raise CatalogueError(f"{url} is not a data.json catalogue")
    for item in items:
        yield dataset_record(item)


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip() or None
    return None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def dataset_record(item: Any) -> RemoteDataset:
    if not isinstance(item, dict):
        return RemoteDataset(remote_id=None)
    identifier = _text(item.get("identifier"))
    landing = _text(item.get("landingPage"))
    start = end = None
    temporal = _text(item.get("temporal"))
    if temporal and "/" in temporal:
        start, end = temporal.split("/", 1)
        start = None if start.upper().startswith("R") or start.startswith("P") else start
        end = None if end.startswith("P") else end
    publisher = item.get("publisher") if isinstance(item.get("publisher"), dict) else {}
    contact = item.get("contactPoint") if isinstance(item.get("contactPoint"), dict) else {}
    spatial = item.get("spatial")
    shapes = [spatial] if isinstance(spatial, dict) or geometry.read(_text(spatial)) else []
    spatial = None if shapes else _text(spatial)
    return RemoteDataset(
        remote_id=identifier,
        remote_uri=identifier if identifier and identifier.startswith(("http://", "https://")) else landing,
        title=item.get("title") if isinstance(item.get("title"), (str, int, float)) else None,
        description=_text(item.get("description")),
        licenses=[v for v in (_text(item.get("license")), _text(item.get("rights"))) if v][:1],
        frequency=_text(item.get("accrualPeriodicity")),
        keywords=[k for k in _list(item.get("keyword")) if isinstance(k, str)],
        issued=_text(item.get("issued")),
        modified=_text(item.get("modified")),
        temporal_start=start,
        temporal_end=end,
        spatial=[spatial] if spatial else [],
        geometries=[g for g in shapes if not isinstance(g, str) or not geometry.from_box_text(g)],
        bboxes=[g for g in shapes if isinstance(g, str) and geometry.from_box_text(g)],
        data_languages=[v for v in _list(item.get("language")) if isinstance(v, str)],
        contact={
            "name": _text(contact.get("fn")) or "",
            "email": _text(contact.get("hasEmail")) or "",
        },
        resources=[_resource(d, i) for i, d in enumerate(_list(item.get("distribution"))) if isinstance(d, dict)],
        publishers=[v for v in (_text(publisher.get("name")),) if v],
        unread=unread_fields(item, _READ),
    )


def _resource(dist: dict[str, Any], index: int) -> RemoteResource:
    download, access = _text(dist.get("downloadURL")), _text(dist.get("accessURL"))
    return RemoteResource(
        key=download or access or str(index),
        title=_text(dist.get("title")),
        description=_text(dist.get("description")),
        url=download or access,
        format=_text(dist.get("format")),
        media_type=_text(dist.get("mediaType")),
        conforms_to=[v for v in (_text(dist.get("conformsTo")),) if v],
    )
