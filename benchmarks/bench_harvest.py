"""Harvest a synthetic 10,000-dataset DCAT catalogue (Turtle, 20 Hydra pages) served on 127.0.0.1.

Times the first harvest (every dataset created) and a re-run on the unchanged remote (nothing written but
the job log). Targets: under 60 s and under 20 s.

    .venv/bin/python benchmarks/bench_harvest.py [--datasets 10000] [--pages 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.harvest import run  # noqa: E402

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
"""
FREQUENCIES = ["DAILY", "WEEKLY", "MONTHLY", "ANNUAL", "IRREG"]
LICENSES = [
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "https://opendatacommons.org/licenses/odbl/1-0/",
    "https://creativecommons.org/licenses/by/4.0/",
]


def page(base: str, number: int, pages: int, per_page: int) -> bytes:
    out = [PREFIXES, f'<{base}/catalog.ttl> a dcat:Catalog ; dct:title "Synthetic"@fr .\n']
    view = f"<{base}/catalog.ttl?page={number}> a hydra:PartialCollectionView"
    if number < pages:
        view += f' ; hydra:next "{base}/catalog.ttl?page={number + 1}"'
    out.append(view + " .\n")
    for i in range((number - 1) * per_page, number * per_page):
        uri = f"https://remote.example.org/datasets/{i}"
        out.append(
            f"""<{uri}> a dcat:Dataset ;
  dct:identifier "ds-{i}" ;
  dct:title "Jeu de données numéro {i}"@fr, "Dataset number {i}"@en ;
  dct:description "Description du jeu {i} : des **données** de test."@fr ;
  dcat:keyword "test"@fr, "synthetique"@fr, "lot-{i % 50}"@fr ;
  dct:license <{LICENSES[i % 3]}> ;
  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/{FREQUENCIES[i % 5]}> ;
  dct:issued "2020-01-01"^^xsd:date ;
  dct:modified "2024-06-{1 + i % 28:02d}T08:00:00+02:00"^^xsd:dateTime ;
  dct:temporal [ dcat:startDate "2019-01-01"^^xsd:date ] ;
  dcat:distribution <{uri}/csv>, <{uri}/json> .
<{uri}/csv> a dcat:Distribution ; dct:title "Données (CSV)"@fr ;
  dcat:downloadURL <https://files.example.org/{i}.csv> ; dcat:mediaType "text/csv" ;
  dcat:byteSize "{1000 + i}"^^xsd:decimal ;
  spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha1 ; spdx:checksumValue "{i:040x}" ] .
<{uri}/json> a dcat:Distribution ; dct:title "API"@fr ;
  dcat:accessURL <https://api.example.org/{i}> ; dct:format "JSON" .
"""
        )
    return "".join(out).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    per_page = args.datasets // args.pages
    cache: dict[int, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            number = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            if number not in cache:
                cache[number] = page(base, number, args.pages, per_page)
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(cache[number])))
            self.end_headers()
            self.wfile.write(cache[number])

        def log_message(self, *a: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    for number in range(1, args.pages + 1):  # generate before timing: we time the harvester, not this script
        cache[number] = page(base, number, args.pages, per_page)
    size = sum(len(b) for b in cache.values())
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(ROOT / "tests" / "fixtures" / "minimal" / "content", content)
        harvester = content / "organizations" / "ville-exemple" / "harvesters" / "catalogue.yaml"
        harvester.write_text(f"backend: dcat\nurl: {base}/catalog.ttl\nactive: true\nfrequency: weekly\n")
        print(f"catalogue: {args.datasets} datasets, {args.pages} Turtle pages, {size / 1e6:.1f} MB")
        for label in ("first harvest", "re-run, no remote change"):
            start = time.perf_counter()
            (job,) = run(content, "ville-exemple/catalogue")
            elapsed = time.perf_counter() - start
            written = len([c for c in job.changes.values() if c is not None])
            print(f"{label}: {elapsed:.1f} s, {job.status}, {job.counts}, {written} dataset files written")
    httpd.shutdown()
    httpd.server_close()


if __name__ == "__main__":
    main()
