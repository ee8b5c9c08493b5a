"""Round trip: the portal's own DCAT export, harvested into an empty organization, gives back its datasets
and its APIs.

Equal on every field DCAT carries (title, description, license, frequency, temporal and spatial coverage,
tags, dates, contact point, high-value dataset categories, resources with URL, title, format, media type, size,
checksum, dates). Resource ids, resource types other than API, and private datasets are not in the export, by
design. APIs come back with their title, acronym, description, base URL, description document and its kind,
documentation, access type, licence, contact, tags, HVD categories, dates and the datasets they serve (named by
the slugs of the harvested copies); availability, rate limit and access-request page are not in DCAT-AP.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT
from harvest_helpers import Clock, _TextDates, add_harvester, dataservices_of, datasets_of, serve

pytest.importorskip("generator.export.dcat", reason="the DCAT export (generator/export/dcat.py) is not there yet")

from generator import export  # noqa: E402
from generator.cli import main  # noqa: E402
from generator.harvest import run  # noqa: E402
from generator.harvest.fetch import Fetcher  # noqa: E402
from generator.validate import validate  # noqa: E402
from generator.vocabularies import hvd_codes  # noqa: E402

MIRROR = "miroir"
EXPORTED_FREQUENCIES_WITHOUT_EU_CODE = {"fourTimesADay", "threeTimesADay", "fourTimesAWeek"}  # exported as OTHER
# formats the export writes with the EU file type of another format (one EU code for both)
EXPORTED_AS = {"tif": "tiff", "jpg": "jpeg", "yml": "yaml", "csv.gz": "csv"}


def _instant(value: str | None):
    if value is None or len(value) == 10:
        return value
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _resource(resource: dict) -> dict:
    kept = {k: v for k, v in resource.items() if k not in ("id", "type", "checksum")}
    kept["api"] = resource["type"] == "api"
    kept["format"] = EXPORTED_AS.get(kept["format"], kept["format"])
    if "description" in kept:
        kept["description"] = kept["description"].strip()
    if resource.get("checksum", {}).get("type") == "sha1":  # DCAT-AP 2.1.1 carries SHA-1 only
        kept["checksum"] = resource["checksum"]
    for key in ("created", "last_modified"):
        if key in kept:
            kept[key] = _instant(kept[key])
    return kept


def comparable(data: dict) -> dict:
    out = {k: data.get(k) for k in ("title", "description", "license", "temporal_coverage", "tags")}
    out["description"] = (out["description"] or "").strip()
    out["tags"] = sorted(out["tags"] or [])
    frequency = data.get("frequency")
    out["frequency"] = None if frequency in EXPORTED_FREQUENCIES_WITHOUT_EU_CODE else frequency
    out["zones"] = sorted((data.get("spatial") or {}).get("zones", []))
    out["created"] = data["created"]
    out["last_modified"] = _instant(data["last_modified"])
    out["email"] = (data.get("contact_point") or {}).get("email")
    out["hvd_categories"] = sorted(hvd_codes(data.get("hvd_categories", [])))  # the file may hold URIs
    out["resources"] = sorted((_resource(r) for r in data.get("resources", [])), key=lambda r: (r["url"], r["title"]))
    return out


SERVICE_FIELDS = (
    "title",
    "acronym",
    "base_api_url",
    "endpoint_description",
    "documentation_url",
    "access_type",
    "license",
    "tags",
    "hvd_categories",
    "created",
    "last_modified",
)


def comparable_service(data: dict, datasets: dict[str, str]) -> dict:
    """An API's fields that DCAT carries; ``datasets`` names the served datasets (copy slug -> original slug)."""
    out = {k: data.get(k) for k in SERVICE_FIELDS}
    out["description"] = data["description"].strip()
    out["tags"] = sorted(out["tags"] or [])
    out["hvd_categories"] = sorted(hvd_codes(data.get("hvd_categories", [])))
    out["email"] = (data.get("contact_point") or {}).get("email")
    out["datasets"] = sorted(datasets.get(slug, slug) for slug in data.get("datasets", []))
    return out


@pytest.mark.parametrize("page", [None, 10], ids=["one-document", "paged"])
def test_own_dcat_export_harvests_back_to_equal_datasets(tmp_path: Path, runner, monkeypatch, page) -> None:
    """Every syntax of the export harvests back; paged (Hydra links between pages) as well as whole."""
    if page is not None:
        monkeypatch.setattr(export, "CATALOG_PAGE", page)
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    for harvesters in content.glob("organizations/*/harvesters"):
        shutil.rmtree(harvesters)
    mirror = content / "organizations" / MIRROR
    mirror.mkdir()
    admin = next(p.stem for p in sorted((content / "users").glob("*.yaml")))
    (mirror / "organization.yaml").write_text(
        f"name: Miroir\ndescription: Harvests the portal itself.\ncreated: 2026-01-01\n"
        f"members:\n  - user: {admin}\n    role: admin\n    since: 2026-01-01\n"
    )
    originals = {}
    for path in sorted(content.glob("*/*/datasets/*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
        if not data.get("private"):
            originals[path.stem] = data
    services = {}
    for path in sorted(content.glob("*/*/dataservices/*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDates)
        if not data.get("private"):
            services[path.stem] = data
    assert len(services) == 3
    with serve() as server:
        server.roots["/site/"] = tmp_path / "site"
        # built for the server's address: the pages of a paged catalogue link to each other by absolute URL
        build = ["build", "--content", str(content), "--output", str(tmp_path / "site")]
        result = runner.invoke(main, [*build, "--base-url", server.url("/site/")])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "site/catalog/2.ttl").is_file() == (page is not None)
        for fmt in ("ttl", "rdf", "jsonld"):
            add_harvester(content, MIRROR, f"export-{fmt}", backend="dcat", url=server.url(f"/site/catalog.{fmt}"))
            client = Fetcher(retries=0, sleep=lambda s: None)
            (job,) = run(content, f"{MIRROR}/export-{fmt}", now=Clock(), fetcher=client)
            client.close()
            assert job.status == "done", (fmt, job.error, [i.error for i in job.items if i.error][:5])
            assert job.counts["created"] == len(originals)
            copies = {
                d["harvest"]["remote_uri"].rstrip("/").rsplit("/", 1)[-1]: d
                for d in datasets_of(content, MIRROR).values()
                if d["harvest"]["source"] == f"export-{fmt}"
            }
            assert sorted(copies) == sorted(originals)
            for slug, original in originals.items():
                copy = comparable(copies[slug])
                if not original.get("contact_point"):  # the export names the organization's contact instead
                    copy["email"] = None
                assert copy == comparable(original), (
                    fmt,
                    slug,
                    [r for r in copy["resources"] if r not in comparable(original)["resources"]],
                )
            for copy in copies.values():
                assert "unmapped" not in copy["harvest"] or set(copy["harvest"]["unmapped"]) <= {"frequency"}
            # the APIs, serving the harvested copies of their datasets
            assert job.service_counts["created"] == len(services)
            original_slug = {
                slug: d["harvest"]["remote_uri"].rstrip("/").rsplit("/", 1)[-1]
                for slug, d in datasets_of(content, MIRROR).items()
                if d["harvest"]["source"] == f"export-{fmt}"
            }
            apis = {
                d["harvest"]["remote_uri"].rstrip("/").rsplit("/", 1)[-1]: d
                for d in dataservices_of(content, MIRROR).values()
                if d["harvest"]["source"] == f"export-{fmt}"
            }
            assert sorted(apis) == sorted(services)
            for slug, original in services.items():
                copy = comparable_service(apis[slug], original_slug)
                assert set(apis[slug]["datasets"]) <= set(original_slug), "served by the copies"
                if not original.get("contact_point"):  # the export names the organization's contact instead
                    copy["email"] = None
                assert copy == comparable_service(original, {}), (fmt, slug)
                assert "unmapped" not in apis[slug]["harvest"], apis[slug]["harvest"]
    assert [p.as_text() for p in validate(content).problems] == []
