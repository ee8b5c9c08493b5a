"""The mapping tables: licenses, frequencies, formats, dates, checksums and slugs."""

from __future__ import annotations

import pytest

from generator import geometry
from generator.harvest.mapping import (
    checksum,
    date_value,
    file_format,
    map_frequency,
    map_license,
    media_type,
    slugify,
    zone,
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["https://www.etalab.gouv.fr/licence-ouverte-open-licence/"], ("etalab-2.0", None)),
        # Etalab's PDF, as Opendatasoft publishes it
        (
            ["https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf"],
            ("etalab-2.0", None),
        ),
        (["http://creativecommons.org/licenses/by/4.0/legalcode"], ("cc-by-4.0", None)),
        (["https://creativecommons.org/licenses/by/4.0/deed.fr"], ("cc-by-4.0", None)),
        (["https://creativecommons.org/licenses/by/4.0/legalcode.de"], ("cc-by-4.0", None)),
        (["http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"], ("cc-by-4.0", None)),
        (["https://spdx.org/licenses/CC-BY-SA-4.0.html"], ("cc-by-sa-4.0", None)),
        (["http://www.opendefinition.org/licenses/odc-odbl"], ("odc-odbl", None)),
        (["cc-zero"], ("cc0-1.0", None)),
        (["odc-odbl"], ("odc-odbl", None)),
        (["lov2"], ("etalab-2.0", None)),  # data.gouv.fr's id
        (["fr-lo"], ("lov1", None)),
        (["https://creativecommons.org/publicdomain/zero/1.0/"], ("cc0-1.0", None)),
        (
            ["http://www.usa.gov/publicdomain/label/1.0/"],
            ("other-pd", {"url": "http://www.usa.gov/publicdomain/label/1.0/"}),
        ),
        # another CC version is not ours: its family, and the source's own value kept
        (
            ["http://creativecommons.org/licenses/by/3.0/"],
            ("other-at", {"url": "http://creativecommons.org/licenses/by/3.0/"}),
        ),
        (["Other (Open)"], ("other-open", None)),
        ([], ("notspecified", None)),
        (
            ["http://dcat-ap.de/def/licenses/dl-by-de/2.0"],
            ("other", {"url": "http://dcat-ap.de/def/licenses/dl-by-de/2.0"}),
        ),
        # never a path segment: an unknown site's .../cc-by or .../licenses/other is no license of ours
        (["https://example.org/licenses/cc-by"], ("other", {"url": "https://example.org/licenses/cc-by"})),
        (
            ["other-closed-thing", "https://example.org/licenses/other"],
            ("other", {"title": "other-closed-thing", "url": "https://example.org/licenses/other"}),
        ),
        (["unknown-thing", "cc-by"], ("cc-by-4.0", None)),
    ],
)
def test_licenses(values, expected) -> None:
    assert map_license(values) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://publications.europa.eu/resource/authority/frequency/WEEKLY", ("weekly", None)),
        ("http://publications.europa.eu/resource/authority/frequency/ANNUAL_2", ("semiannual", None)),
        ("http://purl.org/cld/freq/quarterly", ("quarterly", None)),
        ("R/P1D", ("daily", None)),
        ("R/P0.33W", ("threeTimesAWeek", None)),
        ("R/P1W", ("weekly", None)),  # data.json's accrualPeriodicity
        ("R/P7D", ("weekly", None)),  # the same period written in days
        ("R/P12M", ("annual", None)),
        ("R/PT24H", ("daily", None)),
        ("P1Y", ("annual", None)),  # a bare duration
        ("R/P10Y", ("unknown", "R/P10Y")),
        ("monthly", ("monthly", None)),
        ("fourTimesADay", ("fourTimesADay", None)),
        ("every full moon", ("unknown", "every full moon")),
        (None, (None, None)),
    ],
)
def test_frequencies(value, expected) -> None:
    assert map_frequency(value) == expected


def test_formats_and_media_types() -> None:
    assert file_format("http://publications.europa.eu/resource/authority/file-type/CSV", None, None) == "csv"
    assert file_format("http://publications.europa.eu/resource/authority/file-type/RDF_TURTLE", None, None) == "ttl"
    assert file_format("text/csv", None, None) == "csv"
    assert file_format("Esri REST", None, None) == "esri-rest"
    assert file_format(None, "application/geo+json", None) == "geojson"
    assert file_format(None, None, "https://x.example.org/data/file.XLSX") == "xlsx"
    assert file_format(None, None, "https://x.example.org/api") is None
    assert media_type("https://www.iana.org/assignments/media-types/text/csv") == "text/csv"
    assert media_type("text/csv; charset=utf-8") == "text/csv"
    assert media_type("CSV") is None


def test_checksums() -> None:
    sha1 = "a" * 40
    assert checksum("http://spdx.org/rdf/terms#checksumAlgorithm_sha1", sha1.upper()) == {"type": "sha1", "value": sha1}
    assert checksum(None, "b" * 32) == {"type": "md5", "value": "b" * 32}
    assert checksum("http://spdx.org/rdf/terms#checksumAlgorithm_sha256", "abc") is None
    assert checksum(None, "") is None


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("2024-03-01", {}, "2024-03-01"),
        ("2024-03-01T10:00:00+01:00", {}, "2024-03-01T10:00:00+01:00"),
        ("2024-03-01T10:00:00Z", {}, "2024-03-01T10:00:00Z"),
        ("2016-12-15T09:19:51.723691", {}, "2016-12-15"),  # no offset: the date only, no guessed zone
        ("2024-03-01T10:00:00+01:00", {"date_only": True}, "2024-03-01"),
        ("2020", {}, "2020-01-01"),
        ("2020", {"end": True}, "2020-12-31"),
        ("2020-02", {"end": True}, "2020-02-29"),
        ("2020-99-99", {}, None),
        ("not a date", {}, None),
    ],
)
def test_dates(value, kwargs, expected) -> None:
    assert date_value(value, **kwargs) == expected


def test_slugs_and_zones() -> None:
    assert slugify("Badegewässer in Hamburg: Straßen") == "badegewasser-in-hamburg-strassen"
    assert slugify("規管海外物業銷售") == ""
    long = slugify("mot " * 40)
    assert len(long) <= 80 and not long.endswith("-")
    assert zone("https://data.example.org/zones/fr:commune:45234") == "fr:commune:45234"
    assert zone("http://publications.europa.eu/resource/authority/country/FRA") == "country:fr"
    assert zone("Hamburg") is None


@pytest.mark.parametrize(
    ("value", "bbox", "wkt"),
    [
        (
            "POLYGON((2.2 48.8,2.4 48.8,2.4 48.9,2.2 48.8))",
            (2.2, 48.8, 2.4, 48.9),
            "POLYGON((2.2 48.8,2.4 48.8,2.4 48.9,2.2 48.8))",
        ),
        # GeoSPARQL's CRS prefix; EPSG:4326 is latitude first: swapped to longitude first
        (
            "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(48.85 2.35)",
            (2.35, 48.85, 2.35, 48.85),
            "POINT(2.35 48.85)",
        ),
        ("<http://www.opengis.net/def/crs/EPSG/0/2154> POINT(652000 6862000)", None, None),  # projected: not read
        (
            '{"type": "Point", "coordinates": [1.26639, 41.12386]}',
            (1.26639, 41.12386, 1.26639, 41.12386),
            "POINT(1.26639 41.12386)",
        ),
        (
            '<gml:Envelope srsName="http://www.opengis.net/def/crs/OGC/1.3/CRS84"><gml:lowerCorner>-31.285 27.642'
            "</gml:lowerCorner><gml:upperCorner>34.099 70.075</gml:upperCorner></gml:Envelope>",
            (-31.285, 27.642, 34.099, 70.075),
            None,
        ),
        ("1.9515,48.6827,2.598,49.0496", (1.9515, 48.6827, 2.598, 49.0496), None),  # data.json's w,s,e,n
        ("Schweiz", None, None),
        ("POLYGON((200 10,201 10,201 11,200 10))", None, None),  # not WGS 84 degrees
    ],
)
def test_spatial_values(value, bbox, wkt) -> None:
    shape = geometry.read(value)
    assert (shape.bbox, shape.wkt) == (bbox, wkt) if bbox else shape is None


def test_spatial_outline_is_a_plain_svg() -> None:
    svg = geometry.outline_svg([1.9515, 48.6827, 2.598, 49.0496], None)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.count("<polyline") == 1
    assert geometry.outline_svg(None, None) is None
