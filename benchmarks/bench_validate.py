"""Time a cold ``portal validate`` on a synthetic portal (default: data.gouv.fr scale).

    python benchmarks/bench_validate.py [DIR] [--datasets N]

DIR holds (or receives) a portal from :mod:`synth`. Prints wall time, per-file cost, the serial vs
parallel ratio, and peak memory of the parent and of the largest worker. Each run is a fresh process
(cold: no compiled validator, no warmed caches), so the figures are what CI pays.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

CHILD = """
import json, resource, sys, time
from generator.validate import validate
t = time.perf_counter()
result = validate(sys.argv[1], jobs=int(sys.argv[2]) if sys.argv[2] != '0' else None, keep_data=False)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "files": len(result.entries), "problems": len(result.problems),
  "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(content: Path, jobs: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(content), str(jobs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=Path("/tmp/portal-bench"))
    parser.add_argument("--datasets", type=int, default=50_000)
    args = parser.parse_args()
    content = args.dir / "content"
    if not content.is_dir():
        sys.path.insert(0, str(HERE))
        from synth import generate

        scale = args.datasets / 50_000
        generate(
            args.dir,
            datasets=args.datasets,
            resources=int(300_000 * scale),
            organizations=max(1, int(5_000 * scale)),
            users=max(2, int(20_000 * scale)),
            reuses=int(5_000 * scale),
            discussions=int(10_000 * scale),
        )
    serial = run(content, 1)
    parallel = run(content, 0)
    files = parallel["files"]
    print(f"portal validate, {files} files ({args.datasets} datasets), problems found: {parallel['problems']}")
    print(f"  all cores : {parallel['seconds']:.2f} s  ({parallel['seconds'] / files * 1000:.3f} ms/file)")
    print(f"  one core  : {serial['seconds']:.2f} s  ({serial['seconds'] / files * 1000:.3f} ms/file)")
    print(f"  speed-up  : {serial['seconds'] / parallel['seconds']:.2f}x")
    print(f"  peak RSS  : parent {parallel['parent_mib']:.0f} MiB, largest worker {parallel['child_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
