"""The documentation and the schemas stay true to the code."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from conftest import PROJECT

from generator.errors import CODES
from generator.layout import KINDS_WITH_SCHEMA
from generator.validate import validate

SCHEMAS = PROJECT / "schemas"


def _commands(text: str) -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", text, re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_commands = _commands((PROJECT / "README.md").read_text())
    test_command = next(c for c in readme_commands if "pytest" in c)
    ci_lines = (PROJECT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_example_portal_is_valid() -> None:
    assert [p.as_text() for p in validate(PROJECT / "content").problems] == []


@pytest.mark.parametrize("name", [*KINDS_WITH_SCHEMA, "common"])
def test_schema_is_valid_2020_12_and_documented(name: str) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    undocumented = [
        where for where, node in _properties(schema, name) if not (node.get("title") and node.get("description"))
    ]
    assert undocumented == []


def _properties(node, where):
    if isinstance(node, dict):
        for key, child in node.get("properties", {}).items():
            yield f"{where}.{key}", child
        for key, child in node.items():
            if key != "if":  # conditions of if/then name properties without documenting them
                yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _properties(child, f"{where}[{i}]")


def test_every_object_is_closed() -> None:
    for path in SCHEMAS.glob("*.schema.json"):
        for where, node in _objects(json.loads(path.read_text()), path.name):
            assert "additionalProperties" in node, f"{where} is open"


def _objects(node, where):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, child in node.items():
            yield from _objects(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _objects(child, f"{where}[{i}]")


def test_every_problem_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", (PROJECT / "docs" / "validate.md").read_text(), re.M))
    assert documented == set(CODES)


def test_readme_pins_the_current_distribution_and_version() -> None:
    from generator import __version__
    from generator.edit import DISTRIBUTION

    readme = (PROJECT / "README.md").read_text()
    assert f'pip install "{DISTRIBUTION}=={__version__}"' in readme
    assert "pip install portal" not in readme
