"""The :class:`SiteIndex`: derived views of the portal, built once in O(n), that every page and export reads.

Who owns what, what uses what, the public subsets, the quality reference date, the content digests that the
keys of incremental builds (:mod:`generator.keys`) are made of. A module of its own because the pages, the
exports, the dashboards, the keys and the quick rebuilds all read it, and it reads none of them back.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache, dashboard, linkcheck
from . import quality as quality_mod
from .digests import digest, key_digest
from .layout import classify
from .load import repo_root_of
from .model import Dataservice, Dataset, Discussion, Organization, Portal, Reuse

HOME_LATEST = 6
EVERYTHING = "*"  # what a key reads when it reads the whole content (SiteIndex.everything)


def _data_files(content_dir: Path) -> list[str]:
    """Content files that are not YAML but that pages show: metrics and link checks."""
    found = []
    for folder in ("metrics", "links"):
        if (content_dir / folder).is_dir():
            found += sorted(f"{folder}/{p.name}" for p in (content_dir / folder).iterdir() if p.is_file())
    return found


class SiteIndex:
    """Derived views of the portal, built once in O(n): who owns what, what uses what, public subsets."""

    def __init__(self, portal: Portal, content_dir: Path, digests: dict[str, bytes] | None = None):
        self.portal = portal
        self.site = portal.site
        self.content_dir = content_dir
        self.datasets: list[Dataset] = [d for d in portal.datasets.values() if not d.private]
        self.datasets.sort(key=lambda d: d.slug)
        public = {d.slug for d in self.datasets}
        self.public_slugs = public
        self.reuses: list[Reuse] = sorted(portal.reuses.values(), key=lambda r: r.slug)
        self.dataservices: list[Dataservice] = sorted(
            (a for a in portal.dataservices.values() if not a.private), key=lambda a: a.slug
        )
        self.dataservices_of: dict[tuple[str, str], list[Dataservice]] = defaultdict(list)
        self.dataservices_of_dataset: dict[str, list[Dataservice]] = defaultdict(list)
        for api in self.dataservices:
            self.dataservices_of[api.owner].append(api)
            for slug in api.datasets:
                if slug in public:
                    self.dataservices_of_dataset[slug].append(api)
        self.organizations: list[Organization] = sorted(portal.organizations.values(), key=lambda o: o.slug)
        self.datasets_of: dict[tuple[str, str], list[Dataset]] = defaultdict(list)
        for dataset in self.datasets:
            self.datasets_of[dataset.owner].append(dataset)
        self.reuses_of: dict[tuple[str, str], list[Reuse]] = defaultdict(list)
        self.reuses_of_dataset: dict[str, list[Reuse]] = defaultdict(list)
        for reuse in self.reuses:
            self.reuses_of[reuse.owner].append(reuse)
            for slug in reuse.datasets:
                if slug in public:
                    self.reuses_of_dataset[slug].append(reuse)
        self.discussions_of: dict[tuple[str, str], list[Discussion]] = defaultdict(list)
        self.discussions_about: dict[tuple[str, str], list[Discussion]] = defaultdict(list)
        for discussion in sorted(portal.discussions.values(), key=lambda d: (d.messages[0].posted, d.id)):
            if discussion.subject_type == "dataset" and discussion.subject not in public:
                continue
            self.discussions_of[discussion.owner].append(discussion)
            self.discussions_about[(discussion.subject_type, discussion.subject)].append(discussion)
        # by organization, in content order: dashboards and keys ask for one organization's (5,000 of them)
        self.requests_of: dict[str, list] = defaultdict(list)
        for request in portal.requests:
            self.requests_of[request.organization].append(request)
        self.harvesters_of: dict[str, list] = defaultdict(list)
        for harvester in portal.harvesters:
            self.harvesters_of[harvester.organization].append(harvester)
        self.memberships: dict[str, list[tuple[Organization, str]]] = defaultdict(list)
        for org in self.organizations:
            for member in org.members:
                self.memberships[member.user].append((org, member.role))
        self.resource_count = sum(len(d.resources) for d in self.datasets)
        self.formats: dict[str, list[str]] = {d.slug: formats_of(d) for d in self.datasets}
        self.reference_date = quality_mod.reference_date(self.datasets)
        self.link_checks = linkcheck.load(content_dir)
        self.latest = sorted(self.datasets, key=lambda d: (d.last_modified[:10], d.slug), reverse=True)[:HOME_LATEST]
        self.most_reused = sorted(
            (d for d in self.datasets if self.reuses_of_dataset.get(d.slug)),
            key=lambda d: (-len(self.reuses_of_dataset[d.slug]), d.slug),
        )[:HOME_LATEST]
        self.images = self._images(content_dir)
        self.memo: Callable[[str], cache.Memo] | None = None  # the build's memos (export.tables uses one)
        # while a warm build computes keys: the content paths each key reads (see generator.quick)
        self.reads: list[str] | None = None
        # organization -> its scope key (keys.organization_scope), computed once per build when not recording:
        # its pages' keys, its exports' keys and the site dashboard each ask for it
        self.scopes: dict[str, tuple] = {}
        self._digests(content_dir, digests or {})
        root = repo_root_of(content_dir)
        try:
            self.content_in_repo = content_dir.relative_to(root).as_posix()
        except ValueError:  # pragma: no cover - content outside its repository
            self.content_in_repo = "content"

    def _digests(self, content_dir: Path, digests: dict[str, bytes]) -> None:
        """Content digests for the keys of incremental builds (:mod:`generator.keys`), by file and folder."""
        self.digests = dict(digests)
        for rel in (*sorted(self.images.values()), *_data_files(content_dir)):
            self.digests[rel] = digest((content_dir / rel).read_bytes())
        self._paths = sorted(self.digests)
        self.content_digest = self._digest_of(self._paths)
        folders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for rel in self._paths:
            parts = rel.split("/", 2)
            if len(parts) == 3 and parts[0] in ("organizations", "users"):
                folders[("organization" if parts[0] == "organizations" else "user", parts[1])].append(rel)
        self.folders = {owner: self._digest_of(paths) for owner, paths in folders.items()}
        self.links_digest = key_digest([(r, self.digests[r]) for r in self._paths if r.startswith("links/")])
        self.metrics_digest = key_digest([(r, self.digests[r]) for r in self._paths if r.startswith("metrics/")])

    def _digest_of(self, paths: list[str]) -> bytes:
        return digest(b"".join(b"%s\0%s" % (rel.encode(), self.digests[rel]) for rel in paths))

    def refresh(self, owners: set[tuple[str, str]]) -> None:
        """The digests of the whole content and of ``owners``' folders again, after edits of existing files.

        A warm builder's quick rebuild (:mod:`generator.quick`) calls it: the set of files is the same, so
        only the digests of what holds the edited files are computed again.
        """
        self.content_digest = self._digest_of(self._paths)
        self.scopes.clear()
        for owner in owners:
            prefix = self.owner_path(owner)
            start = bisect.bisect_left(self._paths, prefix)
            stop = bisect.bisect_left(self._paths, prefix + "\U0010ffff", start)
            self.folders[owner] = self._digest_of(self._paths[start:stop])

    def file(self, path: str) -> tuple[str, bytes]:
        """A content file as keys see it: its path and its digest."""
        if self.reads is not None:
            self.reads.append(path)
        return (path, self.digests.get(path, b""))

    def folder_digest(self, owner: tuple[str, str]) -> bytes:
        if self.reads is not None:
            self.reads.append(self.owner_path(owner))  # the same string as the owner's content folder
        return self.folders.get(owner, b"")

    def everything(self) -> bytes:
        """The digest of the whole content, for the outputs that show a little of everything (home, totals)."""
        if self.reads is not None:
            self.reads.append(EVERYTHING)
        return self.content_digest

    def owner_key(self, owner: tuple[str, str]) -> tuple:
        kind, slug = owner
        path = f"organizations/{slug}/organization.yaml" if kind == "organization" else f"users/{slug}.yaml"
        return (self.file(path), self.images.get(owner))

    def public_datasets(self, item: Reuse | Dataservice) -> list[Dataset]:
        """The datasets a reuse uses or an API serves that the site shows (private ones are left out)."""
        return [self.portal.datasets[slug] for slug in item.datasets if slug in self.public_slugs]

    def user_name(self, username: str) -> str | None:
        if self.reads is not None:
            self.reads.append(f"users/{username}.yaml")
        user = self.portal.users.get(username)
        return user.name if user is not None else None

    @functools.cached_property
    def dashboard_reference_date(self) -> Any:
        return dashboard.reference_date(self)

    @staticmethod
    def _images(content_dir: Path) -> dict[tuple[str, str], str]:
        """``("organization", slug)`` or ``("user", name)`` -> its logo/avatar file, content-relative."""
        found: dict[tuple[str, str], str] = {}
        for pattern in ("organizations/*/logo.*", "users/*/avatar.*"):
            for path in sorted(content_dir.glob(pattern)):
                location = classify(path.relative_to(content_dir).as_posix())
                if location is not None and location.kind in ("logo", "avatar") and location.owner:
                    found.setdefault(location.owner, location.path)
        return found

    def quality(self, dataset: Dataset) -> quality_mod.Quality:
        return quality_mod.quality(dataset, self.reference_date, self.link_checks)

    def dataservice_quality(self, api: Dataservice) -> quality_mod.Quality:
        return quality_mod.dataservice_quality(api, self.public_slugs, self.link_checks)

    def edit_url(self, path: str) -> str | None:
        """The repository's web editor for a content file (GitHub/Gitea/Forgejo style), or None."""
        if not self.site.repository:
            return None
        return f"{self.site.repository.rstrip('/')}/edit/{self.site.branch}/{self.content_in_repo}/{path}"

    def image(self, owner: tuple[str, str]) -> str | None:
        """The output path of an owner's logo or avatar file (same as in the content), if any."""
        return self.images.get(owner)

    def owner_name(self, owner: tuple[str, str]) -> str:
        kind, slug = owner
        if kind == "organization":
            return self.portal.organizations[slug].name
        return self.portal.users[slug].name

    def owner_path(self, owner: tuple[str, str]) -> str:
        kind, slug = owner
        return f"organizations/{slug}/" if kind == "organization" else f"users/{slug}/"


def formats_of(dataset: Dataset) -> list[str]:
    """The formats a dataset card shows, computed once per build (not by template filters on every card)."""
    return sorted({r.format for r in dataset.resources})
