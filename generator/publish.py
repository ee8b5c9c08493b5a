"""What the publishing workflows need from the library: the address a site is published at on a Pages host.

`portal init` writes a ``site.yaml`` whose ``base_url`` is a placeholder (:data:`PLACEHOLDER_BASE_URL`), so a
portal can be published on GitHub Pages or GitLab Pages before anyone has chosen its address: the publish
workflows pass the platform's Pages URL, which counts only while ``base_url`` is still that placeholder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .edit import SCAFFOLD

PLACEHOLDER_BASE_URL: str = yaml.safe_load((SCAFFOLD / "site.yaml").read_text(encoding="utf-8"))["base_url"]


def pages_base_url(content_dir: Path, pages_url: str) -> str | None:
    """The base URL to build with on a Pages host: None (site.yaml's own ``base_url``) unless it is still the
    placeholder, then ``pages_url`` with a trailing slash (GitHub gives it without one)."""
    try:
        data = yaml.safe_load((Path(content_dir) / "site.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # the build's validation reports what is wrong with the file
    current = data.get("base_url") if isinstance(data, dict) else None
    if current != PLACEHOLDER_BASE_URL or not pages_url.strip():
        return None
    return pages_url.strip().rstrip("/") + "/"
