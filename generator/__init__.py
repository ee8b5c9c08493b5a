"""portal: an open-data portal that lives in git.

The package is a library first; :mod:`generator.cli` is a thin Click layer over it.
"""

__version__ = "0.1.0"
