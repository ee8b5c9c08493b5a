"""Replay a console transcript of docs/contributing.md for real: ``$ portal ...`` runs the command, ``$ git ...``
and other programs run in the repository, ``export``/``unset`` change the environment as a shell would;
what each command prints is compared with the lines that follow it in the document.

Commit ids, resource ids and the repository's folder differ from run to run: :func:`normalize` writes them
the same way on both sides. A command whose output starts with ``portal:`` must fail (exit 1 or 2); every
other command must succeed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

FOLDER = "~/portail"  # how the document writes the repository's folder
_SHA = re.compile(r"\b[0-9a-f]{10}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@dataclass
class Step:
    command: str
    expected: list[str]
    line: int  # in the document


def steps(document: str, heading: str) -> list[Step]:
    """The ``$`` commands of every ```console block in the section under ``heading``, with what they print."""
    found: list[Step] = []
    section, inside = False, False
    for number, line in enumerate(document.splitlines(), 1):
        if line.startswith("## "):
            section = line == heading
        elif section and line == "```console":
            inside = True
        elif inside and line == "```":
            inside = False
        elif inside and line.startswith("$ "):
            found.append(Step(line[2:], [], number))
        elif inside and found:
            found[-1].expected.append(line)
    return found


def normalize(text: str, root: Path) -> str:
    text = text.replace(str(root), FOLDER)
    return _UUID.sub("<id>", _SHA.sub("<sha>", text)).rstrip("\n")


def run(step: Step, root: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run one line as a shell would (without a shell): the exit code and what it printed."""
    words = shlex.split(step.command)
    if words[0] == "export":
        env.update(word.split("=", 1) for word in words[1:])
        return 0, ""
    if words[0] == "unset":
        for word in words[1:]:
            env.pop(word, None)
        return 0, ""
    if words[0] == "portal":
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        old = Path.cwd()
        try:
            os.chdir(root)
            result = CliRunner().invoke(main, words[1:])
        finally:
            os.chdir(old)
            os.environ.clear()
            os.environ.update(saved)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{step.command}: {result.exception!r}\n{result.output}") from result.exception
        return result.exit_code, result.output
    done = subprocess.run(words, cwd=root, env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr
