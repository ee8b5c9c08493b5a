"""Time the exports alone (DCAT in three syntaxes, CSV, JSON API, feeds, sitemap) on a synthetic portal.

    python benchmarks/bench_exports.py [DIR] [--datasets N]

Generates (once) a portal with :mod:`synth` in data.gouv.fr's proportions, loads it and builds the SiteIndex
like ``portal build`` does, then times each export module separately (files are generated in memory, not
written). Prints CPU seconds (process time: steady on a busy machine), files and megabytes per module, and
the cost per dataset.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path(tempfile.gettempdir()) / "portal-bench-exports")
    parser.add_argument("--datasets", type=int, default=5_000)
    args = parser.parse_args()
    scale = args.datasets / 50_000
    content = args.dest / "content"
    if not (content / "site.yaml").is_file():
        from synth import generate

        generate(
            args.dest,
            datasets=args.datasets,
            resources=int(300_000 * scale),
            organizations=max(1, int(5_000 * scale)),
            users=max(1, int(20_000 * scale)),
            reuses=int(5_000 * scale),
            discussions=int(10_000 * scale),
        )
    from generator import export
    from generator.portal import load_portal
    from generator.render import Urls
    from generator.site_index import SiteIndex

    portal, content_dir = load_portal(content)
    urls = Urls.make(portal.site.base_url, portal.site.languages)
    index = SiteIndex(portal, content_dir)
    groups: dict[str, list] = {}
    for unit in export.units(index, urls):  # site-wide files, then one unit per organization, dataset, reuse
        groups.setdefault(unit.name.split("/")[0], []).append(unit)
    total = 0.0
    for name, group in groups.items():
        started = time.process_time()
        count = size = 0
        for unit in group:
            for _path, data in unit.make():
                count += 1
                size += len(data)
        elapsed = time.process_time() - started
        total += elapsed
        print(f"{name:14} {len(group):6} units {elapsed:7.2f} s  {count:7} files  {size / 1e6:8.1f} MB")
    per = total / max(1, len(index.datasets)) * 1e3
    counts = f"{len(index.datasets)} datasets, {index.resource_count} resources"
    print(f"{'total':8} {total:7.2f} s  ({counts}: {per:.2f} ms per dataset)")


if __name__ == "__main__":
    main()
