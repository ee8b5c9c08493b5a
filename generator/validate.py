"""Check a content folder: every file against its JSON Schema, then the portal as a whole.

Returns every problem, never only the first, each pointing at a file and line. Stages:

1. :func:`scan` walks the folder and classifies each path with :mod:`generator.layout` (unknown places,
   symlinks, folders named like files and bad slugs are problems, not crashes);
2. :func:`check_file` parses one YAML file (:mod:`generator.load`) and validates it against its schema,
   turning each schema error into a problem at the offending node, with a hint;
3. :func:`check_portal` runs the cross-file rules on the files that passed their schema.

Stage 2 runs on a process pool for large portals: it is the only per-file cost that matters. With a cache
(:class:`generator.cache.FileCache`), stage 2 runs only on files whose bytes are not in it, and stage 3 only when
some file's path or bytes differ from the portal it last ran on: a fresh checkout (every file time new) of an
unchanged portal costs a walk, a read of every file and a comparison of digests.
"""

from __future__ import annotations

import difflib
import functools
import gc
import itertools
import os
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schemas
from .cache import CHECKED, FileCache, stat_key
from .digests import key_digest
from .errors import Problem, UsageError
from .integrity import check_portal, slim
from .layout import SLUG_RE, Location, classify
from .load import Document, Entry, display_path, gc_paused, read_document, repo_root_of

PARALLEL_THRESHOLD = 2000  # below this, starting worker processes costs more than it saves
CHUNK = 250  # files per task sent to a worker
IGNORED_NAMES = {".gitkeep"}
_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
    "null": "nothing",
}
_YAML_READS = {"boolean": "true/false", "number": "a number", "date": "a date"}


@dataclass
class Validation:
    """The outcome of :func:`validate`: every entry found, and every problem."""

    content_dir: Path
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(
    content_dir: Path, jobs: int | None = None, keep_data: bool = True, cache: FileCache | None = None
) -> Validation:
    """Validate the whole content folder; see the module docstring for the stages.

    With ``keep_data=False`` the entries hold only what the cross-file rules read (:func:`integrity.slim`),
    which is all ``portal validate`` needs; the build keeps whole documents to model them. With a ``cache``
    (the build's whole documents, or with ``keep_data=False`` the slim ones of :data:`~generator.cache.CHECKED`),
    a file whose stat facts or bytes did not change since it was cached is not checked again, and the
    cross-file rules' problems are reused when no file's path or bytes changed (they always see the whole
    portal: one changed file runs them all).
    """
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise UsageError(f"no content folder at {content_dir} (pass --content DIR)")
    if cache is not None and cache.folder is not None and (cache.folder.name == CHECKED) == keep_data:
        raise ValueError("slim documents are cached in the checked/ cache, whole ones elsewhere")
    content_dir = content_dir.absolute()
    repo_root = repo_root_of(content_dir)
    result = Validation(content_dir)
    work: list[tuple[Path | str, str, Location]] = []

    def to_check() -> Iterator[tuple[Path | str, str, Location]]:
        for abspath, shown, location, problem in scan(content_dir, repo_root):
            if problem is not None:
                result.problems.append(problem)
            elif location.schema is None:
                result.entries.append(Entry(location))
            else:
                work.append((abspath, shown, location))
                yield work[-1]

    with gc_paused():
        if cache is not None:
            documents = _check_cached(list(to_check()), jobs, keep_data, cache)
        else:  # the workers start on the first files while the folders are still being scanned
            documents = _check_files(to_check(), jobs, keep_data)
        for (_, _, location), doc in zip(work, documents, strict=True):
            result.entries.append(Entry(location, doc))
            result.problems.extend(doc.problems)
        site_file = display_path(content_dir / "site.yaml", repo_root)
        result.problems.extend(_cross_file(result.entries, site_file, cache))
    result.problems.sort()
    return result


def _cross_file(entries: list[Entry], site_file: str, cache: FileCache | None) -> list[Problem]:
    """The cross-file rules' problems: from ``cache`` when the portal is, path for path and byte for byte, the
    one they were last found in (their only inputs are the entries, whose documents the bytes determine)."""
    if cache is None:
        return check_portal(entries, site_file)
    key = key_digest((site_file, [(e.location.path, e.doc.digest if e.doc is not None else None) for e in entries]))
    if cache.integrity is not None and cache.integrity[0] == key:
        return list(cache.integrity[1])
    problems = check_portal(entries, site_file)
    cache.remember_integrity(key, problems)
    return problems


def slim_kept(rel: str, kept: tuple) -> tuple:
    """A document kept by the build's file cache as ``portal validate`` keeps it (:func:`integrity.slim`): what
    the build writes into :data:`~generator.cache.CHECKED` with :meth:`~generator.cache.FileCache.mirror`."""
    data, problems, content_digest = kept
    location = classify(rel)
    return (_slimmed(location.schema if location else None, data, problems), problems, content_digest)


def _slimmed(kind: str | None, data: Any, problems: Iterable[Problem]) -> Any:
    """What ``portal validate`` keeps of a document: the cross-file rules read only valid ones."""
    return slim(kind, data) if not problems and kind is not None else None


def scan(content_dir: Path, repo_root: Path) -> Iterator[tuple[Path | str, str, Location | None, Problem | None]]:
    """Every file under ``content_dir``: its path, the path shown to people, its location, or a problem.

    Walks with ``os.scandir``, whose entries carry the file type: no extra ``stat`` per file (at 90,000
    files, ``os.walk`` plus a symlink check per file took 6.7 s, most of a cold validation's single-core time).
    """
    prefix = display_path(content_dir, repo_root)
    yield from _scan_folder(str(content_dir), "", prefix + "/" if prefix != "." else "")


def _scan_folder(
    folder: str, rel: str, shown: str
) -> Iterator[tuple[Path | str, str, Location | None, Problem | None]]:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda entry: entry.name)
    subfolders = []
    for entry in entries:
        path_rel = rel + entry.name
        path_shown = shown + entry.name
        if entry.is_symlink():
            what = "folder" if entry.is_dir() else "file itself"
            yield (
                Path(entry.path),
                path_shown,
                None,
                Problem(
                    path_shown,
                    1,
                    1,
                    "symlink",
                    "symbolic links are not allowed in content",
                    f"replace the link by the real {what}",
                ),
            )
        elif entry.is_dir(follow_symlinks=False):
            if entry.name.endswith(".yaml") and classify(path_rel) is not None:
                yield (
                    Path(entry.path),
                    path_shown,
                    None,
                    Problem(
                        path_shown, 1, 1, "not-a-file", "this is a folder, a YAML file is expected", "rename the folder"
                    ),
                )
            else:
                subfolders.append(entry)
        elif entry.name not in IGNORED_NAMES:
            yield (entry.path, path_shown, *_place(path_rel, path_shown))  # a str: a Path per file costs 20 µs
    for entry in subfolders:
        yield from _scan_folder(entry.path, rel + entry.name + "/", shown + entry.name + "/")


def _place(rel: str, shown: str) -> tuple[Location | None, Problem | None]:
    location = classify(rel)
    if location is None:
        return None, Problem(shown, 1, 1, "unknown-file", "no content of the portal lives here", _where_hint(rel))
    bad = [(what, value) for what, value in location.names() if not SLUG_RE.match(value)]
    if bad:
        what, value = bad[0]
        return location, Problem(
            shown,
            1,
            1,
            "bad-slug",
            f"'{value}' is not a valid {_SLUG_WHAT[what]} slug",
            f"use lowercase letters a-z, digits and single hyphens, e.g. '{_slugify(value)}'",
        )
    return location, None


_SLUG_WHAT = {"org": "organization", "user": "user", "slug": "file name", "harvester": "harvester"}


def _slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split()) or "name"


def _where_hint(rel: str) -> str:
    if rel.endswith(".yml"):
        return "content files end in .yaml: rename it"
    return "see docs/content.md for where each kind of file goes (e.g. organizations/<org>/datasets/<slug>.yaml)"


def _check_files(work: Iterable[tuple[Path | str, str, Location]], jobs: int | None, keep_data: bool) -> list[Document]:
    """Check the files of ``work``, read as they come: a scan feeds the workers while it goes on."""
    items = ((abspath, file, location.schema, keep_data) for abspath, file, location in work)
    head = list(itertools.islice(items, PARALLEL_THRESHOLD))
    if jobs == 1 or len(head) < PARALLEL_THRESHOLD:
        return [_check_file_star(item) for item in itertools.chain(head, items)]
    jobs = jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(jobs, initializer=gc.disable) as pool:  # see load.gc_paused; map submits as it reads
        return list(pool.map(_check_file_star, itertools.chain(head, items), chunksize=CHUNK))


def _check_cached(
    work: list[tuple[Path | str, str, Location]], jobs: int | None, keep_data: bool, cache: FileCache
) -> list[Document]:
    """Documents from ``cache`` where the file is unchanged; the others checked (and cached) anew."""
    documents: list[Document | None] = []
    missing: list[int] = []
    keys = []
    for number, (abspath, shown, location) in enumerate(work):
        try:
            key = stat_key(os.stat(abspath))
        except OSError:
            key = None
        keys.append(key)
        found = cache.get(location.path, key, abspath, shown) if key is not None else None
        documents.append(found)
        if found is None:
            missing.append(number)
    for number, doc in zip(missing, _check_files([work[n] for n in missing], jobs, keep_data), strict=True):
        documents[number] = doc
        if keys[number] is not None:
            cache.put(work[number][2].path, keys[number], doc)
    return documents  # type: ignore[return-value]


def _check_file_star(item: tuple[Path, str, str, bool]) -> Document:
    abspath, file, kind, keep_data = item
    doc = check_file(Path(abspath), file, kind)
    if not keep_data:
        doc.data = _slimmed(kind, doc.data, doc.problems)
    return doc


def check_file(abspath: Path, file: str, kind: str) -> Document:
    """Parse one file and validate it against the schema of ``kind``; problems land on the document."""
    doc = read_document(abspath, file)
    if doc.root is not None and not doc.problems:
        doc.problems.extend(schema_problems(doc, kind))
    doc.release()
    doc.implicit = {}
    return doc


def schema_problems(doc: Document, kind: str) -> list[Problem]:
    """Every schema error of ``doc`` as a problem at its node, plus unquoted dates where text is expected."""
    found = [_from_schema_error(doc, kind, error) for error in schemas.validator(kind).iter_errors(doc.data)]
    problems = [p for group in found for p in group]
    flagged = {p.path for p in problems}
    for path, read_as in doc.implicit.items():
        if read_as == "date" and path not in flagged and _text_not_date(kind, _shape(path)):
            problems.append(
                doc.problem(
                    path,
                    "yaml-unquoted-date",
                    "YAML reads this unquoted value as a date",
                    "put it in quotes where text is meant",
                )
            )
    return problems


def _shape(path: tuple) -> tuple:
    """``("resources", 7, "created")`` -> ``("resources", 0, "created")``: every item has one schema."""
    return tuple(0 if isinstance(part, int) else part for part in path)


@functools.cache
def _text_not_date(kind: str, shape: tuple) -> bool:
    """Whether the schema wants text, not a date, at this place (cached: asked for every date of every file)."""
    found = schemas.subschema(kind, shape)
    return found is not None and found[0].get("type") == "string" and not schemas.accepts_date(found)


def _from_schema_error(doc: Document, kind: str, error: Any) -> list[Problem]:
    path = tuple(error.instance_path)
    kind_name = type(error.kind).__name__
    keyword_parent = error.absolute_keyword_location.rsplit("/", 1)[0]
    sub = schemas.at_location(keyword_parent)
    hint = sub.get("x-hint", "") if isinstance(sub, dict) else ""
    where = _describe(path)
    if kind_name == "AdditionalProperties":
        allowed = sorted(sub.get("properties", {}))
        problems = []
        for key in error.kind.unexpected:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            suggestion = f"did you mean {close[0]}?" if close else f"allowed keys: {', '.join(allowed)}"
            problems.append(
                doc.problem(path + (key,), "unknown-key", f"unknown key '{key}'{where}", suggestion, key=True)
            )
        return problems
    if kind_name == "Required":
        return [
            doc.problem(
                path,
                "missing-key",
                f"missing required key '{error.kind.property}'{where}",
                _required_hint(sub, error.kind.property),
            )
        ]
    if kind_name == "Type":
        expected = sub.get("type")
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in (expected if isinstance(expected, list) else [expected]))
        message = f"expected {names}{where}, found {_describe_value(error.instance)}"
        read_as = doc.implicit.get(path)
        if read_as and "string" in (expected if isinstance(expected, list) else [expected]):
            hint = f"YAML reads this unquoted value as {_YAML_READS[read_as]}: put it in quotes"
        return [doc.problem(path, "wrong-type", message, hint)]
    if kind_name == "Enum":
        options = [str(v) for v in sub.get("enum", [])]
        value = str(error.instance)
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
        # a long list (the EU's categories) says where to find the values rather than listing them
        hint = f"did you mean {close[0]}?" if close else (hint or "allowed: " + ", ".join(options))
        if doc.implicit.get(path) in ("boolean", "number"):
            hint = f"YAML reads this unquoted value as {_YAML_READS[doc.implicit[path]]}: put it in quotes"
        return [
            doc.problem(path, "not-allowed", f"{_describe_value(error.instance)} is not an allowed value{where}", hint)
        ]
    code = {"Pattern": "bad-format", "Format": "bad-format", "AnyOf": "bad-format"}.get(kind_name, "invalid")
    if code == "bad-format":
        return [doc.problem(path, code, f"{_describe_value(error.instance)} is not valid{where}", hint)]
    return [doc.problem(path, code, f"{error.message}{where}", hint)]


def _required_hint(sub: dict, prop: str) -> str:
    described = sub.get("properties", {}).get(prop, {})
    return described.get("description", "") if isinstance(described, dict) else ""


def _describe(path: tuple) -> str:
    if not path:
        return ""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f" at {text}"


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
