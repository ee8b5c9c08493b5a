"""Read content files and parse YAML while keeping where every value came from.

PyYAML's C parser composes the node tree (with line and column marks); we construct plain JSON-like values
from it ourselves instead of using PyYAML's constructor, because we must:

* reject duplicate keys (PyYAML silently keeps the last one);
* reject anchors, aliases and custom tags (an alias bomb expands exponentially; content needs none);
* keep dates and datetimes as the text the contributor wrote (JSON Schema checks their format), while
  remembering which plain scalars YAML 1.1 resolved to something other than text, so that an unquoted
  ``no``, ``1.0`` or ``2024-01-01`` where text is expected gets a hint to quote it;
* map a JSON path back to a line and column for every later error (schema or cross-file).

The node tree is kept only while a file is checked; :meth:`Document.locate` re-reads the file when a
position is needed later (errors are rare, content is large).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .digests import digest
from .errors import Problem
from .layout import Location

try:  # libyaml is ~10x faster; fall back so a build without it still works
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader with the same tag resolution, computed faster.

    libyaml composes in C but calls back into Python to resolve the tag of every node, and PyYAML's resolver
    concatenates lists and walks path resolvers (which the safe loader never has) on each call: a third of a
    file's parsing time. This one looks up the same implicit resolvers by first character, remembers the
    tags of short plain scalars (keys and values like ``csv`` or ``true`` repeat across files), and skips the
    empty path-resolver bookkeeping. A test compares it with PyYAML's own resolver on every kind of scalar.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                return _KNOWN_PLAIN.get(value) or resolve_plain(value)
            return STR
        return SEQ if kind is yaml.SequenceNode else MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # only path resolvers use it, and the safe loader has none

    def ascend_resolver(self) -> None:
        pass


assert not _BaseLoader.yaml_path_resolvers, "the fast resolver assumes no path resolver"
_WILDCARD = _BaseLoader.yaml_implicit_resolvers.get(None, [])
_RESOLVERS = {first: [*found, *_WILDCARD] for first, found in _BaseLoader.yaml_implicit_resolvers.items() if first}
_EMPTY = [*_BaseLoader.yaml_implicit_resolvers.get("", []), *_WILDCARD]
_KNOWN_PLAIN: dict[str, str] = {}
_KNOWN_LIMIT = 200_000  # distinct short scalars remembered per process (a few MB)


def resolve_plain(value: str) -> str:
    """The tag YAML 1.1 (PyYAML's safe loader) gives a plain scalar: what :class:`_Loader` resolves."""
    tag = _KNOWN_PLAIN.get(value)
    if tag is not None:
        return tag
    tag = STR
    for candidate, regexp in _RESOLVERS.get(value[:1], _WILDCARD) if value else _EMPTY:
        if regexp.match(value):
            tag = candidate
            break
    if len(value) <= 40 and len(_KNOWN_PLAIN) < _KNOWN_LIMIT:
        _KNOWN_PLAIN[value] = tag
    return tag


MAX_FILE_BYTES = 16 * 1024 * 1024
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_constructor = yaml.constructor.SafeConstructor()

JsonPath = tuple  # tuple[str | int, ...]


@dataclass
class Document:
    """One parsed YAML file: its data, where it is, and what went wrong while reading it."""

    file: str  # as the contributor sees it in the repository, e.g. content/users/alice.yaml
    abspath: Path | str  # a str when it comes from the build cache (a Path per file is slow to unpickle)
    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    implicit: dict[JsonPath, str] = field(default_factory=dict)  # plain scalar -> the YAML 1.1 type it got
    root: yaml.Node | None = field(default=None, repr=False)
    digest: bytes = b""  # of the file's bytes (the build cache's key for what depends on this file)

    def problem(self, path: JsonPath, code: str, message: str, hint: str = "", key: bool = False) -> Problem:
        """A :class:`Problem` at the node of ``path`` in this document (its key when ``key``)."""
        line, col = self.locate(path, key=key)
        return Problem(self.file, line, col, code, message, hint, tuple(path))

    def locate(self, path: JsonPath, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the deepest node along ``path`` that exists."""
        node = self.root if self.root is not None else _compose_quietly(self.abspath)
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for part in path:
            child, key_node = _child(node, part)
            if child is None:
                break
            node = child
            mark = key_node.start_mark if (key and key_node is not None) else child.start_mark
        return (mark.line + 1, mark.column + 1)

    def release(self) -> None:
        """Drop the node tree (positions are re-read from disk on demand)."""
        self.root = None


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.MappingNode):
        found = (None, None)
        for key_node, value_node in node.value:  # last one wins, as in the data
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                found = (value_node, key_node)
        return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part], None
    return None, None


def _compose_quietly(abspath: Path | str) -> yaml.Node | None:
    try:
        return yaml.compose(Path(abspath).read_bytes().decode("utf-8-sig"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk load.

    Content is trees of dicts, lists and strings without cycles, so the collector frees nothing, yet it
    rescans the whole growing heap again and again: measured at 3x the cost of parsing itself at 3,000
    files. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_document(abspath: Path, file: str) -> Document:
    """Read and parse one YAML file; every failure becomes a problem on the document, never an exception."""
    doc = Document(file=file, abspath=abspath)
    try:
        if abspath.stat().st_size > MAX_FILE_BYTES:
            size = abspath.stat().st_size // (1024 * 1024)
            doc.problems.append(
                Problem(
                    file,
                    1,
                    1,
                    "file-too-large",
                    f"file is {size} MiB, the limit is 16 MiB",
                    "split the content, or link large data as a resource instead of embedding it",
                )
            )
            return doc
        raw = abspath.read_bytes()
        doc.digest = digest(raw)
    except OSError as exc:
        doc.problems.append(Problem(file, 1, 1, "unreadable", f"cannot read the file: {exc.strerror}"))
        return doc
    text = _decode(raw, doc)
    if text is None:
        return doc
    parse_text(text, doc)
    return doc


def _decode(raw: bytes, doc: Document) -> str | None:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        doc.problems.append(
            Problem(
                doc.file,
                line,
                1,
                "binary-file",
                "the file contains NUL bytes: it is not a text file",
                "content files are UTF-8 YAML; put binary data elsewhere",
            )
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc.problems.append(
            Problem(
                doc.file,
                line,
                col,
                "invalid-utf8",
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                "save the file as UTF-8",
            )
        )
        return None


def parse_text(text: str, doc: Document) -> None:
    """Parse ``text`` into ``doc`` (data, node tree, problems)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        doc.problems.append(
            Problem(
                doc.file,
                line,
                col,
                "yaml-syntax",
                message or "invalid YAML",
                "check the indentation and quoting around this line",
            )
        )
        return
    except (yaml.YAMLError, RecursionError) as exc:
        doc.problems.append(Problem(doc.file, 1, 1, "yaml-syntax", f"invalid YAML: {exc}"[:300]))
        return
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        doc.problems.append(
            Problem(
                doc.file,
                mark.line + 1,
                mark.column + 1,
                "yaml-multiple-documents",
                "the file holds several YAML documents",
                "keep one document per file",
            )
        )
    if not nodes or nodes[0] is None:
        doc.problems.append(Problem(doc.file, 1, 1, "empty-file", "the file is empty", "fill it in or delete it"))
        return
    doc.root = nodes[0]
    try:
        doc.data = _Builder(doc).build(nodes[0], ())
    except RecursionError:
        doc.data = None
        doc.problems.append(Problem(doc.file, 1, 1, "yaml-too-deep", "the YAML is nested too deeply"))


class _Builder:
    """Turns a composed node tree into dicts, lists and scalars, recording problems on the way."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.seen: set[int] = set()

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        if type(node) is yaml.ScalarNode and node.tag == STR and "anchor" not in node.__dict__:
            return node.value  # most of a file: text (what _scalar returns for it, sooner)
        if id(node) in self.seen or getattr(node, "anchor", None):
            # PyYAML's composer hands back the very same node object for an alias
            self._problem(
                node,
                path,
                "yaml-alias",
                "YAML anchors and aliases are not allowed in content",
                "write the value out in full",
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, SEQ, path)
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        self._check_tag(node, MAP, path)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(
                    key_node, path, "yaml-complex-key", "a key must be plain text", "use a simple word as the key"
                )
                continue
            key = key_node.value  # keys are text as written: `no:` is the key "no", never False
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(
                    key_node,
                    path,
                    "yaml-merge-key",
                    "YAML merge keys (<<) are not allowed",
                    "write the keys out in full",
                )
                continue
            if key in first_line:
                self._problem(
                    key_node,
                    path,
                    "duplicate-key",
                    f"duplicate key '{key}' (first at line {first_line[key]})",
                    "keep one of the two: YAML readers silently drop the first",
                )
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, path + (key,))
        return result

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        tag = node.tag
        if tag == STR:
            return node.value
        if node.style:  # quoted or block scalar with an explicit tag (plain is None, or "" from libyaml)
            self._check_tag(node, STR, path)
            return node.value
        if tag == NULL:
            return None
        if tag == TIMESTAMP:
            self.doc.implicit[path] = "date"
            return node.value
        constructors = {
            BOOL: _constructor.construct_yaml_bool,
            INT: _constructor.construct_yaml_int,
            FLOAT: _constructor.construct_yaml_float,
        }
        if tag not in constructors:
            self._check_tag(node, STR, path)
            return node.value
        try:
            value = constructors[tag](node)
        except (ValueError, yaml.YAMLError):
            return node.value
        if value != value or value in (float("inf"), float("-inf")):
            value = node.value  # NaN and infinities have no JSON form: keep the text
        self.doc.implicit[path] = {BOOL: "boolean", INT: "number", FLOAT: "number"}[tag]
        return value

    def _check_tag(self, node: yaml.Node, expected: str, path: JsonPath) -> None:
        if node.tag != expected and node.tag not in (STR, INT, FLOAT, BOOL, NULL, TIMESTAMP):
            self._problem(node, path, "yaml-tag", f"the YAML tag {node.tag} is not allowed", "remove the tag")

    def _problem(self, node: yaml.Node, path: JsonPath, code: str, message: str, hint: str) -> None:
        mark = node.start_mark
        self.doc.problems.append(
            Problem(self.doc.file, mark.line + 1, mark.column + 1, code, message, hint, tuple(path))
        )


def repo_root_of(content_dir: Path) -> Path:
    """The git work tree holding ``content_dir`` (paths are shown relative to it), else its parent."""
    for folder in (content_dir, *content_dir.parents):
        if (folder / ".git").exists():
            return folder
    return content_dir.parent


def display_path(abspath: Path, repo_root: Path) -> str:
    """The path a contributor sees in the repository (relative to the repo root, POSIX separators)."""
    try:
        return abspath.relative_to(repo_root).as_posix()
    except ValueError:
        return os.path.relpath(abspath, repo_root).replace(os.sep, "/")


@dataclass
class Entry:
    """A content file: where it is, what it is, and (for YAML) its parsed document."""

    location: Location
    doc: Document | None = None

    @property
    def valid(self) -> bool:
        """Parsed and schema-valid, so cross-file rules may rely on its shape."""
        return self.doc is not None and not self.doc.problems

    @property
    def data(self) -> Any:
        return self.doc.data if self.doc is not None else None
