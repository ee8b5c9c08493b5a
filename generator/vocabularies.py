"""Controlled vocabularies and their labels in every site language: licenses, frequencies, types, badges.

One module so that the site, the exports and the harvesters agree on what an identifier means. Labels are
plain dictionaries ``{language: text}`` (not gettext), so code without a translation catalog (a DCAT export,
a harvester mapping values) can read them too; :func:`label` picks one with a fallback to English.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

Labels = dict[str, str]


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str | None
    open: bool = True


LICENSES: dict[str, License] = {
    lic.id: lic
    for lic in [
        License(
            "etalab-2.0",
            "Licence Ouverte / Open Licence version 2.0",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        ),
        License(
            "lov1",
            "Licence Ouverte / Open Licence version 1.0",
            "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        ),
        License(
            "odc-odbl",
            "Open Data Commons Open Database License (ODbL)",
            "https://opendatacommons.org/licenses/odbl/1-0/",
        ),
        License("odc-by", "Open Data Commons Attribution License", "https://opendatacommons.org/licenses/by/1-0/"),
        License(
            "odc-pddl",
            "Open Data Commons Public Domain Dedication and License (PDDL)",
            "https://opendatacommons.org/licenses/pddl/1-0/",
        ),
        License("cc-by-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
        License(
            "cc-by-sa-4.0",
            "Creative Commons Attribution-ShareAlike 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/",
        ),
        License("cc0-1.0", "Creative Commons CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        License("other-open", "Other (Open)", None),
        License("other-at", "Other (Attribution)", None),
        License("other-pd", "Other (Public Domain)", None),
        License("other", "Other", None, open=False),
        License("notspecified", "License Not Specified", None, open=False),
    ]
}

# Other names of our licenses, matched whole (see :func:`license_key`): the URLs and ids other catalogues
# write for the same text. Never a path segment: ``.../licenses/other`` or ``.../cc-by`` of an unknown site
# is no license of ours. Versions matter: CC BY 3.0 is not CC BY 4.0 (it maps to "other-at", raw value kept).
LICENSE_ALIASES: dict[str, tuple[str, ...]] = {
    "etalab-2.0": (
        "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        "https://www.etalab.gouv.fr/wp-content/uploads/2018/11/open-licence.pdf",
        "https://spdx.org/licenses/etalab-2.0",
        "https://spdx.org/licenses/etalab-2.0.html",
        "etalab-2.0", "lo-2.0", "lov2", "licence-ouverte-2.0", "fr-lo-2.0", "Licence Ouverte v2.0 (Etalab)",
        "Licence Ouverte / Open Licence version 2.0", "Open Licence 2.0",
        "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0",
    ),
    "lov1": (
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Open_Licence.pdf",
        "fr-lo", "lov1", "Licence Ouverte / Open Licence",
    ),
    "odc-odbl": (
        "https://opendatacommons.org/licenses/odbl/1-0", "https://opendatacommons.org/licenses/odbl/1.0",
        "https://opendatacommons.org/licenses/odbl", "https://spdx.org/licenses/ODbL-1.0",
        "http://publications.europa.eu/resource/authority/licence/ODC_BL",
        "odbl", "odbl-1.0", "odc-odbl-1.0", "ODbL-1.0", "http://dcat-ap.de/def/licenses/odbl", "http://www.opendefinition.org/licenses/odc-odbl",
    ),
    "odc-by": (
        "https://opendatacommons.org/licenses/by/1-0", "https://opendatacommons.org/licenses/by/1.0",
        "https://opendatacommons.org/licenses/by", "https://spdx.org/licenses/ODC-By-1.0",
        "http://publications.europa.eu/resource/authority/licence/ODC_BY",
        "odc-by-1.0", "ODC-By-1.0", "http://dcat-ap.de/def/licenses/odby", "http://www.opendefinition.org/licenses/odc-by",
    ),
    "odc-pddl": (
        "https://opendatacommons.org/licenses/pddl/1-0", "https://opendatacommons.org/licenses/pddl/1.0",
        "https://opendatacommons.org/licenses/pddl", "https://spdx.org/licenses/PDDL-1.0",
        "http://publications.europa.eu/resource/authority/licence/ODC_PDDL",
        "pddl", "pddl-1.0", "odc-pddl-1.0", "PDDL-1.0", "http://dcat-ap.de/def/licenses/odcpddl", "http://www.opendefinition.org/licenses/odc-pddl",
    ),
    "cc-by-4.0": (
        "https://creativecommons.org/licenses/by/4.0", "https://spdx.org/licenses/CC-BY-4.0",
        "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        "cc-by", "cc-by-4", "cc-by-4.0", "CC-BY-4.0", "CC BY 4.0", "http://www.opendefinition.org/licenses/cc-by",
        "http://dcat-ap.de/def/licenses/cc-by/4.0", "http://dcat-ap.de/def/licenses/cc-by-4.0",
    ),
    "cc-by-sa-4.0": (
        "https://creativecommons.org/licenses/by-sa/4.0", "https://spdx.org/licenses/CC-BY-SA-4.0",
        "http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0",
        "cc-by-sa", "cc-by-sa-4.0", "CC-BY-SA-4.0", "CC BY-SA 4.0", "http://www.opendefinition.org/licenses/cc-by-sa",
        "http://dcat-ap.de/def/licenses/cc-by-sa/4.0", "http://dcat-ap.de/def/licenses/cc-by-sa-4.0",
    ),
    "cc0-1.0": (
        "https://creativecommons.org/publicdomain/zero/1.0", "https://spdx.org/licenses/CC0-1.0",
        "http://publications.europa.eu/resource/authority/licence/CC0",
        "cc-zero", "cc0", "cc0-1.0", "CC0-1.0", "CC0 1.0 Universal", "http://www.opendefinition.org/licenses/cc-zero",
        "http://dcat-ap.de/def/licenses/cc-zero", "http://dcat-ap.de/def/licenses/cczero",
    ),
    "other-pd": (
        "http://www.usa.gov/publicdomain/label/1.0", "https://creativecommons.org/publicdomain/mark/1.0",
        "other-pd", "Other (Public Domain)",
    ),
    "other-at": ("other-at", "Other (Attribution)"),
    "other-open": ("other-open", "Other (Open)"),
    "other": ("other", "other-closed", "Other", "Other (Not Open)"),
    "notspecified": ("notspecified", "not-specified", "license-not-specified", "License Not Specified"),
}  # fmt: skip

# Creative Commons licenses of other versions or ports than ours: the family we file them under (the raw
# value is kept and exported with them)
_CC_FAMILIES = {"by": "other-at", "by-sa": "other-at", "zero": "other-pd", "mark": "other-pd"}


def license_key(value: str) -> str:
    """How a license value is compared: lowercase, without scheme, ``www.``, trailing slash or ``.html``,
    and without the Creative Commons ``legalcode``/``deed`` suffixes of a language variant."""
    text = " ".join(value.strip().lower().split())
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text).rstrip("/")
    text = re.sub(r"(/legalcode(\.[a-z-]+)?|/deed\.[a-z-]+|\.html?)$", "", text)
    return text.rstrip("/")


def _license_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for lic in LICENSES.values():
        for name in (lic.id, lic.title, *([lic.url] if lic.url else []), *LICENSE_ALIASES.get(lic.id, ())):
            index[license_key(name)] = lic.id
    return index


_LICENSE_INDEX = _license_index()
_CC_URL = re.compile(r"^creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d+(\.\d+)?)(/[a-z]{2})?$")


def match_license(value: str) -> str | None:
    """Our license id for one remote value (URL, SPDX/CKAN/EU id, title), matched whole; else None.

    A Creative Commons URL of another version or port (``by/3.0/fr``) is filed under its family
    (``other-at``, ``other-pd``): still an open license, though not one of ours word for word.
    """
    key = license_key(value)
    found = _LICENSE_INDEX.get(key)
    if found is None:
        cc = _CC_URL.match(key)
        if cc and cc.group(5) is None:
            found = _LICENSE_INDEX.get(license_key(f"creativecommons.org/{cc.group(1)}/{cc.group(2)}/{cc.group(3)}"))
        if found is None and cc:
            found = _CC_FAMILIES.get(cc.group(2))
    return found


# udata's update frequencies: label, and the longest expected time between two updates (None: no period)
FREQUENCIES: dict[str, tuple[Labels, dt.timedelta | None]] = {
    "unknown": ({"en": "Unknown", "fr": "Inconnue"}, None),
    "punctual": ({"en": "Punctual", "fr": "Ponctuelle"}, None),
    "continuous": ({"en": "Real time", "fr": "Temps réel"}, dt.timedelta(hours=1)),
    "hourly": ({"en": "Hourly", "fr": "Toutes les heures"}, dt.timedelta(hours=1)),
    "fourTimesADay": ({"en": "Four times a day", "fr": "Quatre fois par jour"}, dt.timedelta(hours=6)),
    "threeTimesADay": ({"en": "Three times a day", "fr": "Trois fois par jour"}, dt.timedelta(hours=8)),
    "semidaily": ({"en": "Semidaily", "fr": "Deux fois par jour"}, dt.timedelta(hours=12)),
    "daily": ({"en": "Daily", "fr": "Quotidienne"}, dt.timedelta(days=1)),
    "fourTimesAWeek": ({"en": "Four times a week", "fr": "Quatre fois par semaine"}, dt.timedelta(hours=42)),
    "threeTimesAWeek": ({"en": "Three times a week", "fr": "Trois fois par semaine"}, dt.timedelta(hours=56)),
    "semiweekly": ({"en": "Semiweekly", "fr": "Deux fois par semaine"}, dt.timedelta(days=3, hours=12)),
    "weekly": ({"en": "Weekly", "fr": "Hebdomadaire"}, dt.timedelta(weeks=1)),
    "biweekly": ({"en": "Biweekly", "fr": "Bimensuelle"}, dt.timedelta(weeks=2)),
    "threeTimesAMonth": ({"en": "Three times a month", "fr": "Trois fois par mois"}, dt.timedelta(days=10)),
    "semimonthly": ({"en": "Semimonthly", "fr": "Deux fois par mois"}, dt.timedelta(days=15)),
    "monthly": ({"en": "Monthly", "fr": "Mensuelle"}, dt.timedelta(days=31)),
    "bimonthly": ({"en": "Bimonthly", "fr": "Tous les deux mois"}, dt.timedelta(days=62)),
    "quarterly": ({"en": "Quarterly", "fr": "Trimestrielle"}, dt.timedelta(days=92)),
    "threeTimesAYear": ({"en": "Three times a year", "fr": "Trois fois par an"}, dt.timedelta(days=122)),
    "semiannual": ({"en": "Biannual", "fr": "Semestrielle"}, dt.timedelta(days=183)),
    "annual": ({"en": "Annual", "fr": "Annuelle"}, dt.timedelta(days=366)),
    "biennial": ({"en": "Biennial", "fr": "Bisannuelle"}, dt.timedelta(days=2 * 366)),
    "triennial": ({"en": "Triennial", "fr": "Triennale"}, dt.timedelta(days=3 * 366)),
    "quinquennial": ({"en": "Quinquennial", "fr": "Quinquennale"}, dt.timedelta(days=5 * 366)),
    "irregular": ({"en": "Irregular", "fr": "Irrégulière"}, None),
}

# our frequency -> code of the EU frequency authority table (udata's mapping): the DCAT export writes
# these, the harvester reads them back. No exact EU match -> OTHER (read back as unknown, raw value kept).
FREQUENCIES_EU: dict[str, str] = {
    "unknown": "UNKNOWN",
    "punctual": "NEVER",
    "continuous": "UPDATE_CONT",
    "hourly": "HOURLY",
    "fourTimesADay": "OTHER",
    "threeTimesADay": "OTHER",
    "semidaily": "DAILY_2",
    "daily": "DAILY",
    "fourTimesAWeek": "OTHER",
    "threeTimesAWeek": "WEEKLY_3",
    "semiweekly": "WEEKLY_2",
    "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY",
    "threeTimesAMonth": "MONTHLY_3",
    "semimonthly": "MONTHLY_2",
    "monthly": "MONTHLY",
    "bimonthly": "BIMONTHLY",
    "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_3",
    "semiannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL",
    "quinquennial": "QUINQUENNIAL",
    "irregular": "IRREG",
}

RESOURCE_TYPES: dict[str, Labels] = {
    "main": {"en": "Main files", "fr": "Fichiers principaux"},
    "documentation": {"en": "Documentation", "fr": "Documentation"},
    "update": {"en": "Updates", "fr": "Mises à jour"},
    "api": {"en": "APIs", "fr": "API"},
    "code": {"en": "Source code", "fr": "Code source"},
    "other": {"en": "Other", "fr": "Autres"},
}

# what kind of technical description an API has (dataservice.schema.json's endpoint_description.format)
ENDPOINT_FORMATS: dict[str, Labels] = {
    "openapi": {"en": "OpenAPI", "fr": "OpenAPI"},
    "swagger": {"en": "Swagger", "fr": "Swagger"},
    "wms": {"en": "WMS", "fr": "WMS"},
    "wfs": {"en": "WFS", "fr": "WFS"},
    "wmts": {"en": "WMTS", "fr": "WMTS"},
    "wcs": {"en": "WCS", "fr": "WCS"},
    "csw": {"en": "CSW", "fr": "CSW"},
    "sparql": {"en": "SPARQL", "fr": "SPARQL"},
    "graphql": {"en": "GraphQL", "fr": "GraphQL"},
    "wsdl": {"en": "WSDL", "fr": "WSDL"},
    "other": {"en": "Other", "fr": "Autre"},
}

REUSE_TYPES: dict[str, Labels] = {
    "api": {"en": "API", "fr": "API"},
    "application": {"en": "Application", "fr": "Application"},
    "idea": {"en": "Idea", "fr": "Idée"},
    "news_article": {"en": "News article", "fr": "Article de presse"},
    "paper": {"en": "Paper", "fr": "Article scientifique"},
    "post": {"en": "Post", "fr": "Billet"},
    "visualization": {"en": "Visualization", "fr": "Visualisation"},
    "hardware": {"en": "Connected device", "fr": "Objet connecté"},
}

REUSE_TOPICS: dict[str, Labels] = {
    "health": {"en": "Health", "fr": "Santé"},
    "transport_and_mobility": {"en": "Transport and mobility", "fr": "Transports et mobilités"},
    "housing_and_development": {"en": "Housing and development", "fr": "Logement et aménagement"},
    "food_and_agriculture": {"en": "Food and agriculture", "fr": "Alimentation et agriculture"},
    "culture_and_recreation": {"en": "Culture and recreation", "fr": "Culture et loisirs"},
    "economy_and_business": {"en": "Economy and business", "fr": "Économie et entreprises"},
    "environment_and_energy": {"en": "Environment and energy", "fr": "Environnement et énergie"},
    "work_and_training": {"en": "Work and training", "fr": "Travail et formation"},
    "politics_and_public_life": {"en": "Politics and public life", "fr": "Politique et vie publique"},
    "safety_and_security": {"en": "Safety and security", "fr": "Sécurité"},
    "education_and_research": {"en": "Education and research", "fr": "Éducation et recherche"},
    "society_and_demography": {"en": "Society and demography", "fr": "Société et démographie"},
    "law_and_justice": {"en": "Law and justice", "fr": "Droit et justice"},
    "open_data_tools": {"en": "Open data tools", "fr": "Outils de l'open data"},
    "others": {"en": "Others", "fr": "Autres"},
}

GRANULARITIES: dict[str, Labels] = {
    "country-group": {"en": "Group of countries", "fr": "Groupe de pays"},
    "country": {"en": "Country", "fr": "Pays"},
    "fr:region": {"en": "French region", "fr": "Région"},
    "fr:departement": {"en": "French département", "fr": "Département"},
    "fr:epci": {"en": "Intermunicipality (EPCI)", "fr": "Intercommunalité (EPCI)"},
    "fr:commune": {"en": "French municipality", "fr": "Commune"},
    "fr:iris": {"en": "Iris (INSEE sub-municipal unit)", "fr": "Iris (quartiers INSEE)"},
    "poi": {"en": "Point of interest", "fr": "Point d'intérêt"},
    "other": {"en": "Other", "fr": "Autre"},
}

BADGES: dict[str, Labels] = {
    "public-service": {"en": "Public service", "fr": "Service public"},
    "certified": {"en": "Certified", "fr": "Certifiée"},
    "association": {"en": "Association", "fr": "Association"},
    "company": {"en": "Company", "fr": "Entreprise"},
    "local-authority": {"en": "Local authority", "fr": "Collectivité territoriale"},
}

ROLES: dict[str, Labels] = {
    "admin": {"en": "Administrator", "fr": "Administrateur·rice"},
    "editor": {"en": "Editor", "fr": "Éditeur·rice"},
}

# formats anyone can read with free software (udata's "open format" quality criterion)
OPEN_FORMATS = frozenset({
    "csv", "csv.gz", "json", "jsonl", "ndjson", "geojson", "xml", "rdf", "ttl", "n3", "jsonld", "txt", "ods", "odt",
    "odg", "gpx", "kml", "kmz", "shp", "gpkg", "geopackage", "parquet", "gtfs", "gtfs-rt", "netcdf", "grib2", "sql",
    "html", "tsv", "yaml", "yml", "zip", "tar", "gz",
})  # fmt: skip


def label(table: dict[str, Labels], key: str, language: str) -> str:
    """The label of ``key`` in ``language`` (English, then the key itself, when missing)."""
    labels = table.get(key)
    if labels is None:
        return key
    return labels.get(language) or labels.get("en") or key


def frequency_label(key: str, language: str) -> str:
    entry = FREQUENCIES.get(key)
    return key if entry is None else entry[0].get(language) or entry[0]["en"]


# --- the EU's high-value datasets (Implementing Regulation (EU) 2023/138) ---------------------------------

HVD_SCHEME = "http://data.europa.eu/bna/asd487ae75"  # the Publications Office's "High-value dataset categories"
HVD_CONCEPTS = "http://data.europa.eu/bna/"  # a category's URI is this prefix and its code
HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"  # what an HVD's dcatap:applicableLegislation names


@dataclass(frozen=True)
class HvdCategory:
    """One concept of the EU list: a top category (``parent`` None) or a sub-category, labelled as published."""

    code: str  # c_b79e35eb
    parent: str | None
    labels: Labels

    @property
    def uri(self) -> str:
        return HVD_CONCEPTS + self.code


def _read_hvd_categories() -> dict[str, HvdCategory]:
    """The table shipped in ``data/hvd-categories.csv`` (source, version and licence: ``data/README.md``)."""
    with (Path(__file__).parent / "data" / "hvd-categories.csv").open(encoding="utf-8", newline="") as f:
        return {
            row["code"]: HvdCategory(row["code"], row["parent"] or None, {"en": row["en"], "fr": row["fr"]})
            for row in csv.DictReader(f)
        }


HVD_CATEGORIES: dict[str, HvdCategory] = _read_hvd_categories()
HVD_LABELS: dict[str, Labels] = {code: category.labels for code, category in HVD_CATEGORIES.items()}  # for label()


def hvd_code(value: str) -> str | None:
    """The code of a category written as its code or its URI (http or https), None when it is not in the list.

    Content may hold either form; the model, the pages and the exports use the code, the one canonical form.
    """
    value = value.strip()
    for prefix in (HVD_CONCEPTS, "https://data.europa.eu/bna/"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value if value in HVD_CATEGORIES else None


def hvd_codes(values: list[str]) -> list[str]:
    """The codes of validated category values (codes or URIs), each once, in the order written."""
    return list(dict.fromkeys(code for code in map(hvd_code, values) if code is not None))


def hvd_top(code: str) -> str:
    """The top category (one of the regulation's six themes) a category belongs to: itself when it is one."""
    while (parent := HVD_CATEGORIES[code].parent) is not None:
        code = parent
    return code


def hvd_facet(codes: list[str]) -> list[str]:
    """The categories a search filter files content under: its own and the top categories above them, so that
    filtering by a theme (Mobility) finds content marked with one of its sub-categories (Transport networks)."""
    return list(dict.fromkeys([*(hvd_top(code) for code in codes), *codes]))
