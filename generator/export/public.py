"""Which datasets an API's exports may name: the public ones only.

The build's ``SiteIndex`` lists the public APIs (``index.dataservices``) and each owner's
(``index.dataservices_of``); the exports take them from there, so pages and exports agree on what is public.
"""

from __future__ import annotations

from typing import Any

from ..model import Dataservice


def served(index: Any, service: Dataservice) -> list[str]:
    """The slugs of the datasets ``service`` serves that are public: a private one is named nowhere."""
    return [slug for slug in service.datasets if slug in index.public_slugs]
