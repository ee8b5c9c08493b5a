"""Translations of the site's interface, and locale-aware dates and numbers (Babel).

The catalogs are ``generator/locale/<lang>/LC_MESSAGES/messages.po``, the only files to edit. They are
compiled in memory when a build starts (Babel reads the .po and writes the .mo into a buffer), so no binary
is committed and a .po edit takes effect on the next build. Message ids are English.

Updating the catalogs after changing templates: :func:`extract` lists every message of the templates and
of the Python code; ``python -m generator.i18n`` adds the new ones to both catalogs (empty in French, to be
translated; the test suite fails until every message has a translation).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal as _format_decimal
from babel.numbers import format_percent as _format_percent
from babel.support import Translations

from .model import as_date

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def translations(language: str) -> Translations:
    """The compiled translations for ``language`` (compiled from the .po in memory, once per process)."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(language))
    buffer.seek(0)
    return Translations(buffer, domain="messages")


@cache
def locale(language: str) -> Locale:
    return Locale.parse(_BABEL_LOCALES.get(language, language))


@lru_cache(maxsize=65536)  # Babel formatting is slow and content repeats dates a lot
def format_date(value: str | dt.date | None, language: str, fmt: str = "long") -> str:
    """An ISO date or date-time (content keeps them as text) as a date for readers of ``language``."""
    if value is None:
        return ""
    day = as_date(value) if isinstance(value, str) else value
    return _format_date(day, format=fmt, locale=locale(language))


@lru_cache(maxsize=65536)
def format_number(value: float, language: str) -> str:
    return _format_decimal(value, locale=locale(language))


def format_percent(value: float, language: str, exact: bool = False) -> str:
    """A share as a percentage, rounded to a whole one unless ``exact`` (an API's 99.5% availability is not 100%)."""
    return _format_percent(value, locale=locale(language), decimal_quantization=not exact)


_UNITS = ("B", "kB", "MB", "GB", "TB")
_UNITS_FR = ("o", "ko", "Mo", "Go", "To")


@lru_cache(maxsize=65536)
def format_filesize(size: int | None, language: str) -> str:
    """``12345`` as ``12.3 kB`` (``12,3 ko`` in French: French counts octets)."""
    if size is None:
        return ""
    units = _UNITS_FR if language == "fr" else _UNITS
    value, unit = float(size), 0
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    number = _format_decimal(round(value, 1) if unit else int(value), format="#,##0.#", locale=locale(language))
    return f"{number}\u00a0{units[unit]}"


def extract(root: Path | None = None) -> Catalog:
    """Every message of the default theme's templates and of the generator's Python code."""
    root = root or Path(__file__).resolve().parent.parent
    catalog = Catalog()
    sources = [
        (
            root / "themes" / "default",
            [("**.html", "jinja2")],
            {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}},
        ),
        (root / "generator", [("**.py", "python")], {}),
    ]
    for folder, method_map, options_map in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(folder, method_map, options_map):
            catalog.add(message, locations=[(f"{folder.name}/{filename}", lineno)])
    return catalog


def update_catalogs() -> dict[str, int]:
    """Add the extracted messages missing from each catalog; return how many were added per language."""
    template = extract()
    added = {}
    for language in LANGUAGES:
        catalog = read_catalog(language)
        count = 0
        for message in template:
            if message.id and message.id not in catalog:
                string = message.id if language == "en" else ("", "") if message.pluralizable else ""
                catalog.add(message.id, string, locations=message.locations)
                count += 1
        catalog.fuzzy = False
        with po_path(language).open("wb") as handle:
            write_po(handle, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
        added[language] = count
    return added


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    import sys

    sys.stdout.write(f"{update_catalogs()}\n")
