"""Where the themes shipped with the generator are (the stock theme, ``themes/default``).

A module of its own because both ends of the pipeline need the folder: :mod:`generator.render` loads its
templates, and :mod:`generator.cache` digests it into the generator fingerprint (a changed stock theme
invalidates every cache) without importing the renderer.
"""

from __future__ import annotations

from pathlib import Path


def themes_dir() -> Path:
    """``themes/`` of the project (a source checkout) or the copy packaged inside the wheel."""
    packaged = Path(__file__).parent / "_data" / "themes"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "themes"


def default_theme() -> Path:
    return themes_dir() / "default"
