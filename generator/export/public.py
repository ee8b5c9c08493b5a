"""The APIs (data services) the exports may show: every one but the private ones, by slug.

The build's ``SiteIndex`` lists the public datasets; the exports take the public APIs from here, once per
build (:func:`generator.export.units`), grouped by owner for the per-organization files.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..model import Dataservice


def public_dataservices(index: Any) -> list[Dataservice]:
    """Every API of the portal that is not private, sorted by slug: no export names a private one."""
    return sorted((s for s in index.portal.dataservices.values() if not s.private), key=lambda s: s.slug)


def by_owner(services: list[Dataservice]) -> dict[tuple[str, str], list[Dataservice]]:
    """The APIs of each owner (``("organization", slug)`` or ``("user", name)``), in the order given."""
    found: dict[tuple[str, str], list[Dataservice]] = defaultdict(list)
    for service in services:
        found[service.owner].append(service)
    return found


def served(index: Any, service: Dataservice) -> list[str]:
    """The slugs of the datasets ``service`` serves that are public: a private one is named nowhere."""
    return [slug for slug in service.datasets if slug in index.public_slugs]
