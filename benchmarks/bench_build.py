"""Time a cold ``portal build`` on a synthetic portal (default: data.gouv.fr scale).

    python benchmarks/bench_build.py [DIR] [--datasets N] [--jobs N]

DIR holds (or receives, through :mod:`synth`) a portal; the resources, organizations, users, reuses and
discussions scale with ``--datasets`` in data.gouv.fr's proportions. The build runs in a fresh process
(cold caches, as CI pays it); prints total seconds (validation included), pages and pages/s, and peak
memory of the parent and of the largest worker. Target at full scale: <= 60 s and <= 2 GB on two cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

CHILD = """
import json, resource, sys, time
from generator.build import build
t = time.perf_counter()
result = build(sys.argv[1], sys.argv[2], jobs=int(sys.argv[3]) or None)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "pages": result.pages, "files": result.files,
  "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def ensure_portal(dest: Path, datasets: int) -> Path:
    """The content folder of the synthetic portal in ``dest``, generated first when absent."""
    scale = datasets / 50_000
    content = dest / "content"
    if not (content / "site.yaml").is_file():
        from synth import generate

        generate(
            dest,
            datasets=datasets,
            resources=int(300_000 * scale),
            organizations=max(1, int(5_000 * scale)),
            users=max(10, int(20_000 * scale)),
            reuses=int(5_000 * scale),
            discussions=int(10_000 * scale),
        )
    return content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path(tempfile.gettempdir()) / "portal-bench")
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: all cores)")
    args = parser.parse_args()
    content = ensure_portal(args.dest, args.datasets)
    output = args.dest / "_site"
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(content), str(output), str(args.jobs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    figures = json.loads(run.stdout)
    figures["pages_per_second"] = round(figures["pages"] / figures["seconds"])
    print(json.dumps(figures, indent=2))  # noqa: T201 - a script's output


if __name__ == "__main__":
    main()
