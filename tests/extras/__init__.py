"""Tests of the optional extras (``cptref[arrow]``, ``cptref[spark]``, ``cptref[mcp]``, ...), one folder
an extra. In the main suite an extra that is not installed skips its tests; in the extra's own CI
environment (``.ci/run``, ``CPTREF_REQUIRE_EXTRAS=1``) its absence fails them instead, so that step
can never pass by skipping everything."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    """``module`` imported; the calling test module skipped when it is missing, unless
    ``CPTREF_REQUIRE_EXTRAS`` is set (then the import error stands)."""
    if os.environ.get("CPTREF_REQUIRE_EXTRAS"):
        return importlib.import_module(module)
    found: ModuleType = pytest.importorskip(module)
    return found
