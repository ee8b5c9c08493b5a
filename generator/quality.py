"""udata's dataset quality score, as small pure functions of a dataset.

Each criterion returns True (met), False (missing) or None (cannot be known yet). The score is the share of
known criteria that are met: ``met / (criteria - unknown)``. Criteria, as on data.gouv.fr:

* ``license``: a license other than ``notspecified``;
* ``temporal_coverage``: a temporal coverage is given;
* ``spatial``: a spatial coverage (zones or granularity) is given;
* ``frequency``: an update frequency other than ``unknown``;
* ``update_in_time``: the data is not late for its frequency: ``last_modified + period + 1 day of grace``
  is not before the *reference date*. The reference date comes from the content, never from the clock
  (builds stay reproducible): :func:`reference_date` is the newest ``last_modified`` of the portal.
  Frequencies without a period (punctual, irregular) are always in time; ``unknown`` never is;
* ``description``: a description longer than 100 characters;
* ``open_format``: at least one resource in an open format (:data:`~generator.vocabularies.OPEN_FORMATS`);
* ``resources_available``: every resource answers, according to the link checks (``portal links check``,
  :mod:`generator.linkcheck`) passed as ``checks``: False as soon as one resource's check of its current URL
  failed, True when every resource's current URL answered 2xx, else None (unknown: not checked yet, or
  checked at another URL), left out of the score. A dataset without resources misses it;
* ``resources_documented``: every resource has a description, or the dataset has a documentation resource.

APIs (data services) get their own criteria (:data:`API_CRITERIA`, :func:`dataservice_quality`), scored the
same way: a description of more than 100 characters, a technical description (``endpoint_description``), a
documentation page, a license, a contact point, at least one dataset the site shows, an availability rate,
an access-request URL when access is not open, not archived, and every URL (base, technical description,
documentation) answering its last link check (None while unchecked, as for resources).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from .model import Dataservice, Dataset, as_date
from .vocabularies import FREQUENCIES, OPEN_FORMATS

GRACE = dt.timedelta(days=1)
DESCRIPTION_MIN = 100


def has_license(dataset: Dataset) -> bool:
    return dataset.license != "notspecified"


def has_temporal_coverage(dataset: Dataset) -> bool:
    return bool(dataset.temporal_coverage)


def has_spatial(dataset: Dataset) -> bool:
    return bool(dataset.spatial)


def has_frequency(dataset: Dataset) -> bool:
    return dataset.frequency is not None and dataset.frequency != "unknown"


def update_in_time(dataset: Dataset, reference: dt.date) -> bool:
    if not has_frequency(dataset):
        return False
    period = FREQUENCIES[dataset.frequency][1]
    if period is None:
        return True
    due = as_date(dataset.last_modified) + max(period, dt.timedelta(days=1)) + GRACE
    return due >= reference


def has_description(dataset: Dataset) -> bool:
    return len(dataset.description.strip()) > DESCRIPTION_MIN


def has_open_format(dataset: Dataset) -> bool:
    return any(r.format in OPEN_FORMATS for r in dataset.resources)


class LinkCheck(Protocol):
    """What the criterion needs of a link check (:class:`generator.linkcheck.Check`)."""

    url: str

    @property
    def ok(self) -> bool: ...


def resources_available(dataset: Dataset, checks: Mapping[str, LinkCheck] | None = None) -> bool | None:
    """Every resource answered its last check (of its current URL); None while any is unchecked."""
    if not dataset.resources:
        return False
    known = True
    for resource in dataset.resources:
        check = checks.get(resource.id) if checks else None
        if check is None or check.url != resource.url:
            known = False
        elif not check.ok:
            return False
    return True if known else None


def resources_documented(dataset: Dataset) -> bool:
    if not dataset.resources:
        return False
    return any(r.type == "documentation" for r in dataset.resources) or all(
        r.description.strip() for r in dataset.resources
    )


# name -> function of (dataset, reference date); the order is the order shown on the dataset page
CRITERIA: dict[str, Callable[[Dataset, dt.date], bool | None]] = {
    "license": lambda d, ref: has_license(d),
    "temporal_coverage": lambda d, ref: has_temporal_coverage(d),
    "spatial": lambda d, ref: has_spatial(d),
    "frequency": lambda d, ref: has_frequency(d),
    "update_in_time": update_in_time,
    "description": lambda d, ref: has_description(d),
    "open_format": lambda d, ref: has_open_format(d),
    "resources_available": lambda d, ref: resources_available(d),
    "resources_documented": lambda d, ref: resources_documented(d),
}


@dataclass(frozen=True)
class Quality:
    criteria: dict[str, bool | None]

    @property
    def known(self) -> int:
        return sum(1 for v in self.criteria.values() if v is not None)

    @property
    def met(self) -> int:
        return sum(1 for v in self.criteria.values() if v)

    @property
    def score(self) -> float:
        """Between 0 and 1."""
        return self.met / self.known if self.known else 0.0

    @property
    def missing(self) -> list[str]:
        return [name for name, value in self.criteria.items() if value is False]

    @property
    def unknown(self) -> list[str]:
        return [name for name, value in self.criteria.items() if value is None]


def quality(dataset: Dataset, reference: dt.date, checks: Mapping[str, LinkCheck] | None = None) -> Quality:
    """The quality of ``dataset`` judged at ``reference`` (see :func:`reference_date`), with link ``checks``
    (resource id -> check) when there are any."""
    criteria = {name: check(dataset, reference) for name, check in CRITERIA.items()}
    if checks:
        criteria["resources_available"] = resources_available(dataset, checks)
    return Quality(criteria)


def reference_date(datasets: Iterable[Dataset]) -> dt.date:
    """The newest ``last_modified`` among ``datasets``: "today" as far as the content knows."""
    newest = max((d.last_modified for d in datasets), key=lambda s: s[:10], default="1970-01-01")
    return as_date(newest)


# --- APIs (data services) -------------------------------------------------------------------------------------
# The same kind of score for an API: what a reader needs to call it, judged from its file, the datasets the site
# shows and the link checks of its URLs (:func:`generator.linkcheck.dataservice_links`).


def serves_public_data(api: Dataservice, public: Container[str]) -> bool:
    return any(slug in public for slug in api.datasets)


def access_explained(api: Dataservice) -> bool:
    """An API that is not open says where to ask for access: without that link, nobody can call it."""
    return api.access_type == "open" or bool(api.authorization_request_url)


def api_links_available(api: Dataservice, checks: Mapping[str, LinkCheck] | None) -> bool | None:
    """Every URL of the API answered its last check; None while any is unchecked (as resources_available)."""
    from .linkcheck import dataservice_links  # linkcheck reads quality's protocol only: no cycle at import

    known = True
    for check_id, url in dataservice_links(api):
        check = checks.get(check_id) if checks else None
        if check is None or check.url != url:
            known = False
        elif not check.ok:
            return False
    return True if known else None


# name -> function of (api, public dataset slugs, link checks); the order is the order shown on the API page
API_CRITERIA: dict[str, Callable[[Dataservice, Container[str], Mapping[str, LinkCheck] | None], bool | None]] = {
    "api_description": lambda a, public, checks: has_description(a),
    "api_endpoint_description": lambda a, public, checks: a.endpoint_description is not None,
    "api_documentation": lambda a, public, checks: bool(a.documentation_url),
    "api_license": lambda a, public, checks: bool(a.license) and a.license != "notspecified",
    "api_contact_point": lambda a, public, checks: bool(a.contact_point),
    "api_datasets": lambda a, public, checks: serves_public_data(a, public),
    "api_availability": lambda a, public, checks: a.availability is not None,
    "api_access": lambda a, public, checks: access_explained(a),
    "api_active": lambda a, public, checks: not a.archived,
    "api_links_available": lambda a, public, checks: api_links_available(a, checks),
}


def dataservice_quality(
    api: Dataservice, public: Container[str], checks: Mapping[str, LinkCheck] | None = None
) -> Quality:
    """The quality of an API: ``public`` holds the slugs of the datasets the site shows, ``checks`` the link
    checks (check id -> check) when there are any."""
    return Quality({name: check(api, public, checks) for name, check in API_CRITERIA.items()})
