"""The ``portal`` command: Click options in, one library call, an exit code out.

Nothing here decides anything: each command calls one function of the library and maps its result or its
:class:`~generator.errors.PortalError` to output and an exit code (0 ok, 1 problems found, 2 usage). The
group lives in :mod:`generator.cli.common`; each family of commands has its own module that registers on it,
and importing this package imports them all.
"""

from __future__ import annotations

import contextlib
import os
import sys

from .. import build
from . import content, contrib, dashboard, deploy, harvest, roles, site  # noqa: F401  (they register their commands)
from .common import main

__all__ = ["main", "run"]


def run() -> None:
    """The console script: :func:`main`, which ends the process with the command's exit code; when a build left
    its plan to the end of the process (:func:`generator.build.leave_plans_to_exit`), the process ends at once
    with that code, its output flushed, rather than free the plan object by object."""
    build.leave_plans_to_exit()
    try:
        main()
    except SystemExit as exc:
        if not build.LEFT_TO_EXIT or not (exc.code is None or isinstance(exc.code, int)):
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: what it would print is lost anyway
                stream.flush()
        os._exit(exc.code or 0)
