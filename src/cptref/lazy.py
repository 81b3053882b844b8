"""A package's public names, each imported from its module on first use (PEP 562).

Every package ``__init__`` that offers names (``cptref``, :mod:`cptref.check`, :mod:`cptref.search`,
:mod:`cptref.cms`) maps each to the module that defines it and takes its ``__getattr__`` from
:func:`names_from`, so importing the package imports none of its modules. Imports nothing of cptref.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def names_from(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """``package``'s ``__getattr__``: each name of ``where`` from the module of ``package`` it maps
    to (``{"check": "engine"}``: ``package.engine.check``), imported when the name is first used."""

    def __getattr__(name: str) -> Any:
        if name in where:
            from importlib import import_module

            return getattr(import_module(f"{package}.{where[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
