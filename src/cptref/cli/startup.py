"""What the console script does before anything else is imported (imported first by :mod:`cptref.cli.main`).

msgspec, which every command imports, uses ``typing_extensions`` when it is installed and
``typing`` otherwise (its ``_utils`` tries one, then the other). cptref's types need nothing that
``typing`` lacks, and importing ``typing_extensions`` (with the ``inspect`` it pulls in) costs about
8 ms: more than a tenth of a scripted call, paid wherever some other package installed it. So the
console script imports msgspec with ``typing_extensions`` hidden, then un-hides it: a later import
of ``typing_extensions`` (Typer's path, a plugin) gets the real module. Nothing is hidden when either
module is already loaded (cptref used as a library, or in a test run); and should a msgspec release
fail to import without it, msgspec is simply imported later as usual, with it.
"""

from __future__ import annotations

import sys


def import_msgspec() -> None:
    if "msgspec" in sys.modules or "typing_extensions" in sys.modules:
        return
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # an import of it now raises ImportError
    try:
        import msgspec  # noqa: F401
    except ImportError:  # a msgspec release that needs it after all: forget what half-loaded, load it as usual
        for name in [m for m in sys.modules if m == "msgspec" or m.startswith("msgspec.")]:
            del sys.modules[name]
    finally:
        del sys.modules["typing_extensions"]


import_msgspec()
