"""Lint a data directory: everything the loader checks, plus rules across records and formatting.

Errors make the data unusable or wrong; warnings are what a careful author fixes (a code named in
a relationship with no record of its own, a key out of the canonical order). ``strict`` turns
every warning into an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from msgspec import Struct

from cptref.errors import DataErrors, Problem, cap_per_file, quoted
from cptref.model.codes import in_range
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import facts, named_codes

from . import paths
from .catalog import Catalog, read_catalog
from .fields import nested
from .paths import display_path
from .read import procedure_paths
from .safe_yaml import duplicate_keys, read_bytes, read_yaml


class Report(Struct, frozen=True):
    root: Path
    files: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


_FACT_ORDER = ("add_on", "includes", "report_with", "not_with", "history", "medicare")
"""The facts a record file's warnings name, in the order they are listed."""


def _warn(file: str, field: str, message: str) -> Problem:
    return Problem(file, field, message, "warning")


def _official_primaries(catalog: Catalog, record: Procedure) -> bool:
    """Whether ``record``'s primaries were read from a CMS add-on code edit table (a source with
    ``table.kind: aoc``): such a list is complete only with every primary the table names, so a
    primary with no record of its own is expected there, not a dangling reference."""
    add_on = record.add_on
    if add_on is None:
        return False
    for source_id in add_on.sources:
        source = catalog.sources.get(source_id)
        if source is not None and source.table is not None and source.table.kind == "aoc":
            return True
    return False


def relations(catalog: Catalog, only: Path | None = None) -> list[Problem]:
    """Rules between records: dangling references, add-on chains, deleted codes, family ranges
    (for the records of the directory ``only``, when given)."""
    problems: list[Problem] = []
    base = catalog.root or Path(".")
    for record in catalog:
        origin = catalog.origin(record.code) or base
        if only is not None and origin != only:
            continue
        name = display_path(paths.procedure_file(origin, record.code))
        official = _official_primaries(catalog, record)
        for field, code in named_codes(record):
            if code not in catalog and not (official and field.startswith("$.add_on.primaries[")):
                problems.append(_warn(name, field, f"{code} has no record in the library (dangling reference)"))
        if record.add_on:
            for i, code in enumerate(record.add_on.primaries):
                if code in catalog and catalog.get(code).add_on is not None:
                    problems.append(
                        _warn(name, f"$.add_on.primaries[{i}]", f"primary {code} is itself an add-on (add-on chain)")
                    )
        if record.status == "deleted" and not record.replaced_by and not record.note:
            problems.append(
                Problem(name, "$.replaced_by", "a deleted record needs replaced_by, or a note saying why none is given")
            )
        for i, code in enumerate(record.replaced_by):
            if code in catalog and catalog.get(code).status == "deleted":
                problems.append(_warn(name, f"$.replaced_by[{i}]", f"replacement {code} is itself deleted"))
        for field, fact in facts(record, _FACT_ORDER):
            if fact.confidence != "low" and _only_ai(catalog, fact.sources):
                problems.append(
                    Problem(
                        name,
                        f"{field}.confidence",
                        f"{fact.confidence} confidence rests only on AI-generated sources: at most low",
                    )
                )
        family = catalog.families.get(record.family) if record.family else None
        if family and not any(in_range(record.code, r) for r in family.ranges):
            problems.append(_warn(name, "$.family", f"{record.code} is outside the ranges of family {family.id!r}"))
    return problems


def family_decisions(catalog: Catalog, only: Path | None = None) -> list[Problem]:
    """A family's ``decide_with`` names known families, each once (for the families defined in the
    directory ``only``, when given): an unknown id would silently ask for no decision at all."""
    problems: list[Problem] = []
    base = catalog.root or Path(".")
    for family in catalog.families.values():
        origin = catalog.family_origin(family.id) or (catalog.roots[0] if catalog.roots else base)
        if only is not None and origin != only:
            continue
        name = display_path(origin / paths.FAMILIES_FILE)
        seen: set[str] = set()
        for i, other in enumerate(family.decide_with):
            where = f"$[{family.id}].decide_with[{i}]"
            if other not in catalog.families:
                problems.append(Problem(name, where, f"unknown family {other!r}"))
            elif other in seen:
                problems.append(_warn(name, where, f"family {other!r} is named twice"))
            seen.add(other)
    return problems


def redefinitions(catalog: Catalog, root: Path) -> list[Problem]:
    """A family or source of ``root`` that a lower layer (the shipped data) defines too: it silently
    changes shipped facts, so it is a warning (an error with --strict)."""
    return redefined(getattr(catalog.store, "overrides", []), root)


def redefined(overrides: Sequence[tuple[str, str, Path]], root: Path) -> list[Problem]:
    """The warnings of :func:`redefinitions`, from a store's ``overrides`` ((kind, id, directory))."""
    from .pack.file import is_pack

    packed = is_pack(root)
    problems: list[Problem] = []
    for kind, key, where in overrides:
        if where != root:
            continue
        if kind == "family":
            name = display_path(root if packed else root / paths.FAMILIES_FILE)
            what = (
                f"redefines the shipped family {key!r}: its rules then apply to the shipped codes of that family "
                "(show names this directory beside them)"
            )
        else:
            name = display_path(root if packed else paths.sources_file(root))
            what = (
                f"redefines the shipped source {key!r}: the shipped facts that cite it then show your title and address"
            )
        problems.append(_warn(name, f"meta[{kind} {key}]" if packed else f"$[{key}]", what))
    return problems


def replacements(root: Path, base: Path) -> list[Problem]:
    """A record of the overlay ``root`` (a directory or a packed library) whose code ``base`` (the
    shipped data) has a record of too: commands then show and check the overlay's, so it is a
    warning (an error with --strict), as a redefined family is."""
    from .pack.file import is_pack
    from .read import layer_codes

    shipped = set(layer_codes(base))
    packed = is_pack(root)
    problems: list[Problem] = []
    for code in layer_codes(root):
        if code not in shipped:
            continue
        name = display_path(root if packed else paths.procedure_file(root, code))
        problems.append(
            _warn(
                name,
                f"records[{code}]" if packed else "$",
                f"replaces the shipped record of {code}: commands show and check this one instead",
            )
        )
    return problems


def _only_ai(catalog: Catalog, sources: Sequence[str]) -> bool:
    kinds = {catalog.sources[s].kind for s in sources if s in catalog.sources}
    return bool(sources) and kinds == {"ai-generated"}


# --- canonical form ---------------------------------------------------------------------------------


@cache
def _nested_by_key() -> dict[str, tuple[type[msgspec.Struct], bool]]:
    """The keys of a record or family file that hold records of their own (a list of them, or one),
    read off the types: in any mapping of those files, a key of these holds those records."""
    return {**nested(Family), **nested(Procedure)}


def _order_problems(raw: Any, cls: type[msgspec.Struct], path: str, file: str, out: list[Problem]) -> None:
    if not isinstance(raw, dict):
        return
    order = [f.name for f in msgspec.structs.fields(cls)]
    keys = [k for k in raw if k in order]
    if keys != sorted(keys, key=order.index):
        expected = ", ".join(sorted(keys, key=order.index))
        out.append(_warn(file, path, f"keys out of the canonical order; expected: {expected}"))
    held = _nested_by_key()
    for key, value in raw.items():
        if key not in held:
            continue
        inner, many = held[key]
        if not many:
            _order_problems(value, inner, f"{path}.{key}", file, out)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                _order_problems(item, inner, f"{path}.{key}[{i}]", file, out)


def _format_problems(path: Path, out: list[Problem]) -> None:
    import yaml

    name = display_path(path)
    try:
        text = read_bytes(path, name).decode("utf-8-sig")
        twice = duplicate_keys(text)
    except (DataErrors, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return  # the loader has reported it
    for number, key in twice:
        twice_said = f"line {number}: key {quoted(key)} is given twice in one mapping; YAML keeps only the last"
        out.append(_warn(name, "$", twice_said))
    if "\r" in text:
        out.append(_warn(name, "$", "Windows line endings; the canonical form uses \\n"))
    if text and not text.endswith("\n"):
        out.append(_warn(name, "$", "no newline at the end of the file"))
    for number, line in enumerate(text.splitlines(), 1):
        if "\t" in line:
            out.append(_warn(name, "$", f"line {number}: tab character; indent with spaces"))
        elif line != line.rstrip():
            out.append(_warn(name, "$", f"line {number}: trailing white space"))


def canonical_record(path: Path, raw: Any, out: list[Problem]) -> None:
    """Key order and plain formatting of one record file, whose YAML is already parsed."""
    _format_problems(path, out)
    _order_problems(raw, Procedure, "$", display_path(path), out)


def canonical_lists(root: Path) -> list[Problem]:
    """Key order and plain formatting of ``sources.yaml`` and ``families.yaml``."""
    out: list[Problem] = []
    for path, cls in ((paths.sources_file(root), Source), (root / paths.FAMILIES_FILE, Family)):
        if not paths.present(path):
            continue
        try:
            raw = read_yaml(path)  # first: it refuses a pipe, a device or a huge file before reading
        except DataErrors:
            continue
        _format_problems(path, out)
        if isinstance(raw, list):
            for i, item in enumerate(raw):
                _order_problems(item, cls, f"$[{i}]", display_path(path), out)
    return out


def _inside(problem: Problem, root: Path) -> bool:
    shown = display_path(root)  # as the problem names its file: a symlink loop or a name that is not UTF-8
    if problem.file == shown or problem.file.startswith(shown.rstrip(os.sep) + os.sep):
        return True
    try:
        return Path(problem.file).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


def validate_pack(root: Path, strict: bool = False, base: Path | None = None) -> Report:
    """Every problem of the packed library ``root``, as :func:`validate` finds those of a directory:
    the file read as untrusted (its tables, each row checked against its record), then its records
    layered over ``base`` (references, families, sources) and what it redefines of ``base``."""
    from .pack.file import Pack

    try:
        with Pack(root) as pack:
            files = sum(1 for _ in pack.checked_rows())
            _ = pack.sources, pack.families  # decoded: checked
    except DataErrors as exc:
        return Report(root, 0, exc.problems)
    layered = base is not None and base.resolve() != root.resolve()
    roots = [base, root] if layered and base is not None else [root]
    try:
        catalog, problems = read_catalog(roots)
    except DataErrors as exc:
        return Report(root, files, exc.problems)
    problems = problems + relations(catalog, root if layered else None)
    problems += family_decisions(catalog, root if layered else None)
    if layered and base is not None:
        problems += redefinitions(catalog, root) + replacements(root, base)
        problems = [p for p in problems if _inside(p, root)]
    problems = [_in_pack(p, root) for p in problems]
    if strict:
        problems = [msgspec.structs.replace(p, severity="error") for p in problems]
    return Report(root, files, tuple(problems))


def _in_pack(problem: Problem, root: Path) -> Problem:
    """A problem named in the files a pack was made from (``PACK/procedures/CODE.yaml``,
    ``PACK/families.yaml``), named in the pack instead: its table and row."""
    shown = display_path(root)
    inside = problem.file[len(shown) + 1 :] if problem.file.startswith(shown + os.sep) else None
    if inside is None:
        return problem
    rest = problem.field[1:] if problem.field.startswith("$") else f" {problem.field}"
    folder, _, name = inside.rpartition(os.sep)
    if folder == paths.PROCEDURES_DIR and name.endswith(".yaml"):
        return msgspec.structs.replace(problem, file=shown, field=f"records[{name[: -len('.yaml')]}]{rest}")
    if inside in (paths.FAMILIES_FILE, paths.SOURCES_FILE):
        return msgspec.structs.replace(problem, file=shown, field=f"meta[{inside.partition('.')[0]}]{rest}")
    return problem


def validate(root: Path, strict: bool = False, base: Path | None = None) -> Report:
    """Every problem in the data directory ``root``; with ``strict``, warnings count as errors.

    With ``base`` (the shipped data, for a user's own directory), ``root`` is read layered over it,
    as the commands read it: its records may cite the base's sources and name the base's codes.
    Only problems in ``root``'s own files are reported.
    """
    if not paths.is_directory(root):
        info = paths.stat_or_none(root)
        what = (
            paths.absence(root)
            if info is None
            else "is not a directory: a named pipe, a socket or a device is never read"
            if paths.is_special(info)
            else "is not a directory"
        )
        return Report(root, 0, (Problem(display_path(root), "$", f"the data directory {what}"),))
    try:
        files = len(procedure_paths(root))
    except DataErrors as exc:
        return Report(root, 0, exc.problems)
    form: list[Problem] = []
    layered = base is not None and base.resolve() != root.resolve()
    roots = [base, root] if layered and base is not None else [root]
    catalog, problems = read_catalog(roots, on_raw=lambda path, raw: canonical_record(path, raw, form))
    problems = problems + relations(catalog, root if layered else None) + form + canonical_lists(root)
    problems += family_decisions(catalog, root if layered else None)
    if layered and base is not None:
        problems += redefinitions(catalog, root) + replacements(root, base)
    if layered:
        problems = [p for p in problems if _inside(p, root)]
    if strict:
        problems = [msgspec.structs.replace(p, severity="error") for p in problems]
    return Report(root, files, tuple(cap_per_file(problems)))
