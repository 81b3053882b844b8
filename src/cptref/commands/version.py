"""``cptref --version``: the program's version and the data's, and with ``--cms`` the CMS tables read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from msgspec import Struct

from cptref.errors import CptrefError, ExitCode
from cptref.output import streams
from cptref.output.safe_text import visible

from .args import CMS_HELP, Opt
from .common import catalog, cms_tables

_Version = Annotated[
    bool,
    Opt(("--version", "-V"), "Print the program's version and the data's release and record count, and exit."),
]
_Cms = Annotated[str | None, Opt(("--cms",), CMS_HELP + " With --version.", metavar="PATH")]


class Args(Struct, frozen=True, kw_only=True):
    """The options of ``cptref`` itself (before any command): ``--version``, and the CMS tables it lists."""

    version: _Version = False
    cms: _Cms = None


def run(args: Args) -> int:
    """The program's version and the data's (its release and record count); with CMS tables (``--cms``,
    ``$CPTREF_CMS``), a line for each table read, with its version and rows."""
    from cptref import __version__
    from cptref.library import paths

    def release(root: Path) -> str:
        from cptref.library.pack.file import Pack, is_pack

        if is_pack(root):
            try:
                with Pack(root) as packed:
                    return f"packed, {packed.release or 'unreleased'}"
            except CptrefError:
                return "unusable"
        return paths.data_release(root) or "unreleased"

    line = f"cptref {__version__}"
    roots = paths.layers()
    families: list[str] = []
    try:
        found = catalog(None)
        over = "".join(f" + {root} ({release(root)})" for root in roots[1:])
        line += f" (data {release(roots[0])}, {len(found)} records, {roots[0]}{over})"
        ordered = sorted(found.families.values(), key=lambda f: (f.ranges[0], f.id))
        families = [f"families ({len(ordered)}; `cptref families` tells more):"]
        families += [f"  {', '.join(f.ranges)}  {f.id}" for f in ordered]
    except CptrefError:
        line += f" (data in {' + '.join(map(str, roots))} is unusable: run `cptref validate`)"
    lines = [line, *families]
    tables = cms_tables(args.cms, quiet=True, required=False)
    if tables is not None:
        with tables:
            summary = tables.summary()
        lines.append(f"CMS tables ({len(summary.tables)}; {len(summary.errors)} errors in the files):")
        lines.extend(f"  {text}" for text in summary.lines())
    streams.write("".join(visible(text, keep=False) + "\n" for text in lines))
    return ExitCode.OK
