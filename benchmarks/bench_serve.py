"""What ``portal serve`` does after a one-dataset edit: rebuild with a warm :class:`generator.build.Builder`.

    .venv/bin/python benchmarks/bench_serve.py CONTENT OUTPUT [--json OUT] [--profile N]

A warm builder is one that has built once already, so its file cache and build state are in memory (serve
keeps one for its whole session). The script builds once (not timed: incremental when OUTPUT was built from
CONTENT before), appends a word to the title of a typical dataset (as ``run_all.py`` does), gives the builder
that file's path (as serve's file watcher does: a quick rebuild, :mod:`generator.quick`), times the
rebuild (until the pages are in place, then until the work it leaves to the background thread is done),
restores the file and times that rebuild too. ``--profile N`` prints the N costliest functions of the edit's rebuild
(cumulative time, cProfile): where the time of an incremental rebuild goes. Target (issue 9): < 1 s at 50,000
datasets.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build import Builder  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_all import edit_one_dataset  # noqa: E402  (the same edit as run_all's rebuild step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    builder = Builder(args.content, args.output, warm=True)  # as portal serve makes it
    started = time.perf_counter()
    first = builder.build()
    print(f"warm-up build: {time.perf_counter() - started:.2f} s (incremental: {first.incremental})", flush=True)
    figures = {}
    path, original = edit_one_dataset(args.content)
    try:
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = builder.build(changed=[path])  # what portal serve's file watcher reports
        if profiler:
            profiler.disable()
        figures["edit"] = time.perf_counter() - started
        figures["edit_rendered"], figures["edit_written"] = result.rendered, result.written
        figures["edit_quick"] = result.quick
        builder.wait_for_search()
        figures["edit_search"] = time.perf_counter() - started
    finally:
        path.write_text(original, encoding="utf-8")
    started = time.perf_counter()
    result = builder.build(changed=[path])
    builder.wait_for_search()
    figures["restore"] = time.perf_counter() - started
    print(
        f"edit {path.name}: pages in place after {figures['edit']:.2f} s ({figures['edit_rendered']} pages "
        f"rendered, {figures['edit_written']} files written), search index after {figures['edit_search']:.2f} s; "
        f"restored (with its search index) in {figures['restore']:.2f} s",
        flush=True,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
