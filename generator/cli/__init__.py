"""The ``portal`` command: Click options in, one library call, an exit code out.

Nothing here decides anything: each command calls one function of the library and maps its result or its
:class:`~generator.errors.PortalError` to output and an exit code (0 ok, 1 problems found, 2 usage). The
group lives in :mod:`generator.cli.common`; each family of commands has its own module that registers on it,
and importing this package imports them all.
"""

from __future__ import annotations

from . import content, contrib, dashboard, deploy, harvest, roles, site  # noqa: F401  (they register their commands)
from .common import main

__all__ = ["main"]
