"""cptref: a CPT coding reference for the command line and for scripts.

The library API: ``load_catalog()`` returns a :class:`Catalog`; ``catalog.get("47555")`` a
:class:`Procedure`; ``cptref.search.search(catalog, "balloon dilation biliary")`` ranked
results. Importing this
package imports nothing heavy; each name is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "CptrefError",
    "DataErrors",
    "ExitCode",
    "Procedure",
    "UnknownCode",
    "__version__",
    "load_catalog",
]

if TYPE_CHECKING:
    from .errors import CptrefError, DataErrors, ExitCode, UnknownCode
    from .library.catalog import Catalog, load_catalog
    from .model.records import Procedure

_WHERE = {
    "Catalog": "library.catalog",
    "load_catalog": "library.catalog",
    "CptrefError": "errors",
    "DataErrors": "errors",
    "ExitCode": "errors",
    "UnknownCode": "errors",
    "Procedure": "model.records",
}


if not TYPE_CHECKING:  # mypy sees the names imported above, and no other

    def __getattr__(name: str) -> object:
        from cptref.lazy import attribute

        return attribute(__name__, _WHERE, name)
