"""Harvesting: publish a remote catalogue (DCAT, CKAN, data.json) as datasets (and APIs) of an organization.

The pipeline of one harvester run (:func:`run_one`) reads in order:

1. **fetch and parse** the whole remote catalogue through its backend (:mod:`.dcat`, :mod:`.ckan`,
   :mod:`.datajson`) into neutral records, mapped to our dataset dicts by :mod:`.mapping`; a network failure
   or an unparseable page fails the job here, before anything is written;
2. **diff** each record against the datasets this harvester wrote before, matched by remote id, then by remote
   URI (a remote id that changed with the same URI is the same dataset); new ones get a stable slug that no
   other dataset of the portal uses; a record that maps to an invalid dataset is logged and skipped;
3. **vanished** datasets (ours, gone from the remote) are archived, or deleted if the harvester says so;
   the APIs of a DCAT catalogue (``dcat:DataService``) go through steps 2 and 3 the same way, after the
   datasets, so that the datasets they serve are named by the slugs just given;
4. **write** only the files whose content changed (atomically, byte-identical output for identical input, so a
   re-run on an unchanged remote writes no dataset), then the job log (:mod:`.joblog`).

The clock and the HTTP client are parameters, so tests are deterministic and run against local servers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import __version__, schemas
from ..errors import UsageError
from ..load import read_document
from ..validate import schema_problems
from . import ckan, datajson, dcat
from .errors import CatalogueError, FetchError, HarvestError
from .fetch import Fetcher
from .joblog import Item, Job, dump, job_files, last_started, timestamp, write_atomic, write_job
from .mapping import Record, RemoteDataset, failed, short_hash, slugify, to_record, to_service_record

__all__ = ["CatalogueError", "FetchError", "HarvestError", "HarvesterConfig", "Job", "run", "run_one", "select"]

Clock = Callable[[], dt.datetime]
PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(weeks=1), "monthly": dt.timedelta(days=30)}
SLACK = dt.timedelta(hours=1)  # scheduled runs start a little late or early: still due
# the keys of a dataset the harvester owns (rewritten from the remote); any other key is kept as people set it
OWNED_KEYS = (
    "title",
    "description",
    "language",
    "translations",
    "data_languages",
    "license",
    "license_source",
    "frequency",
    "temporal_coverage",
    "spatial",
    "tags",
    "created",
    "last_modified",
    "archived",
    "contact_point",
    "harvest",
    "resources",
)
KEY_ORDER = (
    "title",
    "acronym",
    "description",
    "language",
    "translations",
    "data_languages",
    "license",
    "license_source",
    "frequency",
    "temporal_coverage",
    "spatial",
    "tags",
    "created",
    "last_modified",
    "private",
    "archived",
    "contact_point",
    "resources",
    "harvest",
)
# the keys of an API the harvester owns, and the order of an API's keys (the schema's)
SERVICE_OWNED_KEYS = (
    "title",
    "acronym",
    "description",
    "base_api_url",
    "endpoint_description",
    "documentation_url",
    "access_type",
    "license",
    "contact_point",
    "datasets",
    "tags",
    "hvd_categories",
    "created",
    "last_modified",
    "archived",
    "harvest",
)
SERVICE_KEY_ORDER = (
    "title",
    "acronym",
    "description",
    "base_api_url",
    "endpoint_description",
    "documentation_url",
    "access_type",
    "authorization_request_url",
    "availability",
    "rate_limiting",
    "license",
    "contact_point",
    "datasets",
    "tags",
    "hvd_categories",
    "created",
    "last_modified",
    "private",
    "archived",
    "harvest",
)
# bumped when the mapping changes what a record gives, so that an unchanged catalogue is read again once
# (2: languages, source licences, spatial boxes and places, stated dates only, one resource-type rule;
# 3: the catalogue's APIs)
MAPPING = 3
HARVEST_ORDER = ("source", "remote_id", "remote_uri", "remote_modified", "harvested", "unmapped")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class HarvesterConfig:
    """A harvester file as read from ``organizations/<org>/harvesters/<name>.yaml`` (or why it cannot be)."""

    organization: str
    name: str
    backend: str = ""
    url: str = ""
    active: bool = True
    frequency: str = "manual"
    filters: dict[str, Any] = field(default_factory=dict)
    vanished: str = "archive"
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.organization}/{self.name}"

    def due(self, content_dir: Path, now: dt.datetime) -> bool:
        """Active, scheduled, and its period has elapsed since the last job started."""
        period = PERIODS.get(self.frequency)
        if not self.active or period is None:
            return False
        last = last_started(content_dir, self.organization, self.name)
        return last is None or now - last >= period - SLACK


@dataclass(frozen=True)
class SiteInfo:
    base_url: str
    languages: list[str]


# ------------------------------------------------------------------------------------------------ selection


def load_harvesters(content_dir: Path) -> list[HarvesterConfig]:
    found = []
    for path in sorted(content_dir.glob("organizations/*/harvesters/*.yaml")):
        org, name = path.parent.parent.name, path.stem
        doc = read_document(path, path.relative_to(content_dir).as_posix())
        if not doc.problems and doc.root is not None:
            doc.problems.extend(schema_problems(doc, "harvester"))
        if doc.problems:
            problems = tuple(p.as_text() for p in doc.problems)
            found.append(HarvesterConfig(org, name, problems=problems))
            continue
        data = doc.data
        found.append(
            HarvesterConfig(
                org,
                name,
                backend=data["backend"],
                url=data["url"],
                active=data.get("active", True),
                frequency=data.get("frequency", "manual"),
                filters=data.get("filters", {}),
                vanished=data.get("vanished", "archive"),
            )
        )
    return found


def select(content_dir: Path, target: str | None = None, *, due: bool = False, now: dt.datetime | None = None):
    """The harvesters to run: ``ORG/NAME`` (even inactive), ``ORG``'s active ones, or every active one.

    ``due`` keeps only those whose frequency says they should run now (what the scheduled workflow runs).
    """
    content_dir = Path(content_dir)
    harvesters = load_harvesters(content_dir)
    now = now or utc_now()
    if target:
        org, _, name = target.partition("/")
        chosen = [h for h in harvesters if h.organization == org and (not name or h.name == name)]
        if not chosen:
            what = f"harvester {target}" if name else f"harvester in the organization {org}"
            raise UsageError(f"no {what} (harvesters live in organizations/<org>/harvesters/<name>.yaml)")
        if not name:
            chosen = [h for h in chosen if h.active]
    else:
        chosen = [h for h in harvesters if h.active]
    if due:
        chosen = [h for h in chosen if h.due(content_dir, now)]
    return chosen


def site_info(content_dir: Path) -> SiteInfo:
    path = content_dir / "site.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a site file")
    languages = [lang for lang in data.get("languages") or [] if isinstance(lang, str)]
    return SiteInfo(str(data.get("base_url") or ""), languages or ["en"])


# -------------------------------------------------------------------------------------------------- running


def run(
    content_dir: Path,
    target: str | None = None,
    *,
    due: bool = False,
    dry_run: bool = False,
    now: Clock = utc_now,
    fetcher: Fetcher | None = None,
) -> list[Job]:
    """Run the selected harvesters one after the other; every run's outcome is a :class:`Job`, never a raise."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise UsageError(f"no content folder at {content_dir} (pass --content DIR)")
    site = site_info(content_dir)
    chosen = select(content_dir, target, due=due, now=now())
    own = fetcher is None
    client = fetcher or Fetcher(site.base_url)
    try:
        return [run_one(content_dir, h, site=site, fetcher=client, now=now, dry_run=dry_run) for h in chosen]
    finally:
        if own:
            client.close()


def run_one(
    content_dir: Path,
    harvester: HarvesterConfig,
    *,
    site: SiteInfo,
    fetcher: Fetcher,
    now: Clock = utc_now,
    dry_run: bool = False,
) -> Job:
    """One harvester run: fetch, map, diff, write (see the module docstring). Writes nothing when ``dry_run``."""
    content_dir = Path(content_dir)
    job = Job(harvester.organization, harvester.name, harvester.backend, harvester.url, now(), dry_run=dry_run)
    try:
        if harvester.problems:
            raise HarvestError("the harvester file is invalid: " + "; ".join(harvester.problems))
        previous = last_job(content_dir, harvester)
        known = _known_pages(previous, harvester, site)
        records, catalogue = fetch_records(harvester, site, fetcher, known)
        job.catalogue = {"fingerprint": _fingerprint(harvester, site), "pages": catalogue.pages} if catalogue else None
        if catalogue is not None and catalogue.unchanged:
            if _still_in_place(content_dir, harvester, previous):
                job.counts["unchanged"] = _produced(previous)
                job.service_counts["unchanged"] = _produced(previous, "dataservices")
                return _finish(content_dir, job, now, dry_run)
            records, catalogue = fetch_records(harvester, site, fetcher)  # read it all after all
        moment = now()
        slugs = _plan(content_dir, harvester, records, job, moment, DATASETS)
        if catalogue is not None:
            _plan(content_dir, harvester, service_records(harvester, catalogue, slugs), job, moment, DATASERVICES)
    except HarvestError as exc:
        job.fail(str(exc))
    return _finish(content_dir, job, now, dry_run)


def _finish(content_dir: Path, job: Job, now: Clock, dry_run: bool) -> Job:
    """Status, then the writes: changed datasets first, the job log last."""
    job.ended = now()
    if job.status != "failed":
        job.status = "done-errors" if job.counts["failed"] or job.service_counts["failed"] else "done"
    if not dry_run:
        for rel, content in sorted(job.changes.items()):
            if content is None:
                (content_dir / rel).unlink(missing_ok=True)
            else:
                write_atomic(content_dir / rel, content)
        write_job(content_dir, job)
    return job


def fetch_records(
    harvester: HarvesterConfig, site: SiteInfo, fetcher: Fetcher, known: list[dict[str, str]] | None = None
) -> tuple[list[Record], dcat.Catalogue | None]:
    """The whole remote catalogue, mapped; raises :class:`HarvestError` when it cannot be read entirely.

    For DCAT also the pages read (``known``: those of the last run, see :func:`dcat.read`).
    """
    namespace = harvester.key
    catalogue = None
    if harvester.backend == "dcat":
        catalogue = dcat.read(fetcher, harvester.url, site.languages, known)
        remotes: Iterable[RemoteDataset] = catalogue.remotes
        remote_filters = dcat.REMOTE_FILTERS
    elif harvester.backend == "ckan":
        remotes = ckan.records(fetcher, harvester.url, harvester.filters)
        remote_filters = ckan.REMOTE_FILTERS
    elif harvester.backend == "datajson":
        remotes = datajson.records(fetcher, harvester.url)
        remote_filters = datajson.REMOTE_FILTERS
    else:
        raise HarvestError(f"unknown backend {harvester.backend!r}")
    local = {k: v for k, v in harvester.filters.items() if k not in remote_filters and v}
    records = [_mapped(remote, lambda r: to_record(r, namespace), local) for remote in remotes]
    return records, catalogue


def _mapped(remote: Any, make: Callable[[Any], Record], local: dict[str, Any]) -> Record:
    """``make(remote)``, a failed record if the mapping raises, marked ``filtered`` if the filters leave it out."""
    try:
        record = make(remote)
    except Exception as exc:  # a mapping bug on one odd record must not lose the whole run
        error = f"cannot map the record: {type(exc).__name__}: {exc}"
        record = failed(
            remote.remote_id, error, remote.remote_uri, title=str(remote.title or "")[:300], label=remote.label
        )
    if record.error is None and local and not _matches(record, local):
        record.error = "filtered"
    return record


def service_records(harvester: HarvesterConfig, catalogue: dcat.Catalogue, slugs: dict[str, str]) -> list[Record]:
    """The catalogue's APIs, mapped and filtered as its datasets are, serving the datasets ``slugs`` names
    (remote id or URI -> slug, what the datasets' plan gave)."""
    local = {k: v for k, v in harvester.filters.items() if k not in dcat.REMOTE_FILTERS and v}
    return [_served(_mapped(remote, to_service_record, local), slugs) for remote in catalogue.services]


# --------------------------------------------------------------------------------- unchanged catalogue


def _fingerprint(harvester: HarvesterConfig, site: SiteInfo) -> str:
    """What the datasets depend on besides the remote: the code's version and the harvester's settings."""
    settings = [__version__, MAPPING, harvester.backend, harvester.url, harvester.filters, site.languages]
    return short_hash(json.dumps(settings, sort_keys=True, ensure_ascii=False), 16)


def last_job(content_dir: Path, harvester: HarvesterConfig) -> dict[str, Any] | None:
    files = job_files(content_dir, harvester.organization, harvester.name)
    if not files:
        return None
    try:
        data = yaml.load(files[-1].read_bytes(), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _known_pages(previous: dict[str, Any] | None, harvester: HarvesterConfig, site: SiteInfo):
    """The pages of the last run when it was complete (``done``) with the same settings; else None."""
    if not previous or previous.get("status") != "done":
        return None
    catalogue = previous.get("catalogue")
    if not isinstance(catalogue, dict) or catalogue.get("fingerprint") != _fingerprint(harvester, site):
        return None
    pages = catalogue.get("pages")
    return pages if isinstance(pages, list) and pages else None


def _produced(previous: dict[str, Any] | None, counts_key: str = "counts") -> int:
    counts = (previous or {}).get(counts_key) or {}
    return sum(int(counts.get(k, 0)) for k in ("created", "updated", "unchanged"))


def _still_in_place(content_dir: Path, harvester: HarvesterConfig, previous: dict[str, Any] | None) -> bool:
    """The datasets and APIs the last run left are all there (a file deleted by hand is recreated by a full run)."""
    for kind in (DATASETS, DATASERVICES):
        ours, _ = _existing(content_dir, harvester, kind)
        if len([e for e in ours if not e.data.get("archived")]) != _produced(previous, kind.counts):
            return False
    return True


def _matches(record: Record, filters: dict[str, Any]) -> bool:
    if "tags" in filters:
        wanted = {slugify(t, 100) for t in filters["tags"]}
        if not wanted & set(record.keywords):
            return False
    if "organization" in filters:
        org = filters["organization"].casefold()
        names = [p.casefold() for p in record.publishers]
        if not any(org in (n, slugify(n)) or (n.startswith("http") and n.rstrip("/").endswith(org)) for n in names):
            return False
    if "query" in filters:
        data = record.dataset or {}
        text = f"{data.get('title', '')} {data.get('description', '')}".casefold()
        if not all(word in text for word in filters["query"].casefold().split()):
            return False
    return True


# ----------------------------------------------------------------------------------------------------- diff


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Dates stay text, as in content."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@dataclass
class _Existing:
    slug: str
    path: str
    data: dict[str, Any]

    @property
    def harvest(self) -> dict[str, Any]:
        return self.data.get("harvest") or {}


@dataclass(frozen=True)
class _Kind:
    """What a harvester writes: datasets, or APIs (a DCAT catalogue's ``dcat:DataService`` nodes)."""

    name: str  # dataset | dataservice: the content kind, its schema, the job log's item key
    folder: str  # datasets | dataservices
    counts: str  # the job log's counts of this kind: counts | dataservices
    owned: tuple[str, ...]  # the keys the harvester rewrites; people's other keys are kept
    order: tuple[str, ...]
    dated: bool = False  # the schema requires ``created`` even when the source states no date


DATASETS = _Kind("dataset", "datasets", "counts", OWNED_KEYS, KEY_ORDER)
DATASERVICES = _Kind("dataservice", "dataservices", "dataservices", SERVICE_OWNED_KEYS, SERVICE_KEY_ORDER, True)


def _existing(
    content_dir: Path, harvester: HarvesterConfig, kind: _Kind = DATASETS
) -> tuple[list[_Existing], set[str]]:
    """This harvester's datasets or APIs (read), and every slug of that kind in the portal (names only)."""
    slugs = {p.stem for p in content_dir.glob(f"organizations/*/{kind.folder}/*.yaml")}
    slugs |= {p.stem for p in content_dir.glob(f"users/*/{kind.folder}/*.yaml")}
    ours = []
    folder = content_dir / "organizations" / harvester.organization / kind.folder
    for path in sorted(folder.glob("*.yaml")):
        raw = path.read_bytes()
        if b"harvest:" not in raw:  # cheap: most datasets of a publishing organization are not harvested
            continue
        try:
            data = yaml.load(raw, Loader=_Loader)
        except yaml.YAMLError:
            continue
        harvest = data.get("harvest") if isinstance(data, dict) else None
        if isinstance(harvest, dict) and harvest.get("source") == harvester.name:
            ours.append(_Existing(path.stem, path.relative_to(content_dir).as_posix(), data))
    return ours, slugs


def _plan(
    content_dir: Path,
    harvester: HarvesterConfig,
    records: list[Record],
    job: Job,
    moment: dt.datetime,
    kind: _Kind = DATASETS,
) -> dict[str, str]:
    """Diff ``records`` against this harvester's datasets (or APIs) and put the writes in ``job.changes``.

    Returns the slug each harvested record has now, by remote id and by remote URI (an API's served datasets
    are named by them).
    """
    ours, slugs = _existing(content_dir, harvester, kind)
    by_id = {e.harvest.get("remote_id"): e for e in ours}
    by_uri = {e.harvest["remote_uri"]: e for e in ours if e.harvest.get("remote_uri")}
    matched: set[str] = set()  # slugs of ours that a record claimed in this run
    seen_ids: set[str] = set()
    claimed: set[str] = set()  # new slugs given in this run
    given: dict[str, str] = {}  # remote id and URI -> slug
    harvested = timestamp(moment)
    validator = schemas.validator(kind.name)

    def add(item: Item) -> None:
        item.kind = kind.name
        job.add(item)

    for record in records:
        if record.error == "filtered":
            job.counter(kind.name)["skipped"] += 1
            continue
        if record.remote_id in seen_ids:
            add(_failed(record, "the remote id appears twice in the catalogue"))
            continue
        if record.remote_id:
            seen_ids.add(record.remote_id)
        if record.error:
            add(_failed(record, record.error))
            continue
        existing = by_id.get(record.remote_id)
        if existing is None or existing.slug in matched:
            existing = by_uri.get(record.remote_uri) if record.remote_uri else None
            if existing is not None and existing.slug in matched:
                existing = None
        if existing is not None:
            slug, rel = existing.slug, existing.path
            matched.add(slug)
        else:
            slug = _new_slug(record, slugs | claimed, harvester.key)
            if slug is None:
                job.add(_failed(record, "no free slug for this title"))
                continue
            claimed.add(slug)
            rel = f"organizations/{harvester.organization}/{kind.folder}/{slug}.yaml"
        data = _content(record, existing.data if existing else None, harvester.name, harvested, kind)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.instance_path)))
        if errors:
            where = "/".join(map(str, errors[0].instance_path)) or kind.name
            add(_failed(record, f"invalid {kind.name} at {where}: {errors[0].message}"[:500], slug))
            if existing is None:
                claimed.discard(slug)
            continue
        given.update({key: slug for key in (record.remote_id, record.remote_uri) if key})
        if existing is not None and data == existing.data:
            job.counter(kind.name)["unchanged"] += 1
            continue
        data["harvest"]["harvested"] = harvested
        job.changes[rel] = dump(data)
        add(Item("updated" if existing else "created", record.remote_id, slug))
    for existing in ours:
        if existing.slug in matched or existing.harvest.get("remote_id") in seen_ids:
            continue
        remote_id = existing.harvest.get("remote_id")
        if harvester.vanished == "delete":
            job.changes[existing.path] = None
            add(Item("deleted", remote_id, existing.slug))
        elif not existing.data.get("archived"):
            data = _ordered({**existing.data, "archived": True}, kind.order)
            job.changes[existing.path] = dump(data)
            add(Item("archived", remote_id, existing.slug))
    return given


def _served(record: Record, slugs: dict[str, str]) -> Record:
    """An API's record with the datasets it serves named by their slugs here (the harvested ones); the others
    (not in the catalogue, or not harvested) are kept raw in ``harvest.unmapped``."""
    if record.dataset is None or record.error:
        return record
    found = [slugs[uri] for uri in record.serves if uri in slugs]
    if found:
        record.dataset["datasets"] = sorted(set(found))
    missing = [uri for uri in record.serves if uri not in slugs]
    if missing:
        record.unmapped["datasets"] = " | ".join(missing)[:2000]
    return record


def _failed(record: Record, error: str, slug: str | None = None) -> Item:
    """A failed item that says which record: remote id, URI (or blank node label) and title, and why."""
    return Item(
        "failed",
        record.remote_id,
        slug,
        error,
        remote_uri=record.remote_uri or record.label,
        title=record.title[:300] or None,
    )


def _new_slug(record: Record, taken: set[str], namespace: str) -> str | None:
    """The title's slug, or with a suffix from the remote id when another dataset of the portal has it."""
    base = slugify(record.title) or slugify(record.name or "") or f"dataset-{short_hash(namespace + record.remote_id)}"
    if base not in taken:
        return base
    for length in (6, 10, 16):
        suffix = short_hash(f"{namespace}\n{record.remote_id}", length)
        candidate = f"{base[: 80 - length - 1].rstrip('-')}-{suffix}"
        if candidate not in taken:
            return candidate
    return None


def _content(
    record: Record, old: dict[str, Any] | None, source: str, harvested: str, kind: _Kind = DATASETS
) -> dict[str, Any]:
    """The dataset or API as it should be: the record's fields, people's keys kept, ``harvested`` unchanged."""
    old = old or {}
    data: dict[str, Any] = {k: v for k, v in old.items() if k not in kind.owned}
    new = dict(record.dataset or {})  # no date the source does not state (harvest.harvested is ours)
    old_types = {r.get("id"): r.get("type") for r in old.get("resources") or [] if isinstance(r, dict)}
    if new.get("resources"):
        new["resources"] = [
            {**r, "type": old_types[r["id"]]} if r["type"] == "main" and old_types.get(r["id"]) else r
            for r in new["resources"]
        ]
    data.update(new)
    if kind.dated and "created" not in data:  # no date stated: the first harvest's, kept from then on
        data["created"] = old.get("created") or harvested[:10]
    old_harvest = old.get("harvest") or {}
    harvest = {
        "source": source,
        "remote_id": record.remote_id,
        "remote_uri": record.remote_uri,
        "remote_modified": record.remote_modified,
        "harvested": old_harvest.get("harvested") or harvested,
        "unmapped": dict(sorted(record.unmapped.items())) or None,
    }
    data["harvest"] = {k: harvest[k] for k in HARVEST_ORDER if harvest[k] is not None}
    return _ordered(data, kind.order)


def _ordered(data: dict[str, Any], order: tuple[str, ...] = KEY_ORDER) -> dict[str, Any]:
    ordered = {k: data[k] for k in order if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return ordered
