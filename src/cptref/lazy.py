"""A package's public names, each imported from its module on first use (PEP 562).

Every package ``__init__`` that offers names (``cptref``, :mod:`cptref.check`, :mod:`cptref.search`,
:mod:`cptref.cms`) maps each to the module that defines it and takes its ``__getattr__`` from
:func:`names_from`, so importing the package imports none of its modules. Imports nothing of cptref.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def names_from(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """``package``'s ``__getattr__``: each name of ``where`` from the module it maps to, relative to
    ``package`` (``{"check": "engine"}``: ``package.engine.check``), imported when the name is first
    used. ``module:attribute`` gives a name under another (a former name kept loading:
    ``{"Claim": "inputs.base:BatchClaim"}``)."""

    def __getattr__(name: str) -> Any:
        if name in where:
            from importlib import import_module

            module, _, attribute = where[name].partition(":")
            found = import_module(f".{module}", package)
            for part in (attribute or name).split("."):
                found = getattr(found, part)
            return found
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
