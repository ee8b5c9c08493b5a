"""``resource_redirects: rules``: host redirect rules instead of a page per resource, applied by a real nginx.

The pages mode (the default) is the reference: the rules must send exactly the addresses its pages send, to
the same URLs, and nothing more (a private dataset's resources have neither).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import files_of

from generator.build import build
from generator.export import redirects

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
PRIVATE_RESOURCE = "af183122-3243-44ab-8cdf-671912ddac3f"  # of diodp's private tableau-de-bord-interne-diodp
ARBRES = "organizations/metropole-val-de-loire/datasets/arbres-alignement.yaml"
META_REFRESH = re.compile(r'http-equiv="refresh" content="0; url=([^"]+)"')


def with_rules(content: Path, base_url: str | None = None) -> Path:
    site_yaml = content / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8") + "resource_redirects: rules\n"
    if base_url:
        text = re.sub(r"(?m)^base_url: .*$", f"base_url: {base_url}", text)
    site_yaml.write_text(text, encoding="utf-8")
    return content


@pytest.fixture
def example(tmp_path: Path) -> Path:
    content = tmp_path / "repo" / "content"
    shutil.copytree(EXAMPLE, content)
    return content


def page_redirects(site: Path) -> dict[str, str]:
    """What the resource pages of a pages-mode build send to: ``/datasets/r/<id>/`` → URL."""
    found = {}
    for page in (site / "datasets" / "r").glob("*/index.html"):
        url = html.unescape(META_REFRESH.search(page.read_text(encoding="utf-8")).group(1))
        found[f"/datasets/r/{page.parent.name}/"] = url
    return found


def netlify_rules(site: Path) -> dict[str, str]:
    lines = (site / redirects.NETLIFY).read_text(encoding="utf-8").splitlines()
    rules = [line.split() for line in lines if not line.startswith("#")]
    assert all(len(fields) == 3 and fields[2] == "302" for fields in rules), rules
    return {path: target for path, target, _ in rules}


def test_rules_send_what_the_pages_send_and_replace_them(example: Path, tmp_path: Path) -> None:
    build(example, tmp_path / "pages")
    pages = page_redirects(tmp_path / "pages")
    assert len(pages) > 20 and f"/datasets/r/{PRIVATE_RESOURCE}/" not in pages
    build(with_rules(example), tmp_path / "rules")
    site = tmp_path / "rules"
    assert not (site / "datasets" / "r").exists()  # no page per resource
    assert netlify_rules(site) == pages
    nginx = (site / redirects.NGINX).read_text(encoding="utf-8")
    entries = dict(re.findall(r'(?m)^"([^"]+)" "([^"]+)";$', nginx))
    assert entries == pages
    assert PRIVATE_RESOURCE not in nginx
    # the rest of the site is the same: the rules replace the pages and add nothing else
    without = {name for name in files_of(tmp_path / "pages") if not name.startswith("datasets/r/")}
    assert set(files_of(site)) - {redirects.NETLIFY, redirects.NGINX} == without


def test_rules_are_under_the_base_path(example: Path, tmp_path: Path) -> None:
    build(with_rules(example, "https://example.org/portal/"), tmp_path / "site")
    paths = netlify_rules(tmp_path / "site")
    assert paths and all(path.startswith("/portal/datasets/r/") for path in paths)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/f.csv?x=1&y=2#p", "https://a.example/f.csv?x=1&y=2#p"),
        ("https://a.example/a b.csv", "https://a.example/a%20b.csv"),
        ('https://a.example/x";return 200 "owned', "https://a.example/x%22;return%20200%20%22owned"),
        ("https://a.example/$host/$request_uri", "https://a.example/%24host/%24request_uri"),
        (
            "https://a.example/x\n/evil https://evil.example 301",
            "https://a.example/x%0A/evil%20https://evil.example%20301",
        ),
        ("https://a.example/caf%C3%A9/é", "https://a.example/caf%C3%A9/%C3%A9"),
        ("ftp://a.example/f.csv", None),
        ("javascript:alert(1)", None),
    ],
)
def test_a_url_cannot_break_out_of_the_rule_files(url: str, expected: str | None) -> None:
    target = redirects.rule_target(url)
    assert target == expected
    if target is not None:
        assert not re.search(r'[\s"$\\{}]', target)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[callable]:
    """Start a real nginx on 127.0.0.1 serving a built site with its map of redirects, as docs/deploy.md says."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    processes = []

    def start(site: Path) -> str:
        port = free_port()
        prefix = tmp_path / f"nginx-{port}"
        (prefix / "logs").mkdir(parents=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            # as root, nginx's workers would run as nobody, who cannot read pytest's temporary folders
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"""daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  map_hash_bucket_size 256;
  map $uri $portal_redirect {{ default ""; include {site}/{redirects.NGINX}; }}
  server {{
    listen 127.0.0.1:{port};
    root {site};
    if ($portal_redirect) {{ return 302 $portal_redirect; }}
  }}
}}
""",
            encoding="utf-8",
        )
        check = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf)], stderr=subprocess.DEVNULL)
        processes.append(process)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)
        raise AssertionError((prefix / "logs" / "error.log").read_text(errors="replace"))

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, str | None]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location")


def test_nginx_applies_the_rules(example: Path, tmp_path: Path, nginx) -> None:
    # a hostile but valid resource URL: nginx must answer it as a literal, not read it as configuration
    dataset = example / ARBRES
    text = dataset.read_text(encoding="utf-8")
    first_url = re.search(r"(?m)^    url: (\S+)$", text).group(1)
    dataset.write_text(text.replace(first_url, "https://files.example/$host/x;y'z.csv", 1), encoding="utf-8")
    build(with_rules(example), tmp_path / "site")
    rules = netlify_rules(tmp_path / "site")
    base = nginx(tmp_path / "site")
    for path, target in rules.items():
        assert fetch(base + path) == (302, target)
    assert "https://files.example/%24host/x;y'z.csv" in rules.values()
    assert fetch(f"{base}/datasets/r/{PRIVATE_RESOURCE}/")[0] == 404
    assert fetch(f"{base}/datasets/")[0] == 200  # the rest of the site is served as before


def test_an_incremental_build_rewrites_the_rules_only_when_a_resource_url_changes(
    example: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(with_rules(example), site)
    before = (site / redirects.NETLIFY).stat().st_mtime_ns
    dataset = example / ARBRES
    dataset.write_text(dataset.read_text(encoding="utf-8").replace("title: Arbres", "title: Les arbres", 1))
    assert build(example, site).incremental
    assert (site / redirects.NETLIFY).stat().st_mtime_ns == before  # a title edit leaves the rules alone
    text = dataset.read_text(encoding="utf-8")
    first_url = re.search(r"(?m)^    url: (\S+)$", text).group(1)
    dataset.write_text(text.replace(first_url, "https://files.example/moved.csv", 1), encoding="utf-8")
    assert build(example, site).incremental
    assert "https://files.example/moved.csv" in netlify_rules(site).values()
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")


def test_switching_modes_incrementally_equals_a_full_build(example: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(example, site)
    assert (site / "datasets" / "r").is_dir()
    assert build(with_rules(example), site).incremental
    build(example, tmp_path / "full", full=True)
    assert files_of(site) == files_of(tmp_path / "full")
    assert not (site / "datasets" / "r").exists()


def test_the_preview_server_applies_the_rules(example: Path, tmp_path: Path) -> None:
    build(with_rules(example), tmp_path / "site")
    path, target = next(iter(netlify_rules(tmp_path / "site").items()))
    assert redirects.lookup(tmp_path / "site", path) == target
    assert redirects.lookup(tmp_path / "site", path.rstrip("/")) == target
    assert redirects.lookup(tmp_path / "site", "/datasets/r/nope/") is None
    assert redirects.lookup(tmp_path / "pages-site-without-rules", path) is None
