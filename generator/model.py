"""The content model: plain typed classes, no I/O.

Built from validated data (:func:`Portal.from_entries`), so constructors may trust the shape the schemas
guarantee. Every stage after validation (site, role checks, exports, dashboard) reads these classes.
Dates stay ISO strings as written (``2024-03-01`` or an RFC 3339 date-time): they sort correctly as text,
and keeping them as text keeps builds deterministic; :func:`as_date` parses when arithmetic is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .load import Entry
from .vocabularies import hvd_codes

Owner = tuple[str, str]  # ("organization", slug) or ("user", username)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def email_key(email: str) -> str:
    """How an email identifies a user: surrounding blanks dropped, ASCII letters compared case-insensitively.

    Only ASCII case is folded: Unicode folding would make different mailboxes one identity (``casefold``
    turns ``strauß@`` into ``strauss@``). Validation, the role checker and the contributor commands all
    match authors to users with this one function.
    """
    return email.strip().translate(_ASCII_LOWER)


def as_date(value: str | None) -> dt.date | None:
    """The calendar date of an ISO date or date-time string (None stays None)."""
    return None if value is None else dt.date.fromisoformat(value[:10])


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    base_url: str
    languages: list[str]
    maintainers: list[str]
    bots: list[str] = field(default_factory=list)
    repository: str | None = None
    branch: str = "main"
    theme: str | None = None
    contact_email: str | None = None
    resource_redirects: str = "pages"  # or "rules": host redirect rules instead of a page per resource

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Site:
        return cls(**data)

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass(frozen=True)
class User:
    username: str
    name: str
    emails: list[str]
    signing_keys: list[str] = field(default_factory=list)
    about: str = ""
    url: str | None = None
    avatar: str | None = None

    @classmethod
    def from_data(cls, username: str, data: dict[str, Any]) -> User:
        return cls(username=username, **data)


@dataclass(frozen=True)
class Member:
    user: str
    role: str  # admin | editor
    since: str


@dataclass(frozen=True)
class Organization:
    slug: str
    name: str
    description: str
    created: str
    members: list[Member]
    acronym: str | None = None
    url: str | None = None
    logo: str | None = None
    badges: list[str] = field(default_factory=list)
    contact_point: dict[str, str] | None = None

    @classmethod
    def from_data(cls, slug: str, data: dict[str, Any]) -> Organization:
        members = [Member(**m) for m in data["members"]]
        return cls(slug=slug, **{**data, "members": members})

    def role_of(self, username: str) -> str | None:
        """``admin``, ``editor`` or None."""
        return next((m.role for m in self.members if m.user == username), None)

    @property
    def admins(self) -> list[str]:
        return [m.user for m in self.members if m.role == "admin"]


@dataclass(frozen=True)
class Checksum:
    type: str
    value: str


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    url: str
    type: str
    format: str
    mime: str | None = None
    filesize: int | None = None
    checksum: Checksum | None = None
    created: str | None = None
    last_modified: str | None = None
    description: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Resource:
        checksum = Checksum(**data["checksum"]) if "checksum" in data else None
        return cls(**{**data, "checksum": checksum})


@dataclass(frozen=True)
class Dataset:
    slug: str
    owner: Owner
    path: str  # content-relative path of its YAML file
    title: str
    description: str
    license: str
    created: str
    last_modified: str
    resources: list[Resource] = field(default_factory=list)
    acronym: str | None = None
    frequency: str | None = None
    temporal_coverage: dict[str, str] | None = None
    spatial: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)
    private: bool = False
    archived: bool = False
    contact_point: dict[str, str] | None = None
    harvest: dict[str, Any] | None = None
    language: str | None = None  # of title and description; None: the site's first language (or unknown)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    data_languages: list[str] = field(default_factory=list)
    license_source: dict[str, str] | None = None
    # the dates the publisher or the source stated (None when it stated none): what exports and pages show.
    # ``created``/``last_modified`` above always hold a date, for sorting and feeds: for a harvested dataset
    # without dates, the harvest's. That one is ours, never published as the dataset's.
    issued: str | None = None
    modified: str | None = None
    # the EU high-value dataset categories it belongs to, as codes (c_b79e35eb) whichever form the file wrote
    hvd_categories: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, slug: str, owner: Owner, path: str, data: dict[str, Any]) -> Dataset:
        resources = [Resource.from_data(r) for r in data.get("resources", [])]
        issued, modified = data.get("created"), data.get("last_modified")
        harvested = str((data.get("harvest") or {}).get("harvested") or "1970-01-01")
        created = issued or (modified or harvested)[:10]
        changed = modified or issued or harvested
        return cls(
            slug=slug,
            owner=owner,
            path=path,
            **{
                **data,
                "resources": resources,
                "created": created,
                "last_modified": changed,
                "hvd_categories": hvd_codes(data.get("hvd_categories", [])),
            },
            issued=issued,
            modified=modified,
        )

    def text_language(self, default: str) -> str | None:
        """The language of the title and description: stated, else ``default`` (the site's) unless harvested."""
        return self.language or (None if self.harvest else default)


@dataclass(frozen=True)
class EndpointDescription:
    """The machine-readable description of an API: an OpenAPI document, a WMS GetCapabilities..."""

    url: str
    format: str


@dataclass(frozen=True)
class Dataservice:
    """An API (data.gouv.fr's dataservice, DCAT's ``dcat:DataService``): published like a dataset, by an
    organization or a user, and serving datasets of the portal (``datasets``, slugs of any owner)."""

    slug: str
    owner: Owner
    path: str
    title: str
    description: str
    base_api_url: str
    access_type: str  # open | open_with_account | restricted
    created: str
    acronym: str | None = None
    endpoint_description: EndpointDescription | None = None
    documentation_url: str | None = None
    authorization_request_url: str | None = None
    availability: float | None = None
    rate_limiting: str | None = None
    license: str | None = None
    contact_point: dict[str, str] | None = None
    datasets: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    hvd_categories: list[str] = field(default_factory=list)  # codes of vocabularies.HVD_CATEGORIES
    last_modified: str | None = None
    private: bool = False
    archived: bool = False
    harvest: dict[str, Any] | None = None  # written by the harvester, as a dataset's

    @classmethod
    def from_data(cls, slug: str, owner: Owner, path: str, data: dict[str, Any]) -> Dataservice:
        described = data.get("endpoint_description")
        endpoint = EndpointDescription(**described) if described else None
        hvd = hvd_codes(data.get("hvd_categories", []))
        fields = {**data, "endpoint_description": endpoint, "hvd_categories": hvd}
        return cls(slug=slug, owner=owner, path=path, **fields)

    @property
    def changed(self) -> str:
        """When it last changed as far as anyone said: for sorting and feeds."""
        return self.last_modified or self.created


@dataclass(frozen=True)
class Reuse:
    slug: str
    owner: Owner
    path: str
    title: str
    description: str
    url: str
    type: str
    created: str
    datasets: list[str]
    topic: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None

    @classmethod
    def from_data(cls, slug: str, owner: Owner, path: str, data: dict[str, Any]) -> Reuse:
        return cls(slug=slug, owner=owner, path=path, **data)


@dataclass(frozen=True)
class Message:
    author: str
    posted: str
    content: str


@dataclass(frozen=True)
class Discussion:
    id: str
    owner: Owner
    path: str
    subject: str
    title: str
    messages: list[Message]
    subject_type: str = "dataset"
    closed: str | None = None
    closed_by: str | None = None

    @classmethod
    def from_data(cls, id: str, owner: Owner, path: str, data: dict[str, Any]) -> Discussion:
        messages = [Message(**m) for m in data["messages"]]
        return cls(id=id, owner=owner, path=path, **{**data, "messages": messages})

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class MembershipRequest:
    organization: str
    user: str
    comment: str
    created: str
    status: str  # pending | accepted | refused
    role: str | None = None
    handled_by: str | None = None
    handled: str | None = None
    refusal_comment: str | None = None


@dataclass(frozen=True)
class Harvester:
    organization: str
    name: str
    backend: str
    url: str
    title: str | None = None
    active: bool = True
    frequency: str = "manual"
    filters: dict[str, Any] = field(default_factory=dict)
    vanished: str = "archive"


@dataclass(frozen=True)
class Zone:
    """A spatial zone that datasets name in ``spatial.zones`` (``content/zones.yaml``)."""

    code: str
    name: str
    geometry: dict[str, Any] | None = None


@dataclass
class Portal:
    """Everything the content holds, by kind and name. Private datasets and APIs are kept: publishers decide."""

    site: Site
    users: dict[str, User] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    dataservices: dict[str, Dataservice] = field(default_factory=dict)
    reuses: dict[str, Reuse] = field(default_factory=dict)
    discussions: dict[str, Discussion] = field(default_factory=dict)
    requests: list[MembershipRequest] = field(default_factory=list)
    harvesters: list[Harvester] = field(default_factory=list)
    zones: dict[str, Zone] = field(default_factory=dict)  # by code

    def zone_name(self, code: str) -> str:
        """The name of a zone for readers; a code absent from ``zones.yaml`` stays a code."""
        zone = self.zones.get(code)
        return code if zone is None else zone.name

    @classmethod
    def from_entries(cls, entries: Iterable[Entry], memo: dict[str, tuple[bytes, Any]] | None = None) -> Portal:
        """The model of validated entries (call only when validation found no problem).

        ``memo`` (a warm build's, path -> (file digest, object)) gives back the object made from a file whose
        digest did not change instead of making it again: model objects are never modified.
        """
        entries = sorted(entries, key=lambda e: e.location.path)
        site = next(Site.from_data(e.data) for e in entries if e.location.kind == "site")
        portal = cls(site=site)
        for entry in entries:
            loc = entry.location
            make = _MAKERS.get(loc.kind)
            if make is None:
                continue
            digest = entry.doc.digest if memo is not None and entry.doc is not None else None
            found = memo.get(loc.path) if memo is not None else None
            if found is not None and digest and found[0] == digest:
                item = found[1]
            else:
                item = make(loc, entry.data)
                if memo is not None and digest:
                    memo[loc.path] = (digest, item)
            _ADD[loc.kind](portal, loc, item)
        if memo is not None:  # forget the files that are gone
            for path in set(memo) - {e.location.path for e in entries}:
                del memo[path]
        return portal


_MAKERS: dict[str, Any] = {
    "user": lambda loc, data: User.from_data(loc.user, data),
    "organization": lambda loc, data: Organization.from_data(loc.org, data),
    "dataset": lambda loc, data: Dataset.from_data(loc.slug, loc.owner, loc.path, data),
    "dataservice": lambda loc, data: Dataservice.from_data(loc.slug, loc.owner, loc.path, data),
    "reuse": lambda loc, data: Reuse.from_data(loc.slug, loc.owner, loc.path, data),
    "discussion": lambda loc, data: Discussion.from_data(loc.slug, loc.owner, loc.path, data),
    "request": lambda loc, data: MembershipRequest(organization=loc.org, **data),
    "harvester": lambda loc, data: Harvester(organization=loc.org, name=loc.slug, **data),
    "zones": lambda loc, data: {z["code"]: Zone(**z) for z in data["zones"]},
}
_ADD: dict[str, Any] = {
    "user": lambda portal, loc, item: portal.users.__setitem__(loc.user, item),
    "organization": lambda portal, loc, item: portal.organizations.__setitem__(loc.org, item),
    "dataset": lambda portal, loc, item: portal.datasets.__setitem__(loc.slug, item),
    "dataservice": lambda portal, loc, item: portal.dataservices.__setitem__(loc.slug, item),
    "reuse": lambda portal, loc, item: portal.reuses.__setitem__(loc.slug, item),
    "discussion": lambda portal, loc, item: portal.discussions.__setitem__(loc.slug, item),
    "request": lambda portal, loc, item: portal.requests.append(item),
    "harvester": lambda portal, loc, item: portal.harvesters.append(item),
    "zones": lambda portal, loc, item: portal.zones.update(item),
}
