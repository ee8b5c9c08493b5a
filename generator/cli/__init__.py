"""The ``portal`` command: Click options in, one library call, an exit code out.

Nothing here decides anything: each command calls one function of the library and maps its result or its
:class:`~generator.errors.PortalError` to output and an exit code (0 ok, 1 problems found, 2 usage). The
group lives here; each family of commands has its own module that registers on it.
"""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal")
def main() -> None:
    """An open-data portal that lives in git."""


from . import content, contrib, dashboard, deploy, harvest, roles, site  # noqa: E402,F401  (modules register their commands on `main`)
