"""A package's public names, each imported from its module on first use (PEP 562).

Every package ``__init__`` that offers names (``cptref``, :mod:`cptref.check`, :mod:`cptref.search`,
:mod:`cptref.cms`) maps each to the module that defines it, and its ``__getattr__`` asks
:func:`attribute` (importing this module then, not before), so importing the package imports none of
its modules. Imports nothing of cptref.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def attribute(package: str, where: Mapping[str, str], name: str) -> Any:
    """``package.name``, from the module of ``package`` that ``where`` maps ``name`` to
    (``{"check": "engine"}``: ``package.engine.check``), imported now. ``module:attribute`` gives a
    name under another (a former name kept loading: ``{"Claim": "inputs.base:BatchClaim"}``)."""
    if name not in where:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    from importlib import import_module

    module, _, attribute = where[name].partition(":")
    found = import_module(f".{module}", package)
    for part in (attribute or name).split("."):
        found = getattr(found, part)
    return found
