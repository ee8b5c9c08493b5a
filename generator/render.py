"""The Jinja environment of the site: theme search path, URL helpers, filters and translations.

Templates are looked up in the portal's own theme folder (``site.yaml``'s ``theme``, relative to the content
folder) first, then in ``themes/default``. Any stock template stays reachable as ``default:<name>``, so an
override can extend the template it replaces::

    {% extends "default:base.html" %}
    {% block footer %}{{ super() }}<p>Our own footer line</p>{% endblock %}

Autoescaping is always on: every value from content is text unless it went through the ``markdown``
filter (:mod:`generator.markdown`, sanitized). One :class:`jinja2.Environment` per language is built once
per process and shared by every page (templates compile once).

URLs: every internal link is absolute-path (``/portal/en/datasets/roads/``), built from the base URL's
path, so the site works under a sub-path and the 404 page works at any depth. ``url(path)`` links a page in
the current language, ``url(path, lang)`` in another, ``root_url(path)`` a language-neutral file (static
assets, logos, resource redirects), ``absolute_url`` the same with scheme and host (canonical, hreflang).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import jinja2.ext
import jinja2.lexer
from markupsafe import Markup

from . import geometry, i18n, linkcheck, markdown
from .errors import UsageError
from .export import schemaorg
from .themes import default_theme
from .vocabularies import (
    BADGES,
    ENDPOINT_FORMATS,
    GRANULARITIES,
    HVD_CATEGORIES,
    HVD_LABELS,
    HVD_LEGISLATION,
    LICENSES,
    RESOURCE_TYPES,
    REUSE_TOPICS,
    REUSE_TYPES,
    ROLES,
    frequency_label,
    hvd_facet,
    label,
)

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "extract this message, translate it later"
    return message


# The license titles that are words rather than a license's name: the catalogs translate them, and the site
# shows every title through gettext (a name, absent from the catalogs, stays as it is).
LICENSE_WORDS = (
    N_("Other (Open)"),
    N_("Other (Attribution)"),
    N_("Other (Public Domain)"),
    N_("Other"),
    N_("License Not Specified"),
)
OG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}  # Open Graph's og:locale


@dataclass(frozen=True)
class Urls:
    """How paths of the output become links: the base URL and the site's languages."""

    base_url: str  # ends with "/"
    languages: tuple[str, ...]

    @classmethod
    def make(cls, base_url: str, languages: list[str]) -> Urls:
        base = base_url if base_url.endswith("/") else base_url + "/"
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"the base URL must be an absolute http(s) URL, got {base_url!r}")
        return cls(base, tuple(languages))

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path

    def prefix(self, language: str | None) -> str:
        """The folder of a language's pages: "" for the default language (and neutral files), "en/"..."""
        return "" if language is None or language == self.languages[0] else f"{language}/"

    def path(self, path: str, language: str | None) -> str:
        return f"{self.base_path}{self.prefix(language)}{path}"

    def absolute(self, path: str, language: str | None) -> str:
        return f"{self.base_url}{self.prefix(language)}{path}"


def theme_loader(theme_folder: Path | None) -> jinja2.BaseLoader:
    """Portal theme first, then the stock theme; ``default:<name>`` always reaches the stock one."""
    stock = jinja2.FileSystemLoader(str(default_theme()))
    loaders: list[jinja2.BaseLoader] = []
    if theme_folder is not None:
        loaders.append(jinja2.FileSystemLoader(str(theme_folder)))
    loaders += [stock, jinja2.PrefixLoader({"default": stock}, delimiter=":")]
    return jinja2.ChoiceLoader(loaders)


class ConstantGettext(jinja2.ext.Extension):
    """Translate ``_("literal")`` when a template compiles instead of every time it renders.

    Each language has its own environment, so a call without parameters always yields the same text; most
    of a page's ~90 gettext calls are such calls, and each costs Jinja several function calls at render
    time. The token stream ``_ ( "msgid" )`` becomes ``( "translation" | safe )``, which Jinja folds into a
    constant: the same Markup that Jinja's newstyle gettext returns (translations are trusted, and ``%%``
    is unescaped as newstyle's ``% {}`` does). Calls with parameters, and ``ngettext``, stay as they are.
    """

    def filter_stream(self, stream: jinja2.lexer.TokenStream):  # type: ignore[override]
        gettext = self.environment.constant_gettext  # type: ignore[attr-defined]
        window: list[jinja2.lexer.Token] = []
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            name, lparen, string, rparen = window[-4:]
            if (name.type, name.value, lparen.type, string.type, rparen.type) == (
                "name",
                "_",
                "lparen",
                "string",
                "rparen",
            ):
                del window[-4:]
                yield from window
                window.clear()
                text = gettext(string.value)
                with contextlib.suppress(ValueError, TypeError):
                    text = text % {}
                line = name.lineno
                yield jinja2.lexer.Token(line, "lparen", "(")
                yield jinja2.lexer.Token(line, "string", text)
                yield jinja2.lexer.Token(line, "pipe", "|")
                yield jinja2.lexer.Token(line, "name", "safe")
                yield jinja2.lexer.Token(line, "rparen", ")")
            elif len(window) > 8:
                yield window.pop(0)
        yield from window


def make_environment(
    language: str, urls: Urls, theme_folder: Path | None = None, bytecode: Path | None = None
) -> jinja2.Environment:
    """The environment that renders every page of ``language``.

    ``bytecode`` is a folder where compiled templates are kept between runs (the build cache gives one per
    generator version and language: translations are compiled in). Jinja checks each template's source
    against the checksum stored with its code, so an edited template is compiled again.
    """
    cache = None
    if bytecode is not None:
        bytecode.mkdir(parents=True, exist_ok=True)
        cache = jinja2.FileSystemBytecodeCache(str(bytecode))
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=theme_loader(theme_folder),
        autoescape=True,
        extensions=["jinja2.ext.i18n", ConstantGettext],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )
    translations = i18n.translations(language)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.extend(constant_gettext=translations.gettext)

    def url(path: str = "", lang: str | None = None) -> str:
        return urls.path(path, lang or language)

    @jinja2.pass_context
    def schema_org(context: Any, kind: str, obj: Any) -> Any:
        """schema.org JSON-LD of a dataset, an organization or an API, safe inside a ``<script>`` element."""
        return schemaorg.script_json(_SCHEMA_ORG[kind](context["index"], urls, obj, language))

    # contributors write in the portal's first language: text of theirs on another language's page says so,
    # for screen readers' voices (WCAG 3.1.2) and the Nu HTML Checker's language detection
    content_language = urls.languages[0] if urls.languages else language
    env.globals.update(
        content_lang=Markup(f' lang="{content_language}"') if content_language != language else Markup(""),
        schema_org=schema_org,
        og_locale=OG_LOCALES.get(language, language),
        lang=language,
        languages=urls.languages,
        language_names=LANGUAGE_NAMES,
        url=url,
        root_url=lambda path="": urls.path(path, None),
        absolute_url=lambda path="", lang=None: urls.absolute(path, lang or language),
        licenses=LICENSES,
        license_title=lambda key: translations.gettext(LICENSES[key].title),
        check_problem=linkcheck.problem,
        label=lambda table, key: label(_TABLES[table], key, language),
        frequency_label=lambda key: frequency_label(key, language),
        hvd_categories=HVD_CATEGORIES,
        hvd_facet=hvd_facet,
        hvd_legislation=HVD_LEGISLATION,
        localized=lambda dataset: localized(dataset, language, urls.languages[0]),
        spatial_svg=lambda spatial: geometry.outline_svg(spatial.get("bbox"), spatial.get("geometry")),
    )
    env.filters.update(
        markdown=markdown.render,
        excerpt=markdown.plain,
        date=lambda value, fmt="long": i18n.format_date(value, language, fmt),
        number=lambda value: i18n.format_number(value, language),
        percent=lambda value, exact=False: i18n.format_percent(value, language, exact),
        filesize=lambda value: i18n.format_filesize(value, language),
    )
    return env


# the kinds of page that embed schema.org JSON-LD -> the function of generator.export.schemaorg that makes it
_SCHEMA_ORG: dict[str, Any] = {
    "dataset": schemaorg.dataset,
    "organization": schemaorg.organization,
    "dataservice": schemaorg.dataservice,
}


def localized(dataset: Any, language: str, default: str) -> dict[str, Any]:
    """A dataset's title and description for a reader of ``language``: the translation when there is one,
    else the original; ``lang`` is the text's language when it differs from the page's ("" when unknown:
    a harvested text its source did not tag), for the page's ``lang`` attribute."""
    translation = dataset.translations.get(language) or {}
    if translation.get("title"):
        title, description, text_lang = translation["title"], translation.get("description"), language
    else:
        title, description, text_lang = dataset.title, None, dataset.text_language(default) or ""
    original = dataset.text_language(default) or ""
    if description is None:
        description, description_lang = dataset.description, original
    else:
        description_lang = language
    return {
        "title": title,
        "description": description,
        "lang": None if text_lang == language else text_lang,
        "description_lang": None if description_lang == language else description_lang,
    }


_TABLES: dict[str, Any] = {
    "badge": BADGES,
    "endpoint_format": ENDPOINT_FORMATS,
    "granularity": GRANULARITIES,
    "hvd": HVD_LABELS,
    "resource_type": RESOURCE_TYPES,
    "reuse_topic": REUSE_TOPICS,
    "reuse_type": REUSE_TYPES,
    "role": ROLES,
}
