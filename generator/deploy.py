"""``portal deploy``: publish a built site to S3-compatible object storage, sending only the objects that changed.

Past what Pages hosts take (1 GB, 20,000 files), a portal lives in a bucket behind a CDN. A one-edit rebuild
changes a handful of files out of hundreds of thousands, so a deploy must find them without asking the
bucket about every object. It keeps a **manifest** in the bucket (``_portal/deploy-manifest.json.gz`` under
the prefix): every key it put there, with a digest of the bytes *and* the headers it sent. A deploy reads
that one object, hashes the local files, and compares: one GET instead of a LIST of the whole bucket (683
requests of 1,000 keys at 50,000 datasets). S3 ETags are not used: they are the MD5 of the bytes only for
single-part uploads without SSE-KMS, vary between providers, and say nothing about the headers (a new
``Cache-Control`` policy must send the objects again). ``verify`` adds a LIST for a bucket changed by hand.

Order, so readers never meet a missing object: content-hashed files (Pagefind chunks) first, then the other
files, then the HTML pages that point at them; deletes only after every upload succeeded, and vanished
Pagefind chunks only ``2 * max_age`` later (a cached entry file may still point at them); the manifest
last. A deploy interrupted after sending objects the old manifest does not know leaves a journal
(``_portal/deploy-pending.json``) naming them, so the next deploy deletes them if the site no longer has them.

The client is boto3 (credentials from the standard AWS environment variables, profile or instance role;
never from the command line); nothing here signs a request by hand. The library never prints: it returns a
:class:`DeployResult`, calls ``log`` for progress, and raises :class:`DeployError` with a sentence a person
can act on.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gzip
import hashlib
import html
import json
import mimetypes
import os
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PortalError, UsageError
from .files import write_atomic

MANIFEST = "_portal/deploy-manifest.json.gz"
JOURNAL = "_portal/deploy-pending.json"
MANIFEST_FORMAT = "portal-deploy-manifest/1"
REDIRECT_MODES = ("pages", "s3-website")
DEFAULT_MAX_AGE = 300  # seconds a CDN or browser may keep a page that can change at the next deploy
IMMUTABLE = "public, max-age=31536000, immutable"  # files named after their content never change
DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes

# Types mimetypes gets wrong or does not know, by suffix. Text types say their charset: the build writes UTF-8.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".ttl": "text/turtle; charset=utf-8",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".wasm": "application/wasm",
    ".pagefind": "application/octet-stream",  # Pagefind's WebAssembly, gzipped by Pagefind itself
}
HASHED_SUFFIXES = (".pf_fragment", ".pf_index", ".pf_filter", ".pf_meta")  # Pagefind names these by content
SHARD_FILE = re.compile(r"pagefind/\d+-[0-9a-f]+/")  # a search shard's folder is named by its content


def named_by_content(rel: str) -> bool:
    """A file whose name changes when its bytes do: a Pagefind chunk, or any file of a search shard's folder."""
    return rel.endswith(HASHED_SUFFIXES) or SHARD_FILE.match(rel) is not None


REDIRECT_PAGE = re.compile(r"^datasets/r/[^/]+/index\.html$")
META_REFRESH = re.compile(rb'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]*)"', re.IGNORECASE)


class DeployError(PortalError):
    """The deploy could not be done (endpoint, credentials, bucket, a failed upload): exit code 1."""

    exit_code = 1


@dataclass(frozen=True)
class Target:
    """Where a site goes: a bucket (and a folder in it) at an S3 endpoint. Credentials are never here."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None  # None: AWS, or AWS_ENDPOINT_URL(_S3) from the environment
    region: str | None = None
    profile: str | None = None

    def key(self, rel: str) -> str:
        return normalize_prefix(self.prefix) + rel

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{normalize_prefix(self.prefix)}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where


@dataclass(frozen=True, slots=True)
class LocalObject:
    """One file of the site as it will be stored: its key below the prefix, headers and the digest of both."""

    rel: str
    path: str  # the file on disk (a str: a Path per file costs more than the hashing at 680,000 files)
    size: int
    content_type: str
    cache_control: str
    redirect: str | None
    digest: str


@dataclass
class Plan:
    """What a deploy does: new and changed objects to send, keys to delete, and how many were compared."""

    new: list[LocalObject]
    changed: list[LocalObject]
    delete: list[str]
    compared: int
    retired: dict[str, str] = field(default_factory=dict)  # content-named keys kept a while: key -> "-<time>"

    @property
    def upload(self) -> list[LocalObject]:
        return sorted(self.new + self.changed, key=upload_order)

    @property
    def unchanged(self) -> int:
        return self.compared - len(self.new) - len(self.changed)


@dataclass
class DeployResult:
    target: Target
    plan: Plan
    dry_run: bool
    first: bool  # no manifest was found in the bucket
    verified: bool = False  # the bucket was listed (verify)
    sent: int = 0
    sent_bytes: int = 0
    deleted: int = 0
    manifest_bytes: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# --- pure functions: what each object is ------------------------------------------------------------------


def normalize_prefix(prefix: str) -> str:
    """``"/portal"``, ``"portal/"`` and ``"portal"`` all mean the folder ``portal/``; ``""`` the bucket's root."""
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def content_type(rel: str) -> str:
    """The Content-Type of a site file, by its suffix; Pagefind's own suffixes are binary."""
    suffix = os.path.splitext(rel)[1].lower()
    if suffix in TYPES:
        return TYPES[suffix]
    if suffix.startswith(".pf_"):
        return "application/octet-stream"
    guessed, _ = mimetypes.guess_type(rel, strict=False)
    return guessed or "application/octet-stream"


def cache_control(rel: str, max_age: int = DEFAULT_MAX_AGE) -> str:
    """Cache a year the files named after their content, ``max_age`` seconds everything else.

    Only Pagefind's chunks, filters and metadata, and the folders of a search index in shards, are named by
    content; pages, exports, the theme's static files, Pagefind's entry file and the shard list
    (``pagefind/shards.json``) keep their names when their bytes change, so a long lifetime would show
    readers a stale site (or a Pagefind entry pointing at chunks that are gone).
    """
    if named_by_content(rel):
        return IMMUTABLE
    return f"public, max-age={max_age}"


def redirect_target(rel: str, data: bytes) -> str | None:
    """The URL a resource redirect page (``datasets/r/<id>/index.html``) sends to, from its meta refresh."""
    if not REDIRECT_PAGE.match(rel):
        return None
    found = META_REFRESH.search(data)
    if found is None:
        return None
    url = html.unescape(found.group(1).decode("utf-8", "replace")).strip()
    return url if url.startswith(("http://", "https://", "/")) else None


def object_digest(data_sha256: str, content_type: str, cache_control: str, redirect: str | None) -> str:
    """What the manifest keeps per object: changes when the bytes or any header sent with them change."""
    text = "\0".join((data_sha256, content_type, cache_control, redirect or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def upload_order(obj: LocalObject) -> tuple[int, str]:
    """Content-hashed files first, then other files, HTML pages last: a page never links what is not there."""
    if obj.cache_control == IMMUTABLE:
        rank = 0
    elif obj.rel.endswith(".html"):
        rank = 2
    else:
        rank = 1
    return rank, obj.rel


def make_plan(local: dict[str, LocalObject], remote: dict[str, str], now: int = 0, grace: int = 0) -> Plan:
    """Compare the site with the manifest: new keys, changed digests, keys the site no longer has.

    A vanished file named after its content (a Pagefind chunk) is not deleted at once but *retired* for
    ``grace`` seconds: a reader whose cached ``pagefind-entry.json`` or page is still the previous one (up to
    the CDN's and the browser's ``max-age``) still finds the chunks it points at. A later deploy deletes it.
    """
    new, changed = [], []
    for rel, obj in local.items():
        before = remote.get(rel)
        if before is None:
            new.append(obj)
        elif before != obj.digest:
            changed.append(obj)
    delete, retired = [], {}
    for rel in sorted(remote):
        if rel in local:
            continue
        since = _retired_since(remote[rel])
        if not named_by_content(rel) or (since is not None and now - since >= grace):
            delete.append(rel)
        else:
            retired[rel] = remote[rel] if since is not None else f"-{now}"
    return Plan(new=new, changed=changed, delete=delete, compared=len(local), retired=retired)


def _retired_since(digest: str) -> int | None:
    try:
        return int(digest[1:]) if digest.startswith("-") else None
    except ValueError:
        return None


def encode_manifest(objects: dict[str, str], redirects: str) -> bytes:
    """The manifest's bytes: gzipped JSON, sorted, without a timestamp (the same site gives the same bytes)."""
    document = {"format": MANIFEST_FORMAT, "redirects": redirects, "objects": dict(sorted(objects.items()))}
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return gzip.compress(text, compresslevel=6, mtime=0)


def decode_manifest(data: bytes) -> dict[str, str] | None:
    """The objects of a manifest, or None when it is not one this version wrote (then every file is sent)."""
    try:
        document = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
        return None
    objects = document.get("objects")
    if not isinstance(objects, dict) or not all(isinstance(v, str) for v in objects.values()):
        return None
    return objects


# --- the local site ----------------------------------------------------------------------------------------


StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: what says a file was not rewritten
HashCache = dict[str, tuple[StatKey, str, str | None]]  # rel -> (stat key, sha256 of the bytes, redirect target)
HASH_CACHE_FORMAT = "portal-deploy-hashes/1"
RACY_NS = 2_000_000_000  # a file written this close to the cache could change again within its mtime's tick


def site_files(site: Path) -> list[tuple[str, StatKey]]:
    """Every regular file of the built site (a POSIX path relative to it, and its stat key), sorted.

    One ``lstat`` per file (``os.scandir``); symbolic links are skipped: the build never writes one.
    """
    found: list[tuple[str, StatKey]] = []
    folders: list[tuple[str | Path, str]] = [(site, "")]
    while folders:
        folder, base = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{base}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{rel}/"))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found.append((rel, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
    found.sort()
    return found


def hash_cache_path(site: Path) -> Path:
    """Where the hashes of a site's files are kept between deploys: beside the build's cache, per output."""
    site = Path(site).absolute()
    return site.parent / ".portal-cache" / f"deploy-{hashlib.sha256(str(site).encode()).hexdigest()[:16]}.pickle"


def load_hashes(path: Path) -> tuple[HashCache, int]:
    """The hashes a previous deploy kept and when it wrote them; nothing when the file is absent or foreign."""
    try:
        form, written_ns, hashes = pickle.loads(path.read_bytes())
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return {}, 0
    return (hashes, written_ns) if form == HASH_CACHE_FORMAT and isinstance(hashes, dict) else ({}, 0)


def file_facts(path: str, rel: str) -> tuple[str, str | None]:
    """Read a file: the SHA-256 of its bytes and, for a resource redirect page, its target."""
    with open(path, "rb") as file:
        data = file.read()
    return hashlib.sha256(data).hexdigest(), redirect_target(rel, data)


def scan(
    site: Path,
    redirects: str = "pages",
    max_age: int = DEFAULT_MAX_AGE,
    jobs: int = 8,
    cache_file: Path | None = None,
) -> dict[str, LocalObject]:
    """Every file of the site with its digest.

    With ``cache_file``, a file that has the stat key it had at the last deploy is not read: the build
    rewrites a file only when its bytes change, by a rename (a new inode and mtime). A file written within
    2 s before the cache was saved is read again anyway, as git does (its mtime could hide a second write).
    The others are read and hashed by threads, in batches (reads and hashlib release the GIL).
    """
    known, written_ns = load_hashes(cache_file) if cache_file else ({}, 0)
    files = site_files(site)
    started_ns = time.time_ns()
    base = str(site)
    facts: dict[str, tuple[str, str | None]] = {}
    misses = []
    for rel, key in files:
        entry = known.get(rel)
        if entry is not None and entry[0] == key and key[1] + RACY_NS < written_ns:
            facts[rel] = entry[1], entry[2]
        else:
            misses.append(rel)

    def read(batch: list[str]) -> list[tuple[str, str | None]]:
        return [file_facts(os.path.join(base, rel), rel) for rel in batch]

    batches = [misses[i : i + 256] for i in range(0, len(misses), 256)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for batch, results in zip(batches, pool.map(read, batches), strict=True):
            facts.update(zip(batch, results, strict=True))
    local = {}
    for rel, key in files:
        sha, target = facts[rel]
        ctype, cache = content_type(rel), cache_control(rel, max_age)
        redirect = target if redirects == "s3-website" else None
        digest = object_digest(sha, ctype, cache, redirect)
        local[rel] = LocalObject(rel, os.path.join(base, rel), key[0], ctype, cache, redirect, digest)
    if cache_file is not None and (misses or len(known) != len(files)):
        hashes = {rel: (key, *facts[rel]) for rel, key in files}
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache_file, pickle.dumps((HASH_CACHE_FORMAT, started_ns, hashes), protocol=5))
    return local


# --- the bucket ---------------------------------------------------------------------------------------------


def make_client(target: Target, concurrency: int = 16) -> Any:
    """A boto3 S3 client for the target; credentials come from boto3's usual chain (environment, profile)."""
    import boto3
    import botocore.config
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=target.profile) if target.profile else boto3.Session()
    except botocore.exceptions.BotoCoreError as exc:
        raise DeployError(explain(exc, target)) from None
    config = botocore.config.Config(
        max_pool_connections=max(10, concurrency),
        connect_timeout=10,
        read_timeout=120,
        retries={"mode": "standard", "max_attempts": 4},
        # S3-compatible stores (SeaweedFS, MinIO, R2, Scaleway) do not all take boto3's newer default
        # checksums (CRC trailers on every PUT); Content-MD5 is sent instead (put_object below)
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # a custom endpoint (SeaweedFS, MinIO) rarely has a wildcard DNS name for virtual-hosted buckets
        s3={"addressing_style": "path" if target.endpoint_url else "auto"},
    )
    region = target.region or session.region_name or "us-east-1"
    return session.client("s3", endpoint_url=target.endpoint_url, region_name=region, config=config)


def explain(exc: BaseException, target: Target) -> str:
    """A sentence for an error of the S3 client: what went wrong and what to check, never a traceback."""
    import botocore.exceptions as bx

    where = target.describe()
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            f"no S3 credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, "
            "or name a profile with AWS_PROFILE or --profile"
        )
    if isinstance(exc, bx.ProfileNotFound):
        return f"{exc} (profiles live in ~/.aws/credentials and ~/.aws/config)"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return f"cannot reach the S3 endpoint for {where}: {exc}"
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), error.get("Message", "")
        if code == "NoSuchBucket":
            return f"the bucket {target.bucket!r} does not exist at {target.endpoint_url or 'AWS'} (create it first)"
        if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "Forbidden"}:
            return (
                f"the S3 endpoint refused the credentials for {where} ({code}: {message or 'forbidden'}); check "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or the profile) and the key's rights on the bucket"
            )
        return f"S3 error for {where}: {code} {message}".rstrip()
    return f"S3 error for {where}: {exc}"


class Bucket:
    """The few S3 calls a deploy makes, each turning a client error into a :class:`DeployError`."""

    def __init__(self, client: Any, target: Target):
        self.client = client
        self.target = target

    def _call(self, method: str, **kwargs: Any) -> Any:
        import botocore.exceptions

        try:
            return getattr(self.client, method)(Bucket=self.target.bucket, **kwargs)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise DeployError(explain(exc, self.target)) from None

    def get(self, rel: str) -> bytes | None:
        """The bytes of an object, or None when there is no such key (a missing bucket is an error)."""
        import botocore.exceptions

        try:
            return self.client.get_object(Bucket=self.target.bucket, Key=self.target.key(rel))["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise DeployError(explain(exc, self.target)) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise DeployError(explain(exc, self.target)) from None

    def put_bytes(self, rel: str, data: bytes, content_type: str) -> None:
        self._call(
            "put_object",
            Key=self.target.key(rel),
            Body=data,
            ContentType=content_type,
            CacheControl="no-store",
            ContentMD5=_md5_base64(data),
        )

    def put(self, obj: LocalObject) -> int:
        """Send one file with its headers; the server checks its MD5. Returns the bytes sent."""
        with open(obj.path, "rb") as file:
            data = file.read()
        extra = {"WebsiteRedirectLocation": obj.redirect} if obj.redirect else {}
        self._call(
            "put_object",
            Key=self.target.key(obj.rel),
            Body=data,
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
            ContentMD5=_md5_base64(data),
            **extra,
        )
        return len(data)

    def delete(self, rels: list[str]) -> None:
        """Delete keys in batches of 1,000; a key the server could not delete is an error."""
        for start in range(0, len(rels), DELETE_BATCH):
            batch = rels[start : start + DELETE_BATCH]
            answer = self._call(
                "delete_objects",
                Delete={"Objects": [{"Key": self.target.key(rel)} for rel in batch], "Quiet": True},
            )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise DeployError(
                    f"{len(errors)} object(s) could not be deleted from {self.target.describe()}, "
                    f"e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip()
                )

    def list(self) -> dict[str, int]:
        """Every key below the prefix (relative to it) with its size: only for ``verify``."""
        prefix = normalize_prefix(self.target.prefix)
        found: dict[str, int] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        import botocore.exceptions

        try:
            for page in paginator.paginate(Bucket=self.target.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found[item["Key"][len(prefix) :]] = item["Size"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise DeployError(explain(exc, self.target)) from None
        return found


def _md5_base64(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


# --- the deploy ---------------------------------------------------------------------------------------------


def reconcile(plan: Plan, local: dict[str, LocalObject], listed: dict[str, int]) -> Plan:
    """Correct a manifest-based plan with what the bucket really holds (a LIST): send what is missing or of
    another size, and delete every key below the prefix that the site lacks (the deploy's own files kept)."""
    queued = {obj.rel for obj in plan.new + plan.changed}
    changed = plan.changed + [obj for rel, obj in local.items() if rel not in queued and listed.get(rel) != obj.size]
    keep = {MANIFEST, JOURNAL, *plan.retired}
    delete = sorted(rel for rel in listed if rel not in local and rel not in keep)
    return Plan(new=plan.new, changed=changed, delete=delete, compared=plan.compared, retired=plan.retired)


def deploy(
    site: Path,
    target: Target,
    *,
    dry_run: bool = False,
    verify: bool = False,
    redirects: str = "pages",
    max_age: int = DEFAULT_MAX_AGE,
    concurrency: int = 16,
    use_cache: bool = True,
    now: float | None = None,
    client: Any = None,
    log: Callable[[str], None] | None = None,
) -> DeployResult:
    """Make ``target`` hold exactly the site in ``site``, sending only objects whose bytes or headers changed.

    ``use_cache`` keeps the files' hashes in ``.portal-cache/`` beside the site (:func:`hash_cache_path`), so
    the next deploy reads only the files the build rewrote. ``now`` (Unix seconds, default: the clock) dates the
    retirement of vanished content-named files, deleted ``2 * max_age`` later (:func:`make_plan`). ``client``
    is a boto3 S3 client (default: :func:`make_client`); ``log`` receives progress lines.
    """
    started = time.perf_counter()
    say = log or (lambda _message: None)
    if redirects not in REDIRECT_MODES:
        raise UsageError(f"unknown redirect mode {redirects!r} (one of {', '.join(REDIRECT_MODES)})")
    try:
        built = (site / "index.html").is_file()
    except OSError as exc:  # a path the system cannot look up (too long, a loop...)
        raise UsageError(f"cannot read {site}: {exc.strerror or exc}") from None
    if not built:
        raise UsageError(f"{site} holds no built site (no index.html): run `portal build` first")
    bucket = Bucket(client if client is not None else make_client(target, concurrency), target)
    timings: dict[str, float] = {}

    mark = time.perf_counter()
    manifest = bucket.get(MANIFEST)
    remote = decode_manifest(manifest) if manifest is not None else None
    first = remote is None
    remote = dict(remote or {})
    journal = bucket.get(JOURNAL)
    for rel in _journal_keys(journal):
        remote.setdefault(rel, "")  # sent by an interrupted deploy: unknown digest, so sent again or deleted
    timings["manifest"] = time.perf_counter() - mark

    mark = time.perf_counter()
    cache_file = hash_cache_path(site) if use_cache else None
    local = scan(site, redirects, max_age, jobs=max(2, min(concurrency, 16)), cache_file=cache_file)
    timings["scan"] = time.perf_counter() - mark
    plan = make_plan(local, remote, int(time.time() if now is None else now), grace=2 * max_age)
    if verify:
        mark = time.perf_counter()
        plan = reconcile(plan, local, bucket.list())
        timings["list"] = time.perf_counter() - mark
    result = DeployResult(target, plan, dry_run, first, verified=verify, timings=timings)
    say(
        f"{target.describe()}: {plan.compared} objects compared, {len(plan.new)} new, {len(plan.changed)} "
        f"changed, {len(plan.delete)} to delete, {len(plan.retired)} retired (deleted later)"
    )
    if dry_run:
        result.seconds = time.perf_counter() - started
        return result

    mark = time.perf_counter()
    brand_new = sorted(obj.rel for obj in plan.new if obj.rel not in remote)
    if brand_new:
        bucket.put_bytes(
            JOURNAL, json.dumps(sorted(set(_journal_keys(journal)) | set(brand_new))).encode(), "application/json"
        )
    done: dict[str, str] = {}
    try:
        result.sent, result.sent_bytes = _upload(bucket, plan.upload, concurrency, done, say)
    except DeployError:
        # keep what did arrive, so the next deploy does not send it again; the journal stays for the rest
        if done:
            with contextlib.suppress(DeployError):  # the upload's error is the one to report
                bucket.put_bytes(MANIFEST, encode_manifest({**remote, **done}, redirects), "application/gzip")
        raise
    timings["upload"] = time.perf_counter() - mark

    mark = time.perf_counter()
    bucket.delete(plan.delete)
    result.deleted = len(plan.delete)
    timings["delete"] = time.perf_counter() - mark

    mark = time.perf_counter()
    data = encode_manifest({**plan.retired, **{rel: obj.digest for rel, obj in local.items()}}, redirects)
    if data != manifest:  # a deploy that changed nothing sends nothing
        bucket.put_bytes(MANIFEST, data, "application/gzip")
        result.manifest_bytes = len(data)
    if journal is not None or brand_new:
        bucket.delete([JOURNAL])
    timings["manifest"] += time.perf_counter() - mark
    result.seconds = time.perf_counter() - started
    return result


def _journal_keys(data: bytes | None) -> list[str]:
    if data is None:
        return []
    try:
        keys = json.loads(data)
    except ValueError:
        return []
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def _upload(
    bucket: Bucket,
    objects: list[LocalObject],
    concurrency: int,
    done: dict[str, str],
    say: Callable[[str], None],
) -> tuple[int, int]:
    """Send objects in waves of rank (see :func:`upload_order`), ``concurrency`` at a time; every object is
    tried, then the first failure is raised."""
    sent = sent_bytes = 0
    lock = threading.Lock()
    failures: list[DeployError] = []

    def send(obj: LocalObject) -> None:
        nonlocal sent, sent_bytes
        try:
            size = bucket.put(obj)
        except DeployError as exc:
            with lock:
                failures.append(exc)
            return
        except OSError as exc:  # the file vanished or cannot be read: the site changed under the deploy
            with lock:
                failures.append(DeployError(f"cannot read {obj.path}: {exc.strerror or exc}"))
            return
        with lock:
            done[obj.rel] = obj.digest
            sent += 1
            sent_bytes += size
            if sent % 10_000 == 0:
                say(f"{sent} of {len(objects)} objects sent")

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for wave in _waves(objects):
            list(pool.map(send, wave))
            if failures:
                break
    if failures:
        raise DeployError(f"{len(failures)} object(s) could not be sent; the first: {failures[0]}")
    return sent, sent_bytes


def _waves(objects: Iterable[LocalObject]) -> list[list[LocalObject]]:
    waves: dict[int, list[LocalObject]] = {}
    for obj in objects:
        waves.setdefault(upload_order(obj)[0], []).append(obj)
    return [waves[rank] for rank in sorted(waves)]


def describe(result: DeployResult) -> str:
    """One line saying what a deploy did (or would do)."""
    plan = result.plan
    if result.dry_run:
        return (
            f"dry run for {result.target.describe()}: {plan.compared} objects compared, would send "
            f"{len(plan.new)} new and {len(plan.changed)} changed, delete {len(plan.delete)}"
            + (" (no manifest in the bucket: first deploy)" if result.first else "")
        )
    return (
        f"deployed to {result.target.describe()} in {result.seconds:.1f} s: {plan.compared} objects compared, "
        f"{result.sent} sent ({result.sent_bytes / 1e6:.1f} MB), {result.deleted} deleted, "
        f"{plan.unchanged} unchanged; "
        + (f"manifest {result.manifest_bytes / 1e6:.1f} MB" if result.manifest_bytes else "manifest unchanged")
    )


def changes(plan: Plan) -> list[str]:
    """The dry run's listing: ``+ key`` new, ``~ key`` changed, ``- key`` deleted, in key order."""
    lines = [f"+ {obj.rel}" for obj in plan.new] + [f"~ {obj.rel}" for obj in plan.changed]
    lines += [f"- {rel}" for rel in plan.delete]
    return sorted(lines, key=lambda line: (line[2:], line[0]))
