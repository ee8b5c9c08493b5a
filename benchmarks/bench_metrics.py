"""Time ``portal metrics ingest`` on a synthetic combined-format access log (default: 1,000,000 lines).

    python benchmarks/bench_metrics.py [DIR] [--lines N] [--gzip]

Writes DIR/access.log (a realistic mix: dataset, organization and reuse pages in two languages, resource
redirects, static files, bots, errors, repeated hits, a few malformed lines) and a small content folder,
then times one ingest in a fresh process and checks that a second ingest of the same log counts nothing.
Target: 1,000,000 lines in under 10 s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
MINIMAL = HERE.parent / "tests" / "fixtures" / "minimal" / "content"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from generator.metrics import ingest
t = time.perf_counter()
r = ingest(Path(sys.argv[1]), [Path(sys.argv[2])])
print(json.dumps({"seconds": time.perf_counter() - t, "lines": r.lines, "views": r.views, "downloads": r.downloads,
  "bots": r.bots, "errors": r.errors, "repeated": r.repeated, "malformed": r.malformed, "ignored": r.ignored,
  "already": r.already_ingested, "months": r.months,
  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Mobile Safari/604.1",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
    "python-requests/2.31",
]


def make_log(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    datasets = [f"jeu-{i}" for i in range(5000)]
    resources = [f"res-{i:06d}" for i in range(20000)]
    start = 1_790_000_000  # Sept 2026
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        t = start
        for i in range(lines):
            t += rng.random() * 2.5
            when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(int(t)))
            ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            r = rng.random()
            if r < 0.35:
                path_, status = f"/{'en/' if rng.random() < 0.2 else ''}datasets/{rng.choice(datasets)}/", 200
            elif r < 0.5:
                path_, status = f"/datasets/r/{rng.choice(resources)}/", 200
            elif r < 0.55:
                path_, status = f"/organizations/org-{rng.randrange(300)}/", 200
            elif r < 0.58:
                path_, status = f"/reuses/reuse-{rng.randrange(2000)}/", 200
            elif r < 0.85:
                path_, status = rng.choice(["/static/style.css", "/", "/datasets/?q=bus", "/favicon.ico"]), 200
            elif r < 0.93:
                path_, status = f"/datasets/{rng.choice(datasets)}/", rng.choice([404, 500, 301])
            else:
                path_, status = f"/datasets/{rng.choice(datasets)}/", 200
            agent = rng.choice(BOTS) if r >= 0.93 or rng.random() < 0.05 else rng.choice(AGENTS)
            if i % 10_000 == 0:
                out.write("garbage line that no parser understands\n")
                continue
            out.write(f'{ip} - - [{when}] "GET {path_} HTTP/1.1" {status} {rng.randrange(100, 90000)} "-" "{agent}"\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=Path("/tmp/portal-bench-metrics"))
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--gzip", action="store_true", help="write and read the log gzipped")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    log = args.dir / ("access.log.gz" if args.gzip else "access.log")
    if not log.is_file():
        make_log(log, args.lines)
    content = args.dir / "content"
    shutil.rmtree(content, ignore_errors=True)
    shutil.copytree(MINIMAL, content)

    def run() -> dict:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(content), str(log)],
            check=True,
            capture_output=True,
            text=True,
            cwd=HERE.parent,
        )
        return json.loads(out.stdout)

    first, second = run(), run()
    print(f"first ingest:  {first['lines']:,} lines in {first['seconds']:.2f} s "
          f"({first['lines'] / first['seconds']:,.0f} lines/s, peak {first['max_rss_mib']:.0f} MiB)")  # fmt: skip
    print(f"  counted {first['views']:,} views, {first['downloads']:,} downloads; dropped {first['bots']:,} bots, "
          f"{first['errors']:,} errors, {first['repeated']:,} repeated, {first['malformed']:,} malformed; "
          f"{first['ignored']:,} other; months {', '.join(first['months'])}")  # fmt: skip
    print(f"second ingest of the same log: {second['views'] + second['downloads']} new hits, "
          f"{second['already']:,} lines recognised, {second['seconds']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
