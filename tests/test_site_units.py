"""Pure parts of the site: quality criteria, vocabularies, catalogs, formatting."""

from __future__ import annotations

import datetime as dt

import pytest

from generator import i18n
from generator.model import Dataset, Resource
from generator.quality import quality, reference_date
from generator.vocabularies import FREQUENCIES, LICENSES, frequency_label


def dataset(**changes) -> Dataset:
    data = dict(
        slug="d",
        owner=("organization", "o"),
        path="organizations/o/datasets/d.yaml",
        title="D",
        description="x" * 101,
        license="etalab-2.0",
        created="2020-01-01",
        last_modified="2024-03-01",
        frequency="monthly",
        temporal_coverage={"start": "2020-01-01"},
        spatial={"granularity": "country"},
        resources=[Resource(id="r1", title="R", url="https://e.org/r.csv", type="main", format="csv", description="d")],
    )
    return Dataset(**{**data, **changes})


def test_a_complete_dataset_scores_full_with_availability_unknown() -> None:
    q = quality(dataset(), dt.date(2024, 3, 5))
    assert q.missing == [] and q.unknown == ["resources_available"] and q.score == 1.0


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"license": "notspecified"}, "license"),
        ({"temporal_coverage": None}, "temporal_coverage"),
        ({"spatial": None}, "spatial"),
        ({"frequency": "unknown"}, "frequency"),
        ({"description": "short"}, "description"),
        (
            {"resources": [Resource(id="r1", title="R", url="https://e.org/r.pdf", type="main", format="pdf")]},
            "open_format",
        ),
        (
            {"resources": [Resource(id="r1", title="R", url="https://e.org/r.csv", type="main", format="csv")]},
            "resources_documented",
        ),
        ({"resources": []}, "resources_available"),
    ],
)
def test_each_criterion(changes: dict, missing: str) -> None:
    assert missing in quality(dataset(**changes), dt.date(2024, 3, 5)).missing


def test_late_is_judged_against_the_reference_date_with_one_day_of_grace() -> None:
    monthly = dataset(last_modified="2024-01-01")  # due 2024-02-01, grace until 2024-02-02
    assert quality(monthly, dt.date(2024, 2, 2)).criteria["update_in_time"] is True
    assert quality(monthly, dt.date(2024, 2, 3)).criteria["update_in_time"] is False
    assert quality(dataset(frequency="punctual"), dt.date(2030, 1, 1)).criteria["update_in_time"] is True


def test_reference_date_is_the_newest_last_modified() -> None:
    ds = [dataset(last_modified="2024-03-01T10:00:00+01:00"), dataset(last_modified="2023-01-01")]
    assert reference_date(ds) == dt.date(2024, 3, 1)


def test_vocabularies_cover_the_schema_enums() -> None:
    import json

    from conftest import PROJECT

    schema = json.loads((PROJECT / "schemas" / "dataset.schema.json").read_text())
    assert set(schema["properties"]["license"]["enum"]) == set(LICENSES)
    assert set(schema["properties"]["frequency"]["enum"]) == set(FREQUENCIES)
    assert frequency_label("monthly", "fr") == "Mensuelle"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalogs_are_complete(language: str) -> None:
    catalog = i18n.read_catalog(language)
    for message in i18n.extract():
        if not message.id:
            continue  # the header
        assert message.id in catalog, f"{message.id!r} missing from {language} (python -m generator.i18n)"
        string = catalog[message.id].string
        assert all(string) if isinstance(string, tuple) else string, f"{message.id!r} untranslated in {language}"


def test_formats_follow_the_locale() -> None:
    assert i18n.format_date("2024-03-01T10:00:00+01:00", "fr") == "1 mars 2024"
    assert i18n.format_date("2024-03-01", "en") == "1 March 2024"
    assert i18n.format_number(12345, "fr") == "12\u202f345"
    assert i18n.format_filesize(1_500_000, "fr") == "1,5\u00a0Mo"
    assert i18n.format_filesize(999, "en") == "999\u00a0B"
