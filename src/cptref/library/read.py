"""Reading data directories into a store: the one place that parses a whole library.

:func:`read_store` parses every record, source and family file of the data directories (layered,
lowest first) and a user's licensed descriptor file, and checks what holds across files (source
ids, families, self references). The compiled index (:mod:`cptref.index`) is built from its
result; :mod:`cptref.catalog` reads it when no index can be used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cptref.errors import Problem
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import RULE_FIELDS, facts

from . import paths as resources
from .stores import MemoryStore

if TYPE_CHECKING:
    from .fields import Progress, RawHook


def read_families(root: Path) -> tuple[dict[str, Family], list[Problem]]:
    from .pack import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.families, []
    path = root / resources.FAMILIES
    if not path.exists():
        return {}, []
    from .fields import load_list

    items, problems = load_list(path, Family)
    return {f.id: f for f in items}, problems


def read_sources(root: Path, base: bool) -> tuple[dict[str, Source], list[Problem]]:
    """A directory's sources; only the lowest layer must have a sources.yaml (the others may cite it)."""
    from .pack import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.sources, []
    if not base and not resources.sources_file(root).exists():
        return {}, []
    from .fields import load_sources

    return load_sources(root)


class Shared(NamedTuple):
    """The sources and families of every layer, where each came from, and what a later layer redefined."""

    sources: dict[str, Source]
    families: dict[str, Family]
    problems: list[Problem]
    origins: dict[str, str]
    """``family:<id>`` and ``source:<id>`` -> the data directory that defines it (several layers only)."""
    overrides: list[tuple[str, str, Path]]
    """(``family`` or ``source``, id, the directory) for each id a later layer defines again."""


def read_shared(roots: Sequence[Path]) -> Shared:
    """The sources and families of every layer, the later layer winning for an id."""
    sources: dict[str, Source] = {}
    families: dict[str, Family] = {}
    problems: list[Problem] = []
    origins: dict[str, str] = {}
    overrides: list[tuple[str, str, Path]] = []
    for root in roots:
        found_sources, found = read_sources(root, base=root == roots[0])
        problems.extend(found)
        found_families, found = read_families(root)
        problems.extend(found)
        for kind, mine, theirs in (("source", found_sources, sources), ("family", found_families, families)):
            for key in mine:
                if key in theirs:
                    overrides.append((kind, key, root))
                if len(roots) > 1:
                    origins[f"{kind}:{key}"] = os.fsdecode(root)
        sources.update(found_sources)
        families.update(found_families)
    return Shared(sources, families, problems, origins, overrides)


def read_descriptors(path: Path | None) -> tuple[dict[str, str], list[Problem]]:
    """A user's licensed descriptor file (none: nothing)."""
    if path is None:
        return {}, []
    from .fields import load_descriptors

    return load_descriptors(path)


def read_store(
    roots: Path | Sequence[Path],
    progress: Progress | None = None,
    on_raw: RawHook | None = None,
    descriptors: Path | None = None,
) -> tuple[MemoryStore, list[Problem]]:
    """Parse every file of the data directories (and a licensed descriptor file, when given): the
    records in memory, the later directory's record winning for a code, and every problem found."""

    layered = [roots] if isinstance(roots, Path) else list(roots)
    records: dict[str, Procedure] = {}
    origins: dict[str, Path] = {}
    problems: list[Problem] = []
    for root in layered:
        found_records, found = _records_of(root, progress, on_raw)
        problems.extend(found)
        for record in found_records:
            records[record.code] = record
            origins[record.code] = root
    shared = read_shared(layered)
    problems.extend(shared.problems)
    official, found = read_descriptors(descriptors)
    problems.extend(found)
    store = MemoryStore(
        records.values(),
        shared.sources,
        shared.families,
        official,
        origins if len(layered) > 1 else None,
        shared.origins,
        shared.overrides,
    )
    problems.extend(integrity(store, layered))
    return store, problems


def layer_codes(root: Path) -> list[str]:
    """The codes a layer has a record file for (a packed library: a record), by their file names."""
    from .fields import procedure_names
    from .pack import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.codes()
    return [name[: -len(".yaml")] for name in procedure_names(root)]


def _records_of(root: Path, progress: Progress | None, on_raw: RawHook | None) -> tuple[list[Procedure], list[Problem]]:
    """A layer's records: its record files parsed, or a packed library's records (checked when packed)."""
    from .fields import load_procedures
    from .pack import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return list(pack.records()), []
    return load_procedures(root, progress, on_raw)


def integrity(store: MemoryStore, roots: Sequence[Path]) -> list[Problem]:
    """Cross-file problems: unknown source ids and families, self references, misplaced fields."""
    from .fields import display_path

    problems: list[Problem] = []
    base = roots[-1] if roots else Path(".")
    for record in store.records():
        problems.extend(record_problems(record, store.sources, store.families))
    for i, problem in enumerate(problems):  # a file's name is worked out only for a problem (rare)
        code = problem.file
        name = display_path(resources.procedure_file(store.origin(code) or base, code))
        problems[i] = Problem(name, problem.field, problem.message)
    problems.extend(family_problems(store.families, store.sources, base))
    return problems


def family_problems(families: Mapping[str, Family], sources: Mapping[str, object], base: Path) -> list[Problem]:
    """The unknown source ids the families cite (named in ``base``'s families file)."""
    from .fields import display_path

    problems: list[Problem] = []
    for family in families.values():
        for field in RULE_FIELDS:
            for i, entry in enumerate(getattr(family, field)):
                for j, sid in enumerate(entry.sources):
                    if sid not in sources:
                        where = f"$[{family.id}].{field}[{i}].sources[{j}]"
                        problems.append(
                            Problem(display_path(base / resources.FAMILIES), where, f"unknown source id {sid!r}")
                        )
    return problems


def record_problems(record: Procedure, sources: Mapping[str, object], families: Mapping[str, object]) -> list[Problem]:
    """What is wrong with one valid record against the sources and families it may cite (each
    problem's ``file`` is the record's code, for the caller to turn into its file's name)."""
    problems: list[Problem] = []
    name = record.code

    def cite(field: str, ids: Sequence[str]) -> None:
        for i, sid in enumerate(ids):
            if sid not in sources:
                problems.append(Problem(name, f"{field}.sources[{i}]", f"unknown source id {sid!r}"))

    if record.family and record.family not in families:
        problems.append(Problem(name, "$.family", f"unknown family {record.family!r}"))
    for path, fact in facts(record):
        cite(path, fact.sources)
        if record.code in getattr(fact, "codes", ()):  # a rule names its codes
            problems.append(Problem(name, f"{path}.codes", "a record names itself"))
    if record.add_on and record.code in record.add_on.primaries:
        problems.append(Problem(name, "$.add_on.primaries", "a record names itself"))
    for field in ("related", "replaced_by"):
        if record.code in getattr(record, field):
            problems.append(Problem(name, f"$.{field}", "a record names itself"))
    if record.replaced_by and record.status != "deleted":
        problems.append(Problem(name, "$.replaced_by", "only a deleted record has a replacement"))
    return problems
