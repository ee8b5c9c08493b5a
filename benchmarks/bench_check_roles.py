"""Time ``portal check-roles`` on a pull request at data.gouv.fr scale.

Builds (with one ``git fast-import``, no working tree) a content repository of 50,000 dataset files in 50
organizations with 500 users, then a pull request of 200 commits by 50 different editors touching 2,000
dataset files, and times the check of base..head. Target: under 5 s.

Two forms of the check: GitHub's (head contains base) and GitLab's, where the target branch has moved on since
the pull request forked (a maintainer's commit on 500 other datasets): the checker then judges git's merge
of head into the target (``merge-tree``) with the target's rights.

    .venv/bin/python benchmarks/bench_check_roles.py [--datasets 50000] [--commits 200] [--files 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.policy import Options, check_roles  # noqa: E402

ORGS, USERS = 50, 500
DATASET = """title: Jeu de données {n}
description: |
  Données numéro {n} de l'organisation {org}, révision {rev}.
license: etalab-2.0
created: 2020-01-01
last_modified: 2024-06-01
tags: [transport, budget]
resources:
  - id: res-{n:08d}-{rev}
    title: Fichier {n}
    url: https://data.example.org/files/{n}.csv
    type: main
    format: csv
"""


def _file(out: list[bytes], path: str, text: str) -> None:
    data = text.encode()
    out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")


def _commit(out: list[bytes], mark: int, who: int, stamp: int, parent: int | None, ref: str = "main") -> None:
    person = f"user{who:03d} <user{who:03d}@example.org> {stamp} +0000"
    message = f"change {mark}".encode()
    out.append(f"commit refs/heads/{ref}\nmark :{mark}\nauthor {person}\ncommitter {person}\n".encode())
    out.append(f"data {len(message)}\n".encode() + message + b"\n")
    if parent is not None:
        out.append(f"from :{parent}\n".encode())


def build(repo: Path, datasets: int, commits: int, files: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    out: list[bytes] = []
    _commit(out, 1, 0, 1_700_000_000, None)
    _file(
        out,
        "content/site.yaml",
        "title: Bench\ndescription: x\nbase_url: https://x.org/\nlanguages: [fr]\n"
        "maintainers: [user000]\nbots: [user499]\n",
    )
    for u in range(USERS):
        _file(out, f"content/users/user{u:03d}.yaml", f"name: User {u}\nemails: [user{u:03d}@example.org]\n")
    per_org = datasets // ORGS
    for o in range(ORGS):
        # user 1+o is admin, users 51+o.. are editors
        members = f"  - user: user{1 + o:03d}\n    role: admin\n    since: 2020-01-01\n"
        members += f"  - user: user{51 + o:03d}\n    role: editor\n    since: 2020-01-01\n"
        _file(
            out,
            f"content/organizations/org{o:02d}/organization.yaml",
            f"name: Org {o}\ndescription: x\ncreated: 2020-01-01\nmembers:\n{members}",
        )
        for d in range(per_org):
            n = o * per_org + d
            _file(out, f"content/organizations/org{o:02d}/datasets/d{n:06d}.yaml", DATASET.format(n=n, org=o, rev=0))
    per_commit = files // commits
    for c in range(commits):
        o = c % ORGS
        _commit(out, 2 + c, 51 + o, 1_700_000_100 + c, 1 + c)
        for k in range(per_commit):
            n = o * per_org + (c // ORGS) * per_commit + k
            path = f"content/organizations/org{o:02d}/datasets/d{n:06d}.yaml"
            _file(out, path, DATASET.format(n=n, org=o, rev=c + 1))
    # the target moves on after the fork: a maintainer edits 500 datasets the pull request does not touch
    _commit(out, 2 + commits, 0, 1_700_100_000, 1, ref="target")
    for n in range(datasets - 500, datasets):
        path = f"content/organizations/org{n // per_org:02d}/datasets/d{n:06d}.yaml"
        _file(out, path, DATASET.format(n=n, org=n // per_org, rev="target"))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--files", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-roles-") as tmp:
        repo = Path(tmp)
        started = time.perf_counter()
        build(repo, args.datasets, args.commits, args.files)
        print(f"built {args.datasets} datasets + {args.commits} commits in {time.perf_counter() - started:.1f} s")
        base = subprocess.run(
            ["git", "rev-parse", "main~" + str(args.commits)], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        ok = True
        for form, target in (("head contains base (GitHub)", base), ("the target moved on (GitLab)", "target")):
            started = time.perf_counter()
            report = check_roles(repo, target, "main", Options())
            elapsed = time.perf_counter() - started
            print(
                f"check-roles, {form}: {report.commits} commits, {report.changes} changes, "
                f"{len(report.violations)} violation(s) in {elapsed:.2f} s (target < 5 s)"
            )
            if not report.ok:
                print("\n".join(v.as_text() for v in report.violations[:5]))
            ok = ok and report.ok and elapsed < 5
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
