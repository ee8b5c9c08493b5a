"""Where a build's peak memory sits: the PSS of each process of its tree, over time.

    python benchmarks/bench_memory.py CONTENT OUTPUT [--warm] [--interval 0.5] [--json OUT]

Runs ``portal build`` (cold unless ``--warm``: the output and ``.portal-cache/`` are removed first) and samples
``/proc/PID/smaps_rollup`` of every process of its tree. Each process is put in a group: the build process
itself (``main``: the model, the build state, the page list), the pool workers it forks (``workers``: they
share the parent's pages until they write to them), the Pagefind runs (``pagefind``) and anything else
(``other``: the detached ``rm`` of a previous site). It prints the peak of the tree's PSS with each group's
share at that moment, each group's own peak, and a timeline (the tree's PSS and the groups' at each tenth of
the run), which says which phase the peak belongs to. ``run_all.py`` gives the peak alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from run_all import portal_command, rollup, tree_pids  # noqa: E402 - after the path is set

GROUPS = ("main", "workers", "pagefind", "other")


def _group(pid: int, root: int) -> str:
    if pid == root:
        return "main"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ")
    except OSError:
        return "other"
    if b"pagefind" in command:
        return "pagefind"
    return "workers" if b"python" in command or b"portal" in command else "other"


def sample(root: int) -> dict[str, int]:
    """PSS in KiB of each group of ``root``'s tree, now."""
    found = dict.fromkeys(GROUPS, 0)
    for pid in tree_pids(root):
        found[_group(pid, root)] += rollup(pid)[1]
    return found


def run(command: list[str], interval: float) -> tuple[float, list[tuple[float, dict[str, int]]]]:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[float, dict[str, int]]] = []
    waiter = threading.Thread(target=proc.wait)
    waiter.start()
    while waiter.is_alive():
        samples.append((time.perf_counter() - started, sample(proc.pid)))
        waiter.join(interval)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {proc.returncode}")
    return time.perf_counter() - started, samples


def summary(seconds: float, samples: list[tuple[float, dict[str, int]]]) -> dict:
    mib = lambda kib: round(kib / 1024)  # noqa: E731
    at, peak = max(samples, key=lambda s: sum(s[1].values()))
    timeline = []
    for tenth in range(1, 11):
        window = [s for s in samples if (tenth - 1) * seconds / 10 <= s[0] < tenth * seconds / 10]
        if window:
            t, top = max(window, key=lambda s: sum(s[1].values()))
            row = {"at_s": round(t, 1), "tree_mib": mib(sum(top.values()))}
            timeline.append(row | {g: mib(top[g]) for g in GROUPS})
    return {
        "seconds": round(seconds, 1),
        "peak_tree_pss_mib": mib(sum(peak.values())),
        "peak_at_s": round(at, 1),
        "peak_by_group_mib": {g: mib(peak[g]) for g in GROUPS},
        "group_peaks_mib": {g: mib(max(s[1][g] for s in samples)) for g in GROUPS},
        "timeline": timeline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--warm", action="store_true", help="keep the output and .portal-cache/ (a rebuild)")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not args.warm:
        for folder in (args.output, args.content.absolute().parent / ".portal-cache"):
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    command = [*portal_command(), "build", "--content", str(args.content), "--output", str(args.output)]
    found = summary(*run(command, args.interval))
    print(f"{found['seconds']} s; peak PSS of the tree {found['peak_tree_pss_mib']:,} MiB at {found['peak_at_s']} s:")
    print("  at the peak: " + ", ".join(f"{g} {v:,} MiB" for g, v in found["peak_by_group_mib"].items()))
    print("  each group's own peak: " + ", ".join(f"{g} {v:,} MiB" for g, v in found["group_peaks_mib"].items()))
    print("| s | tree MiB | " + " | ".join(GROUPS) + " |")
    print("|---:|---:|" + "---:|" * len(GROUPS))
    for row in found["timeline"]:
        print(f"| {row['at_s']} | {row['tree_mib']:,} | " + " | ".join(f"{row[g]:,}" for g in GROUPS) + " |")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
