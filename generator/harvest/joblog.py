"""The job log of a harvester run: what happened, item by item, as a committed YAML file.

``organizations/<org>/harvesters/<name>/jobs/<id>.yaml``, the id being the start time in UTC written as a
slug (``2026-11-28-10-00-00``). The dashboard reads them; ``schemas/harvest-job.schema.json`` describes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..files import write_atomic

STATUSES = ("done", "done-errors", "failed")
COUNTS = ("created", "updated", "unchanged", "archived", "deleted", "skipped", "failed")
KEEP_JOBS = 50  # older job logs of a harvester are pruned (git keeps them)


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, to the second: ``2026-11-28T10:00:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_id(moment: dt.datetime) -> str:
    """The start time in UTC as a slug (file names are slugs): ``2026-11-28-10-00-00``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d-%H-%M-%S")


def jobs_folder(org: str, harvester: str) -> str:
    return f"organizations/{org}/harvesters/{harvester}/jobs"


@dataclass
class Item:
    """What happened to one remote record or one local dataset."""

    status: str  # created | updated | archived | deleted | failed
    remote_id: str | None = None
    dataset: str | None = None  # slug
    error: str | None = None
    remote_uri: str | None = None  # the record's URI, else its blank node label (_:b0): which one failed
    title: str | None = None
    kind: str = "dataset"  # or dataservice: an API of the catalogue (``dataset`` then holds its slug)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        for key in ("remote_id", "remote_uri", "title", "dataset", "error"):
            value = getattr(self, key)
            if value is not None:
                data[self.kind if key == "dataset" else key] = value
        return data


@dataclass
class Job:
    """One run of one harvester. ``changes`` maps content paths to new bytes (None: delete)."""

    organization: str
    harvester: str
    backend: str
    url: str
    started: dt.datetime
    ended: dt.datetime | None = None
    status: str = "done"
    error: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    service_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))  # the APIs'
    items: list[Item] = field(default_factory=list)
    changes: dict[str, bytes | None] = field(default_factory=dict)
    path: str | None = None  # content-relative path of the job log, once written
    dry_run: bool = False
    catalogue: dict[str, Any] | None = None  # DCAT: settings fingerprint and pages read (url, sha256)

    @property
    def name(self) -> str:
        return f"{self.organization}/{self.harvester}"

    def counter(self, kind: str) -> dict[str, int]:
        """The counts of datasets, or of APIs (``kind`` dataservice)."""
        return self.service_counts if kind == "dataservice" else self.counts

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.counter(item.kind)[item.status] += 1

    def fail(self, error: str) -> None:
        self.status, self.error = "failed", error
        self.changes = {}

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "harvester": self.harvester,
            "backend": self.backend,
            "url": self.url,
            "started": timestamp(self.started),
            "ended": timestamp(self.ended or self.started),
            "status": self.status,
        }
        if self.error:
            data["error"] = self.error
        data["counts"] = dict(self.counts)
        if any(self.service_counts.values()):
            data["dataservices"] = dict(self.service_counts)
        if self.items:
            data["items"] = [item.as_data() for item in self.items]
        if self.catalogue and self.status != "failed":
            data["catalogue"] = self.catalogue
        return data


def dump(data: Any) -> bytes:
    """Deterministic YAML: keys in the given order, Unicode as is, multi-line text as literal blocks."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120).encode("utf-8")


_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data: Any) -> bool:  # content files may not hold anchors
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def job_files(content_dir: Path, org: str, harvester: str) -> list[Path]:
    """The job logs of a harvester, oldest first (ids sort by time)."""
    folder = content_dir / jobs_folder(org, harvester)
    return sorted(folder.glob("*.yaml"), key=_order) if folder.is_dir() else []


def _order(path: Path) -> tuple[str, int]:
    base, _, n = path.stem[19:].partition("-")  # 2026-11-28-10-00-00 then -2, -3 for same-second runs
    return (path.stem[:19] + base, int(n) if n.isdigit() else 1)


def last_started(content_dir: Path, org: str, harvester: str) -> dt.datetime | None:
    """When the latest job started, read from its id."""
    for path in reversed(job_files(content_dir, org, harvester)):
        try:
            moment = dt.datetime.strptime(path.stem[:19], "%Y-%m-%d-%H-%M-%S")
        except ValueError:
            continue
        return moment.replace(tzinfo=dt.UTC)
    return None


def write_job(content_dir: Path, job: Job) -> str:
    """Write the job log (a fresh id even when two runs start in the same second) and prune old logs."""
    folder = jobs_folder(job.organization, job.harvester)
    base = job_id(job.started)
    rel, n = f"{folder}/{base}.yaml", 1
    while (content_dir / rel).exists():
        n += 1
        rel = f"{folder}/{base}-{n}.yaml"
    write_atomic(content_dir / rel, dump(job.as_data()))
    for old in job_files(content_dir, job.organization, job.harvester)[:-KEEP_JOBS]:
        old.unlink(missing_ok=True)
    job.path = rel
    return rel
