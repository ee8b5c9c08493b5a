"""CSV exports, like data.gouv.fr's: datasets, resources, organizations, reuses, discussions, APIs.

UTF-8 without BOM, ``;``-separated, one header row, ``\\r\\n`` line ends (RFC 4180), fields quoted only when
needed; lists (tags, zones, formats...) are joined with ``,``; empty cells for missing values. Column names
follow data.gouv.fr's where the concept is the same, and never change order (``docs/exports.md`` lists
them). Written site-wide at the root and per organization in ``organizations/<org>/``.

This module is named ``tables`` so that ``import csv`` elsewhere in the package still finds the stdlib.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from .. import keys
from ..model import Dataservice, Dataset, Discussion, Organization, Reuse
from .public import served

DATASET_COLUMNS = [
    "slug", "title", "acronym", "url", "organization", "organization_id", "owner", "owner_id", "description",
    "frequency", "license", "temporal_coverage.start", "temporal_coverage.end", "spatial.granularity",
    "spatial.zones", "created_at", "last_modified", "tags", "archived", "resources_count", "main_resources_count",
    "resources_formats", "harvest.source", "harvest.remote_id", "harvest.remote_url", "harvest.modified_at",
    "quality_score", "metric.discussions", "metric.reuses",
]  # fmt: skip

RESOURCE_COLUMNS = [
    "dataset.slug", "dataset.title", "dataset.url", "dataset.organization", "dataset.organization_id",
    "dataset.license", "dataset.archived", "id", "url", "permalink", "title", "description", "type", "format",
    "mime", "filesize", "checksum.type", "checksum.value", "created_at", "modified",
]  # fmt: skip

ORGANIZATION_COLUMNS = [
    "slug", "name", "acronym", "url", "website", "description", "logo", "badges", "created_at",
    "metric.datasets", "metric.resources", "metric.reuses", "metric.discussions", "metric.members",
]  # fmt: skip

REUSE_COLUMNS = [
    "slug", "title", "url", "type", "topic", "description", "remote_url", "organization", "organization_id",
    "owner", "owner_id", "image", "created_at", "tags", "datasets", "metric.datasets", "metric.discussions",
]  # fmt: skip

DISCUSSION_COLUMNS = [
    "id", "title", "url", "subject_class", "subject_id", "user", "created", "last_message", "closed", "closed_by",
    "size", "participants",
]  # fmt: skip


DATASERVICE_COLUMNS = [
    "slug", "title", "acronym", "url", "organization", "organization_id", "owner", "owner_id", "description",
    "base_api_url", "machine_documentation_url", "machine_documentation_format", "technical_documentation_url",
    "access_type", "authorization_request_url", "availability", "rate_limiting", "license", "tags", "datasets",
    "hvd_categories", "created_at", "last_update", "archived", "harvest.source", "harvest.remote_id",
    "harvest.remote_url",
]  # fmt: skip


def _yes_no(value: bool) -> str:
    return "True" if value else "False"


def _owner_cells(index: Any, owner: tuple[str, str]) -> list[str]:
    """organization, organization_id, owner, owner_id (data.gouv.fr's four columns)."""
    kind, slug = owner
    name = index.owner_name(owner)
    return [name, slug, "", ""] if kind == "organization" else ["", "", name, slug]


class Tables:
    """Rows of every table, from the build's SiteIndex (public content only)."""

    def __init__(self, index: Any, urls: Any):
        self.index = index
        self.base = urls.base_url

    def dataset_row(self, d: Dataset) -> list[Any]:
        index = self.index
        temporal = d.temporal_coverage or {}
        spatial = d.spatial or {}
        harvest = d.harvest or {}
        return [
            d.slug,
            d.title,
            d.acronym or "",
            f"{self.base}datasets/{d.slug}/",
            *_owner_cells(index, d.owner),
            d.description,
            d.frequency or "",
            d.license,
            temporal.get("start", ""),
            temporal.get("end", ""),
            spatial.get("granularity", ""),
            ",".join(spatial.get("zones", [])),
            d.issued or "",
            d.modified or "",
            ",".join(d.tags),
            _yes_no(d.archived),
            len(d.resources),
            sum(1 for r in d.resources if r.type == "main"),
            ",".join(sorted({r.format for r in d.resources})),
            harvest.get("source", ""),
            harvest.get("remote_id", ""),
            harvest.get("remote_uri", ""),
            harvest.get("remote_modified", ""),
            f"{index.quality(d).score:.2f}",
            len(index.discussions_about.get(("dataset", d.slug), [])),
            len(index.reuses_of_dataset.get(d.slug, [])),
        ]

    def resource_rows(self, d: Dataset) -> Iterator[list[Any]]:
        owner_cells = _owner_cells(self.index, d.owner)[:2]
        for r in d.resources:
            yield [
                d.slug,
                d.title,
                f"{self.base}datasets/{d.slug}/",
                *owner_cells,
                d.license,
                _yes_no(d.archived),
                r.id,
                r.url,
                f"{self.base}datasets/r/{r.id}/",
                r.title,
                r.description,
                r.type,
                r.format,
                r.mime or "",
                "" if r.filesize is None else r.filesize,
                r.checksum.type if r.checksum else "",
                r.checksum.value if r.checksum else "",
                r.created or "",
                r.last_modified or "",
            ]

    def organization_row(self, org: Organization) -> list[Any]:
        index = self.index
        owner = ("organization", org.slug)
        datasets = index.datasets_of.get(owner, [])
        logo = index.image(owner)
        return [
            org.slug,
            org.name,
            org.acronym or "",
            f"{self.base}organizations/{org.slug}/",
            org.url or "",
            org.description,
            self.base + logo if logo else "",
            ",".join(org.badges),
            org.created,
            len(datasets),
            sum(len(d.resources) for d in datasets),
            len(index.reuses_of.get(owner, [])),
            len(index.discussions_of.get(owner, [])),
            len(org.members),
        ]

    def reuse_row(self, reuse: Reuse) -> list[Any]:
        public = [dataset.slug for dataset in self.index.public_datasets(reuse)]
        return [
            reuse.slug,
            reuse.title,
            f"{self.base}reuses/{reuse.slug}/",
            reuse.type,
            reuse.topic or "",
            reuse.description,
            reuse.url,
            *_owner_cells(self.index, reuse.owner),
            reuse.image or "",
            reuse.created,
            ",".join(reuse.tags),
            ",".join(public),
            len(public),
            len(self.index.discussions_about.get(("reuse", reuse.slug), [])),
        ]

    def dataservice_row(self, s: Dataservice) -> list[Any]:
        described = s.endpoint_description
        harvest = s.harvest or {}
        return [
            s.slug,
            s.title,
            s.acronym or "",
            f"{self.base}dataservices/{s.slug}/",
            *_owner_cells(self.index, s.owner),
            s.description,
            s.base_api_url,
            described.url if described else "",
            described.format if described else "",
            s.documentation_url or "",
            s.access_type,
            s.authorization_request_url or "",
            "" if s.availability is None else s.availability,
            s.rate_limiting or "",
            s.license or "",
            ",".join(s.tags),
            ",".join(served(self.index, s)),
            ",".join(s.hvd_categories),
            s.created,
            s.last_modified or "",
            _yes_no(s.archived),
            harvest.get("source", ""),
            harvest.get("remote_id", ""),
            harvest.get("remote_uri", ""),
        ]

    def discussion_row(self, discussion: Discussion) -> list[Any]:
        folder = "datasets" if discussion.subject_type == "dataset" else "reuses"
        participants = list(dict.fromkeys(m.author for m in discussion.messages))
        return [
            discussion.id,
            discussion.title,
            f"{self.base}{folder}/{discussion.subject}/#discussion-{discussion.id}",
            "Dataset" if discussion.subject_type == "dataset" else "Reuse",
            discussion.subject,
            discussion.messages[0].author,
            discussion.messages[0].posted,
            discussion.messages[-1].posted,
            discussion.closed or "",
            discussion.closed_by or "",
            len(discussion.messages),
            ",".join(participants),
        ]


_FORMULA_START = ("=", "+", "@", "\t", "\r")


def neutralize(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed by ``'`` (OWASP's CSV-injection advice).

    Titles and descriptions come from any contributor: ``=HYPERLINK(...)`` or ``-2+cmd|...`` in a title must
    not run when someone opens the export in a spreadsheet. A ``-`` followed by a space (a Markdown list
    item) is left alone; numbers are never touched.
    """
    if (
        isinstance(cell, str)
        and cell
        and (cell.startswith(_FORMULA_START) or (cell[0] == "-" and cell[1:2] not in ("", " ")))
    ):
        return "'" + cell
    return cell


def rows_text(rows: Iterable[list[Any]]) -> str:
    """CSV lines of ``rows``, every cell neutralized."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([neutralize(c) for c in row] for row in rows)
    return buffer.getvalue()


def to_csv(columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    return (rows_text([columns]) + rows_text(rows)).encode("utf-8")


def _tables(
    t: Tables,
    datasets: list[Dataset],
    reuses: list[Reuse],
    discussions: list[Discussion],
    services: list[Dataservice],
) -> dict:
    return {
        "datasets.csv": (DATASET_COLUMNS, (t.dataset_row(d) for d in datasets)),
        "resources.csv": (RESOURCE_COLUMNS, (row for d in datasets for row in t.resource_rows(d))),
        "reuses.csv": (REUSE_COLUMNS, (t.reuse_row(r) for r in reuses)),
        "discussions.csv": (DISCUSSION_COLUMNS, (t.discussion_row(d) for d in discussions)),
        "dataservices.csv": (DATASERVICE_COLUMNS, (t.dataservice_row(s) for s in services)),
    }


def site_files(index: Any, urls: Any, services: list[Dataservice]) -> Iterator[tuple[str, bytes]]:
    """The six site-wide tables at the root (``services``: the public APIs).

    The lines of each dataset in ``datasets.csv`` and ``resources.csv`` (most of the bytes) are kept in the
    build's memo (``index.memo``, when the build gives one) with the key of what they show: an incremental
    build makes again only the lines of the datasets that changed.
    """
    t = Tables(index, urls)
    discussions = sorted((d for ds in index.discussions_of.values() for d in ds), key=lambda d: d.id)
    site = _tables(t, [], index.reuses, discussions, services)
    site["organizations.csv"] = (ORGANIZATION_COLUMNS, (t.organization_row(o) for o in index.organizations))
    memo = index.memo("csv-rows") if getattr(index, "memo", None) else None
    texts = [_dataset_lines(t, d, memo) for d in index.datasets]
    if memo is not None:
        memo.save()
    for name in sorted(site):
        if name == "datasets.csv":
            yield name, (rows_text([DATASET_COLUMNS]) + "".join(text[0] for text in texts)).encode("utf-8")
        elif name == "resources.csv":
            yield name, (rows_text([RESOURCE_COLUMNS]) + "".join(text[1] for text in texts)).encode("utf-8")
        else:
            yield name, to_csv(*site[name])


def _dataset_lines(t: Tables, dataset: Dataset, memo: Any) -> tuple[str, str]:
    """The line of ``dataset`` in datasets.csv and its lines in resources.csv, from the memo when unchanged."""
    key = keys.table_rows(t.index, dataset) if memo is not None else None
    found = memo.get(dataset.slug, key) if memo is not None else None
    if found is None:
        found = (rows_text([t.dataset_row(dataset)]), rows_text(t.resource_rows(dataset)))
        if memo is not None:
            memo.put(dataset.slug, key, found)
    return found


def organization_files(index: Any, urls: Any, org: Any, services: list[Dataservice]) -> Iterator[tuple[str, bytes]]:
    """Datasets, resources, reuses, discussions and APIs (``services``, its public ones) of one organization."""
    owner = ("organization", org.slug)
    tables = _tables(
        Tables(index, urls),
        index.datasets_of.get(owner, []),
        index.reuses_of.get(owner, []),
        sorted(index.discussions_of.get(owner, []), key=lambda d: d.id),
        services,
    )
    for name in sorted(tables):
        yield f"organizations/{org.slug}/{name}", to_csv(*tables[name])
