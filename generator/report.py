"""Turn problems into text for people, JSON for tools, or GitHub workflow annotations."""

from __future__ import annotations

import json

from .errors import Problem

FORMATS = ("text", "json", "github")


def render(problems: list[Problem], fmt: str, checked: int) -> str:
    """The report of ``problems`` found in ``checked`` files, in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps(
            {"ok": not problems, "files": checked, "problems": [p.as_dict() for p in problems]},
            indent=2,
            ensure_ascii=False,
        )
    lines = [p.as_text() for p in problems] if fmt == "text" else [_github(p) for p in problems]
    summary = (
        f"{len(problems)} problem(s) in {len({p.file for p in problems})} file(s), {checked} files checked"
        if problems
        else f"ok: {checked} files checked, no problem"
    )
    return "\n".join([*lines, summary])


def _github(problem: Problem) -> str:
    message = f"{problem.code}: {problem.message}" + (f" ({problem.hint})" if problem.hint else "")
    return (
        f"::error file={_escape_property(problem.file)},line={problem.line},col={problem.col},"
        f"title={_escape_property(problem.code)}::{_escape_data(message)}"
    )


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping: a newline in a message would end the command early
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
