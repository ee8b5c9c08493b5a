"""Where each kind of content lives: the one table every stage reads.

Validation uses it to give each file its schema and to report files in unknown places; the role checker
uses it to know whose rights a changed path needs; the site and the exports use it to find content. Paths
are POSIX paths relative to the content folder (``organizations/acme/datasets/roads.yaml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IMAGE_EXT = r"(?:png|jpe?g|webp)"  # no SVG: served from the portal's origin, an SVG can run scripts

# kind, pattern, schema name (None: not YAML), generated (written by bots rather than people)
_TABLE: list[tuple[str, str, str | None, bool]] = [
    ("site", r"site\.yaml", "site", False),
    ("zones", r"zones\.yaml", "zones", False),
    ("readme", r"README\.md", None, False),
    ("user", r"users/(?P<user>[^/]+)\.yaml", "user", False),
    ("avatar", rf"users/(?P<user>[^/]+)/avatar\.{IMAGE_EXT}", None, False),
    ("organization", r"organizations/(?P<org>[^/]+)/organization\.yaml", "organization", False),
    ("logo", rf"organizations/(?P<org>[^/]+)/logo\.{IMAGE_EXT}", None, False),
    ("request", r"organizations/(?P<org>[^/]+)/requests/(?P<slug>[^/]+)\.yaml", "request", False),
    ("harvester", r"organizations/(?P<org>[^/]+)/harvesters/(?P<slug>[^/]+)\.yaml", "harvester", False),
    (
        "harvest-job",
        r"organizations/(?P<org>[^/]+)/harvesters/(?P<harvester>[^/]+)/jobs/(?P<slug>[^/]+)\.yaml",
        "harvest-job",
        True,
    ),
    ("metrics", r"metrics/(?P<slug>\d{4}-\d{2})\.csv", None, True),
    ("metrics-ledger", r"metrics/ingested\.txt", None, True),
    ("links", r"links/(?P<slug>[^/]+)\.(?:csv|yaml|json)", None, True),
    ("theme", r"theme/.+", None, False),
]
# datasets, APIs (data services), reuses and discussions live under an organization or, published
# personally, under a user
for _kind, _folder in (
    ("dataset", "datasets"),
    ("dataservice", "dataservices"),
    ("reuse", "reuses"),
    ("discussion", "discussions"),
):
    for _owner in ("organizations/(?P<org>[^/]+)", "users/(?P<user>[^/]+)"):
        _TABLE.append((_kind, rf"{_owner}/{_folder}/(?P<slug>[^/]+)\.yaml", _kind, False))

_COMPILED = [(kind, re.compile(pattern), schema, generated) for kind, pattern, schema, generated in _TABLE]

KINDS_WITH_SCHEMA = sorted({schema for _, _, schema, _ in _TABLE if schema})


@dataclass(frozen=True)
class Location:
    """What a content path is: its kind, its owner (organization or user) and its own slug."""

    path: str
    kind: str
    schema: str | None
    generated: bool
    org: str | None = None
    user: str | None = None
    slug: str | None = None
    harvester: str | None = None

    @property
    def owner(self) -> tuple[str, str] | None:
        """``("organization", slug)`` or ``("user", username)`` for owned content, else None."""
        if self.org is not None:
            return ("organization", self.org)
        if self.user is not None:
            return ("user", self.user)
        return None

    def names(self) -> list[tuple[str, str]]:
        """Every name this path carries that must be a slug, as (what, value)."""
        found = []
        for what in ("org", "user", "slug", "harvester"):
            value = getattr(self, what)
            if value is not None:
                found.append((what, value))
        return found


def classify(path: str) -> Location | None:
    """The :class:`Location` of a content-relative POSIX path, or None when nothing may live there."""
    for kind, pattern, schema, generated in _COMPILED:
        match = pattern.fullmatch(path)
        if match:
            return Location(path=path, kind=kind, schema=schema, generated=generated, **match.groupdict())
    return None


def owned_path(owner: tuple[str, str], folder: str, slug: str) -> str:
    """Where owned content of ``owner`` lives: ``folder`` is datasets|dataservices|reuses|discussions."""
    return f"{_owner_folder(owner)}/{folder}/{slug}.yaml"


def _owner_folder(owner: tuple[str, str]) -> str:
    kind, slug = owner
    return f"organizations/{slug}" if kind == "organization" else f"users/{slug}"
