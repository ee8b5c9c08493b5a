"""What each output of the site depends on: the dependency table of incremental builds.

Every page and every export unit gets a *key*: a small value (tuples of strings, digests and numbers) that
changes whenever something the output shows changes. A rebuild renders again only the outputs whose key
changed (:mod:`generator.build`); the test ``tests/test_incremental.py`` checks, for every kind of change,
that this gives the very bytes a full build gives.

Keys are built from the content digests the validation computed (one per file, see
:class:`~generator.load.Document`), so they cost a few tuple operations per page, far less than a render.
What is *not* in a page's key is what every page shares: the generator's own code, the theme, ``site.yaml``,
``zones.yaml``, the base URL and the languages. Those form the build's global key (:func:`global_key`); when it changes,
every page is rendered again (and still only the files whose bytes changed are written).

The table below follows the stock templates. A portal theme that shows more of the portal on a page than the
stock one does (say, the member list on every dataset page) needs a full build (``portal build --full``) after
the changes it shows: the keys cannot see what a custom template reads.

* an **entity** (dataset, API, organization, user, reuse, discussion) is its file: path and content digest;
* an **owner**, wherever it is shown (cards, headers, schema.org), is its file and its logo or avatar path;
* a **dataset card** is the dataset, its owner and its number of reuses;
* a **reuse card** or an **API card** is the reuse or API and its owner; a **discussion** is its file and its
  authors' names;
* an **API page** is its card, its quality and the cards of the public datasets it serves; a dataset page
  shows the cards of the APIs that serve it, an organization's or user's page the cards of its APIs;
* **quality** (dataset pages, API) depends on the reference date and the link checks file;
* an **organization's folder** digest covers everything under ``organizations/<org>/``: dashboards and
  per-organization exports depend on it, plus their members' names and the metrics files.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .digests import key_digest
from .model import Dataservice, Dataset, Discussion, Organization, Reuse

if TYPE_CHECKING:  # annotations only: the pages and the index are made of the keys defined here
    from .export import Unit
    from .pages import Page
    from .render import Urls
    from .site_index import SiteIndex

Key = Any


def value(key: Key) -> Key:
    """A key as given to a page or unit: a value, or a function computing it (called at each build)."""
    return key() if callable(key) else key


def global_key(
    fingerprint: str, theme_digest: bytes, site: Any, base_url: str, languages: Any, zones: Any = None
) -> Key:
    return (fingerprint, theme_digest, repr(site), base_url, tuple(languages), repr(zones))


def dataset_card(index: Any, dataset: Dataset) -> Key:
    return (
        index.file(dataset.path),
        index.owner_key(dataset.owner),
        len(index.reuses_of_dataset.get(dataset.slug, ())),
    )


def reuse_card(index: Any, reuse: Reuse) -> Key:
    return (index.file(reuse.path), index.owner_key(reuse.owner))


def dataservice_card(index: Any, api: Dataservice) -> Key:
    return (index.file(api.path), index.owner_key(api.owner))


def dataservice_cards(index: Any, apis: Any) -> Key:
    return tuple(dataservice_card(index, a) for a in apis)


def dataservice(index: Any, api: Dataservice) -> Key:
    """An API's page: the API, its owner, its quality (link checks, which datasets are public), the datasets."""
    return (
        dataservice_card(index, api),
        quality(index),
        tuple(dataset_card(index, d) for d in index.public_datasets(api)),
    )


def dataservice_listing(index: Any, apis: list[Dataservice], total: int, pager: dict[str, Any]) -> Key:
    return (total, pager["number"], pager["count"], dataservice_cards(index, apis))


def discussion(index: Any, item: Discussion) -> Key:
    authors = [m.author for m in item.messages] + ([item.closed_by] if item.closed_by else [])
    return (index.file(item.path), tuple(index.user_name(a) for a in authors))


def quality(index: Any) -> Key:
    return (str(index.reference_date), index.links_digest)


def dataset(index: Any, item: Dataset) -> Key:
    return (
        dataset_card(index, item),
        quality(index),
        tuple(reuse_card(index, r) for r in index.reuses_of_dataset.get(item.slug, ())),
        tuple(discussion(index, d) for d in index.discussions_about.get(("dataset", item.slug), ())),
        dataservice_cards(index, index.dataservices_of_dataset.get(item.slug, ())),
    )


def dataset_part(index: Any, item: Dataset) -> Key:
    """Resource pages: the dataset file and its owner."""
    return (index.file(item.path), index.owner_key(item.owner))


def dataservice_part(index: Any, item: Any) -> Key:
    """An API in the exports: its file, its owner (name, contact) and which of the datasets it serves are public."""
    return (index.file(item.path), index.owner_key(item.owner), tuple(s in index.public_slugs for s in item.datasets))


def dataservice_api(index: Any, item: Any) -> Key:
    """An API's JSON file: the API and the summaries of the public datasets it serves."""
    served = tuple(dataset_summary(index, index.portal.datasets[s]) for s in item.datasets if s in index.public_slugs)
    return (dataservice_part(index, item), served)


def redirect(resource: Any) -> Key:
    """A resource's redirect page shows the resource alone: its URL and title."""
    return (resource.id, resource.url, resource.title)


def listing(index: Any, datasets: list[Dataset], total: int, pager: dict[str, Any]) -> Key:
    return (total, pager["number"], pager["count"], tuple(dataset_card(index, d) for d in datasets))


def reuse_listing(index: Any, reuses: list[Reuse], total: int, pager: dict[str, Any]) -> Key:
    return (total, pager["number"], pager["count"], tuple(reuse_card(index, r) for r in reuses))


def reuse(index: Any, item: Reuse, datasets: list[Dataset], discussions: list[Discussion]) -> Key:
    return (
        reuse_card(index, item),
        tuple(dataset_card(index, d) for d in datasets),
        tuple(discussion(index, d) for d in discussions),
    )


def organizations(index: Any) -> Key:
    return tuple(
        (
            index.owner_key(("organization", org.slug)),
            len(index.datasets_of.get(("organization", org.slug), ())),
            len(index.reuses_of.get(("organization", org.slug), ())),
        )
        for org in index.organizations
    )


def organization(index: Any, org: Organization, datasets: list[Dataset], pager: dict[str, Any]) -> Key:
    owner = ("organization", org.slug)
    return (
        index.owner_key(owner),
        len(index.datasets_of.get(owner, ())),
        pager["number"],
        pager["count"],
        tuple(dataset_card(index, d) for d in datasets),
        tuple(reuse_card(index, r) for r in index.reuses_of.get(owner, ())),
        tuple(index.file(d.path) for d in index.discussions_of.get(owner, ())),
        tuple(index.user_name(m.user) for m in org.members),
        dataservice_cards(index, index.dataservices_of.get(owner, ())),
    )


def organization_scope(index: Any, org: Organization) -> Key:
    """Dashboards and per-organization exports: the whole folder, and what it shows from outside it.

    Kept in ``index.scopes`` when the index is not recording what keys read (a recorded key must read its files
    each time): the organization's dashboard page, its exports and the site dashboard each ask for it, and the
    5,000 scopes of a 50,000-dataset portal took 2.7 s each time. :meth:`SiteIndex.refresh` forgets them.
    """
    if index.reads is not None:
        return _organization_scope(index, org)
    found = index.scopes.get(org.slug)
    if found is None:
        found = index.scopes[org.slug] = _organization_scope(index, org)
    return found


def _organization_scope(index: Any, org: Organization) -> Key:
    owner = ("organization", org.slug)
    datasets = index.datasets_of.get(owner, ())
    users = {m.user for m in org.members}
    requests = index.requests_of.get(org.slug, ())
    users.update(r.user for r in requests)
    users.update(r.handled_by for r in requests if r.handled_by)
    for item in index.discussions_of.get(owner, ()):
        users.update(m.author for m in item.messages)
    return (
        index.folder_digest(owner),
        index.owner_key(owner),
        quality(index),
        str(index.dashboard_reference_date),
        index.metrics_digest,
        tuple((u, index.user_name(u)) for u in sorted(users)),
        tuple(index.file(r.path) for d in datasets for r in index.reuses_of_dataset.get(d.slug, ())),
        tuple(d.slug in index.public_slugs for d in datasets),
        # its APIs' quality counts the public datasets they serve, which may be other owners'
        tuple(slug in index.public_slugs for a in index.dataservices_of.get(owner, ()) for slug in a.datasets),
    )


def user(index: Any, username: str) -> Key:
    owner = ("user", username)
    return (
        index.owner_key(owner),
        tuple((index.owner_key(("organization", org.slug)), role) for org, role in index.memberships.get(username, ())),
        tuple(dataset_card(index, d) for d in index.datasets_of.get(owner, ())),
        tuple(reuse_card(index, r) for r in index.reuses_of.get(owner, ())),
        dataservice_cards(index, index.dataservices_of.get(owner, ())),
    )


def reuse_api(index: Any, item: Reuse) -> Key:
    datasets = index.public_datasets(item)
    discussions = index.discussions_about.get(("reuse", item.slug), [])
    return (reuse(index, item, datasets, discussions), quality(index))


def dataset_summary(index: Any, item: Dataset) -> Key:
    """An API listing's line: the dataset, its owner and its quality score."""
    return (index.file(item.path), index.owner_key(item.owner), quality(index))


def organization_summary(index: Any, org: Organization) -> Key:
    return (index.owner_key(("organization", org.slug)), len(index.datasets_of.get(("organization", org.slug), ())))


def sitemap(index: Any) -> Key:
    """Which pages exist, and the dates the sitemap gives them."""
    return (
        str(index.reference_date),
        tuple((d.slug, d.owner, d.last_modified[:10]) for d in index.datasets),
        tuple(o.slug for o in index.organizations),
        tuple(r.slug for r in index.reuses),
        tuple(sorted(index.portal.users)),
        tuple((a.slug, a.changed[:10]) for a in index.dataservices),
    )


def table_rows(index: Any, item: Dataset) -> Key:
    """A dataset's lines in the CSV tables: the dataset, its owner, its quality, its discussions and reuses."""
    return (
        dataset_part(index, item),
        quality(index),
        len(index.discussions_about.get(("dataset", item.slug), ())),
        len(index.reuses_of_dataset.get(item.slug, ())),
    )


# --- the keys of one build -------------------------------------------------------------------------------
# The digests of the keys above for a build's pages and export units, and (a warm build) which outputs read
# each content path; the builder compares them with those of the last build, quick rebuilds with one edit.


Dependencies = dict[str, list[int]]  # content path (or folder, or EVERYTHING) -> positions of what reads it


def page_keys(
    all_pages: list[Page], urls: Urls, recording: SiteIndex | None = None
) -> tuple[dict[str, bytes], Dependencies | None]:
    """Each page's output path -> the digest of its key (translations share the digest of their page).

    With ``recording`` (a warm build's index), also which pages read each content path: the positions in
    ``all_pages`` that a later edit of that path may change (:mod:`generator.quick`).
    """
    found: dict[str, bytes] = {}
    memo: dict[tuple[int, str], tuple[bytes, list[str]]] = {}
    deps: Dependencies | None = defaultdict(list) if recording is not None else None
    reads: list[str] = []
    for position, page in enumerate(all_pages):
        if page.key is None:  # no key: always rendered again
            found[page.output(urls)] = os.urandom(16)
            continue
        ident = (id(page.key), page.path)
        known = memo.get(ident)
        if known is None:
            digest, reads = page_key(page, recording)
            memo[ident] = (digest, reads)
        else:
            digest, reads = known
        if deps is not None:
            for path in reads:
                deps[path].append(position)
        found[page.output(urls)] = digest  # each language's file is compared with its own stored key
    return found, deps


FORKED_KEYS_PAGES = 100_000  # from this many pages a one-shot build computes keys on two cores
CHILD_SHARE = 0.7  # of the pages, to the forked child: the parent also computes the units' keys meanwhile
_FORKED: tuple[list[Page], Urls] | None = None  # what the forked child reads (set just before the fork)


def all_keys(
    all_pages: list[Page], units: list[Unit], urls: Urls, recording: SiteIndex | None, jobs: int
) -> tuple[dict[str, bytes], Dependencies | None, dict[str, bytes], Dependencies | None]:
    """:func:`page_keys` and :func:`unit_keys`; a large one-shot build (no ``recording``, ``jobs`` > 1) computes
    most page keys in a forked process while this one computes the rest and the units' (same digests).

    Why: at 50,000 datasets they took 7 s of a 35 s one-edit build, all in one core. The child reads the
    pages it was forked with (keys are functions: they cannot be sent) and returns plain digests.
    """
    global _FORKED
    if recording is not None or jobs < 2 or len(all_pages) < FORKED_KEYS_PAGES:
        return (*page_keys(all_pages, urls, recording), *unit_keys(units, recording))
    cut = int(len(all_pages) * CHILD_SHARE)
    _FORKED = (all_pages, urls)
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            first = pool.apply_async(_forked_page_keys, (cut,))
            rest, _ = page_keys(all_pages[cut:], urls)
            found_units, _ = unit_keys(units)
            found = first.get()
    finally:
        _FORKED = None
    found.update(rest)
    return found, None, found_units, None


def _forked_page_keys(cut: int) -> dict[str, bytes]:
    assert _FORKED is not None
    all_pages, urls = _FORKED
    return page_keys(all_pages[:cut], urls)[0]


def page_key(page: Page, recording: SiteIndex | None = None) -> tuple[bytes, list[str]]:
    """The digest of a page's key, and (``recording``) the content paths it read."""
    return _recorded(recording, lambda: (page.template, page.path, value(page.key)))


def unit_keys(units: list[Unit], recording: SiteIndex | None = None) -> tuple[dict[str, bytes], Dependencies | None]:
    """Each unit's name -> the digest of its key; with ``recording``, which units read each content path."""
    found: dict[str, bytes] = {}
    deps: Dependencies | None = defaultdict(list) if recording is not None else None
    for position, unit in enumerate(units):
        found[unit.name], reads = unit_key(unit, recording)
        if deps is not None:
            for path in reads:
                deps[path].append(position)
    return found, deps


def unit_key(unit: Unit, recording: SiteIndex | None = None) -> tuple[bytes, list[str]]:
    return _recorded(recording, lambda: value(unit.key))


def _recorded(recording: SiteIndex | None, key: Callable[[], Any]) -> tuple[bytes, list[str]]:
    if recording is None:
        return key_digest(key()), []
    recording.reads = []
    try:
        digest = key_digest(key())
        return digest, list(dict.fromkeys(recording.reads))
    finally:
        recording.reads = None
