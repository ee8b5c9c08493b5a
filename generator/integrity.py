"""Cross-file rules: what no single file's schema can check.

Each rule is a small function over an :class:`Index` of the portal's entries and returns problems. Rules
only read entries that passed their schema (``entry.valid``), so their shape is guaranteed; invalid files
still count for names (a dataset whose schema failed still exists, which avoids cascades of "not found").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .load import Entry
from .model import email_key


@dataclass
class Index:
    """The portal's entries by kind and name."""

    site: Entry | None = None
    users: dict[str, Entry] = field(default_factory=dict)
    organizations: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    dataservices: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    reuses: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    discussions: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    requests: list[Entry] = field(default_factory=list)
    harvesters: list[Entry] = field(default_factory=list)
    zones: Entry | None = None
    owned: list[Entry] = field(default_factory=list)  # everything under an organization or user folder

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Index:
        index = cls()
        for entry in entries:
            loc = entry.location
            if loc.kind == "site":
                index.site = entry
            elif loc.kind == "user":
                index.users[loc.user] = entry
            elif loc.kind == "organization":
                index.organizations[loc.org] = entry
            elif loc.kind in ("dataset", "dataservice", "reuse", "discussion"):
                getattr(index, loc.kind + "s")[loc.slug].append(entry)
            elif loc.kind == "request":
                index.requests.append(entry)
            elif loc.kind == "harvester":
                index.harvesters.append(entry)
            elif loc.kind == "zones":
                index.zones = entry
            if loc.owner is not None and loc.kind not in ("user", "organization"):
                index.owned.append(entry)
        return index

    def is_user(self, name: str) -> bool:
        return name in self.users


Rule = Callable[[Index], Iterable[Problem]]


def slim(kind: str, data: Any) -> Any:
    """Only what the rules below read of a valid document of ``kind`` (``portal validate`` keeps no more).

    Datasets are most of a portal and the rules need only their resource ids: validation workers send this
    back instead of whole documents (at 50,000 datasets, 212 MiB less to pickle and unpickle). A test checks
    that slim and whole documents give the same problems on every invalid case.
    """
    if kind == "dataset":
        return {"resources": [{"id": r["id"]} for r in data.get("resources", [])]}
    if kind in ("reuse", "dataservice"):
        return {"datasets": data.get("datasets", [])}
    if kind == "discussion":
        kept = {k: data[k] for k in ("subject", "subject_type", "closed_by") if k in data}
        return {**kept, "messages": [{"author": m["author"]} for m in data["messages"]]}
    return data


def check_portal(entries: list[Entry], site_file: str) -> list[Problem]:
    """Run every cross-file rule; ``site_file`` is where a missing site.yaml is reported."""
    index = Index.of(entries)
    problems: list[Problem] = []
    if index.site is None:
        problems.append(
            Problem(
                site_file,
                1,
                1,
                "missing-site",
                "the portal has no site.yaml",
                "create content/site.yaml with title, description, base_url, languages",
            )
        )
    for rule in RULES:
        problems.extend(rule(index))
    return problems


def _valid(entries: Iterable[Entry]) -> Iterator[Entry]:
    return (entry for entry in entries if entry.valid)


def _repeats(items: list[dict], key: str) -> Iterator[tuple[int, str]]:
    """``(position, value)`` of each item whose ``key`` repeats an earlier item's."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item[key] in seen:
            yield i, item[key]
        seen.add(item[key])


def site_users_exist(index: Index) -> Iterable[Problem]:
    if index.site is None or not index.site.valid:
        return
    for key in ("maintainers", "bots"):
        for i, name in enumerate(index.site.data.get(key, [])):
            if not index.is_user(name):
                yield _unknown_user(index.site, (key, i), name)


def unique_emails(index: Index) -> Iterable[Problem]:
    """Emails identify git authors: one email, one user (compared case-insensitively)."""
    owner: dict[str, str] = {}
    for name in sorted(index.users):
        entry = index.users[name]
        if not entry.valid:
            continue
        for i, email in enumerate(entry.data["emails"]):
            key = email_key(email)
            if key in owner and owner[key] != name:
                yield entry.doc.problem(
                    ("emails", i),
                    "duplicate-email",
                    f"the email {email} already identifies user '{owner[key]}'",
                    "an email may belong to one user only",
                )
            owner.setdefault(key, name)


def members(index: Index) -> Iterable[Problem]:
    """Members exist, appear once, and every organization keeps at least one admin."""
    for entry in _valid(index.organizations.values()):
        for i, member in enumerate(entry.data["members"]):
            if not index.is_user(member["user"]):
                yield _unknown_user(entry, ("members", i, "user"), member["user"])
        for i, user in _repeats(entry.data["members"], "user"):
            yield entry.doc.problem(
                ("members", i, "user"), "duplicate-member", f"'{user}' is listed twice", "keep one entry per member"
            )
        if not any(member["role"] == "admin" for member in entry.data["members"]):
            yield entry.doc.problem(
                ("members",), "no-admin", "the organization has no admin", "give at least one member the role admin"
            )


def owners_exist(index: Index) -> Iterable[Problem]:
    """Everything under organizations/<org>/ or users/<u>/ needs that organization or user file."""
    reported: set[tuple[str, str]] = set()
    for entry in index.owned:
        kind, name = entry.location.owner
        exists = name in (index.organizations if kind == "organization" else index.users)
        if not exists and (kind, name) not in reported:
            reported.add((kind, name))
            file = "organization.yaml" if kind == "organization" else f"../{name}.yaml"
            yield Problem(
                _file_of(entry), 1, 1, "missing-owner", f"the {kind} '{name}' does not exist", f"create {file} first"
            )


def unique_slugs(index: Index) -> Iterable[Problem]:
    """Dataset, API, reuse and discussion names are unique across the portal (they are URLs)."""
    tables = (
        ("dataset", index.datasets),
        ("dataservice", index.dataservices),
        ("reuse", index.reuses),
        ("discussion", index.discussions),
    )
    for what, table in tables:
        for slug, entries in table.items():
            for entry in entries[1:]:
                yield Problem(
                    _file_of(entry),
                    1,
                    1,
                    f"duplicate-{what}",
                    f"the {what} '{slug}' already exists in {_file_of(entries[0])}",
                    f"{what} names are unique across the portal: rename this file",
                )


def unique_resource_ids(index: Index) -> Iterable[Problem]:
    seen: dict[str, str] = {}
    for entries in index.datasets.values():
        for entry in _valid(entries):
            for i, resource in enumerate(entry.data.get("resources", [])):
                rid = resource["id"]
                if rid in seen:
                    yield entry.doc.problem(
                        ("resources", i, "id"),
                        "duplicate-resource-id",
                        f"the resource id {rid} is already used in {seen[rid]}",
                        "give this resource a new id (a fresh UUID)",
                    )
                else:
                    seen[rid] = _file_of(entry)


def unique_zone_codes(index: Index) -> Iterable[Problem]:
    """A zone code names one zone: a second entry would make its name ambiguous."""
    for entry in _valid([index.zones] if index.zones else []):
        for i, code in _repeats(entry.data["zones"], "code"):
            yield entry.doc.problem(
                ("zones", i, "code"), "duplicate-zone", f"the zone {code} is already listed", "keep one entry per code"
            )


def used_datasets(index: Index) -> Iterable[Problem]:
    """The datasets a reuse uses and an API serves exist (under any owner)."""
    for entries in [*index.reuses.values(), *index.dataservices.values()]:
        for entry in _valid(entries):
            for i, slug in enumerate(entry.data.get("datasets", [])):
                if slug not in index.datasets:
                    yield entry.doc.problem(
                        ("datasets", i),
                        "unknown-dataset",
                        f"no dataset '{slug}' in the portal",
                        "use the slug of an existing dataset (its file name)",
                    )


def discussions(index: Index) -> Iterable[Problem]:
    """A discussion's subject exists and belongs to the folder's owner; its people exist."""
    for entries in index.discussions.values():
        for entry in _valid(entries):
            data = entry.data
            subject_type = data.get("subject_type", "dataset")
            targets = index.datasets if subject_type == "dataset" else index.reuses
            found = targets.get(data["subject"])
            if not found:
                yield entry.doc.problem(
                    ("subject",),
                    "unknown-subject",
                    f"no {subject_type} '{data['subject']}'",
                    "use the slug of an existing dataset, or set subject_type: reuse",
                )
            elif found[0].location.owner != entry.location.owner:
                kind, name = found[0].location.owner
                yield entry.doc.problem(
                    ("subject",),
                    "wrong-owner",
                    f"the {subject_type} '{data['subject']}' belongs to the {kind} '{name}'",
                    f"move this file to the discussions folder of '{name}'",
                )
            for i, message in enumerate(data["messages"]):
                if not index.is_user(message["author"]):
                    yield _unknown_user(entry, ("messages", i, "author"), message["author"])
            if "closed_by" in data and not index.is_user(data["closed_by"]):
                yield _unknown_user(entry, ("closed_by",), data["closed_by"])


def requests(index: Index) -> Iterable[Problem]:
    for entry in _valid(index.requests):
        data, loc = entry.data, entry.location
        if data["user"] != loc.slug:
            yield entry.doc.problem(
                ("user",),
                "request-user-mismatch",
                f"the request is for '{data['user']}' but the file is named {loc.slug}.yaml",
                f"a request file is named after its user: {data['user']}.yaml",
            )
        if not index.is_user(data["user"]):
            yield _unknown_user(entry, ("user",), data["user"])
        if "handled_by" in data and not index.is_user(data["handled_by"]):
            yield _unknown_user(entry, ("handled_by",), data["handled_by"])
        org = index.organizations.get(loc.org)
        pending = data["status"] == "pending" and org is not None and org.valid
        if pending and any(member["user"] == data["user"] for member in org.data["members"]):
            yield entry.doc.problem(
                ("status",),
                "already-member",
                f"'{data['user']}' is already a member of '{loc.org}'",
                "delete the request, or mark it accepted",
            )


def _unknown_user(entry: Entry, path: tuple, name: str) -> Problem:
    return entry.doc.problem(
        path, "unknown-user", f"no user '{name}'", f"create content/users/{name}.yaml or fix the name"
    )


def _file_of(entry: Entry) -> str:
    return entry.doc.file if entry.doc is not None else entry.location.path


RULES: list[Rule] = [
    site_users_exist,
    unique_emails,
    members,
    owners_exist,
    unique_slugs,
    unique_resource_ids,
    unique_zone_codes,
    used_datasets,
    discussions,
    requests,
]
