"""What can go wrong while harvesting, as :class:`~generator.errors.PortalError` subclasses.

A whole-catalogue failure (network, unparseable document) raises; a problem with one remote record is a
value (:class:`~generator.harvest.mapping.Record` with an ``error``), logged in the job and skipped.
"""

from __future__ import annotations

from ..errors import PortalError


class HarvestError(PortalError):
    """Root of the harvesting errors: the job fails, no dataset changes."""

    exit_code = 1


class FetchError(HarvestError):
    """The catalogue (or one of its pages) could not be downloaded."""


class CatalogueError(HarvestError):
    """The catalogue was downloaded but cannot be read (not RDF, not JSON, not the expected shape)."""
