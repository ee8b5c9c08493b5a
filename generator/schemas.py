"""The JSON Schemas of ``schemas/``: loaded once, compiled once, and read back for error messages.

Each kind of content file has one draft 2020-12 schema; shared types live in ``common.schema.json`` and
are reached by relative ``$ref`` so that editors (yaml-language-server) resolve them from disk too.
Validators are compiled once per process (recompiling per file costs 20x the validation itself).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema_rs

from .errors import PortalError


def schemas_dir() -> Path:
    """``schemas/`` of the project (a source checkout) or the copy packaged inside the wheel."""
    packaged = Path(__file__).parent / "_data" / "schemas"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "schemas"


@cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _retrieve(uri: str) -> dict[str, Any]:
    """Only local schema files may be referenced: validation never touches the network."""
    parts = urlsplit(uri)
    path = Path(unquote(parts.path)).resolve()
    if parts.scheme != "file" or path.parent != schemas_dir().resolve():
        raise PortalError(f"schema reference outside schemas/: {uri}")
    return _load(path)


@cache
def validator(kind: str) -> Any:
    """The compiled validator for ``kind`` (e.g. ``dataset``), built once per process."""
    path = (schemas_dir() / f"{kind}.schema.json").resolve()
    return jsonschema_rs.validator_for(_load(path), base_uri=path.as_uri(), retriever=_retrieve, validate_formats=True)


def at_location(uri: str) -> Any:
    """The schema value at an absolute keyword location ``file:///.../x.schema.json#/a/b``."""
    file_part, _, pointer = uri.partition("#")
    node: Any = _load(Path(unquote(urlsplit(file_part).path)).resolve())
    for token in pointer.split("/")[1:]:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def subschema(kind: str, path: tuple) -> tuple[dict[str, Any], Path] | None:
    """The schema governing the value at JSON ``path`` of a ``kind`` document (``$ref`` followed), and
    the schema file it sits in; None where the schema has no such place."""
    here = (schemas_dir() / f"{kind}.schema.json").resolve()
    node, here = _follow(_load(here), here)
    for part in path:
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if not isinstance(child, dict):
            return None
        node, here = _follow(child, here)
    return node, here


def _follow(node: dict, here: Path) -> tuple[dict, Path]:
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        if target:
            here = (here.parent / target).resolve()
        resolved = at_location(here.as_uri() + "#" + pointer)
        node = {**resolved, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, here


def accepts_date(found: tuple[dict[str, Any], Path] | None) -> bool:
    """Whether a place (as returned by :func:`subschema`) takes a date or date-time written unquoted."""
    if found is None:
        return False
    node, here = found
    if node.get("format") in ("date", "date-time"):
        return True
    return any(accepts_date(_follow(alt, here)) for alt in node.get("anyOf", []))
