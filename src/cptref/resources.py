"""The one place that knows where the data lives.

Order: an explicit directory (``--data``), then the ``CPTREF_DATA`` environment variable, then the
data shipped inside the installed package (``cptref/data`` in the wheel), then, when running from a
source checkout, the checkout's ``data/`` folder.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "CPTREF_DATA"
ENV_DESCRIPTORS = "CPTREF_DESCRIPTORS"
"""A user's licensed descriptor file (tab-separated: code, then the official descriptor)."""
PROCEDURES = "procedures"
SOURCES = "sources.yaml"
FAMILIES = "families.yaml"
RELEASE = "RELEASE"
"""A one-line file naming the data's release (a date such as 2026-11-22), shown by --version."""


def shipped_data_dir() -> Path:
    """The data that came with this installation of cptref."""
    package = Path(__file__).resolve().parent
    inside = package / "data"
    if inside.is_dir():
        return inside
    return package.parent.parent / "data"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to read: ``override``, else ``$CPTREF_DATA``, else the shipped data."""
    if override:
        return Path(override)
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env)
    return shipped_data_dir()


def procedures_dir(root: Path) -> Path:
    return root / PROCEDURES


def sources_file(root: Path) -> Path:
    return root / SOURCES


def procedure_file(root: Path, code: str) -> Path:
    return root / PROCEDURES / f"{code}.yaml"


def data_release(root: Path) -> str | None:
    """The release named in the data directory's RELEASE file, or None when there is none."""
    try:
        text = (root / RELEASE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text.splitlines()[0].strip() if text else None


def descriptors_file(override: str | os.PathLike[str] | None = None) -> Path | None:
    """The licensed descriptor file to read: ``override``, else ``$CPTREF_DESCRIPTORS``, else none."""
    if override:
        return Path(override)
    env = os.environ.get(ENV_DESCRIPTORS)
    return Path(env) if env else None
