"""What ``portal serve`` does after a one-dataset edit: rebuild with a warm :class:`generator.build.Builder`.

    .venv/bin/python benchmarks/bench_serve.py CONTENT OUTPUT [--json OUT] [--profile N]

A warm builder is one that has built once already, so its file cache and build state are in memory (serve
keeps one for its whole session). The script builds once (not timed: incremental when OUTPUT was built from
CONTENT before), appends a word to the title of the first dataset file, times the rebuild, restores the file
and times that rebuild too. ``--profile N`` prints the N costliest functions of the edit's rebuild
(cumulative time, cProfile): where the time of an incremental rebuild goes. Target (issue 9): < 1 s at 50,000
datasets.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build import Builder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    builder = Builder(args.content, args.output)
    started = time.perf_counter()
    first = builder.build()
    print(f"warm-up build: {time.perf_counter() - started:.2f} s (incremental: {first.incremental})", flush=True)
    path = min((args.content / "organizations").glob("*/datasets/*.yaml"))
    original = path.read_text(encoding="utf-8")
    edited = re.sub(r"^title: (.*)$", r"title: \1 (modifié)", original, count=1, flags=re.M)
    figures = {}
    try:
        path.write_text(edited, encoding="utf-8")
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = builder.build()
        if profiler:
            profiler.disable()
        figures["edit"] = time.perf_counter() - started
        figures["edit_rendered"], figures["edit_written"] = result.rendered, result.written
    finally:
        path.write_text(original, encoding="utf-8")
    started = time.perf_counter()
    result = builder.build()
    figures["restore"] = time.perf_counter() - started
    print(
        f"edit {path.name}: rebuilt in {figures['edit']:.2f} s ({figures['edit_rendered']} pages rendered, "
        f"{figures['edit_written']} files written); restored in {figures['restore']:.2f} s",
        flush=True,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
