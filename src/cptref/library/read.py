"""Reading data directories into a store: the one place that parses a whole library.

:func:`read_store` parses every record, source and family file of the data directories (layered,
lowest first) and a user's licensed descriptor file, and checks what holds across files (source
ids, families, self references). The compiled index (:mod:`cptref.library.index`) is built from its
result; :mod:`cptref.library.catalog` reads it when no index can be used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cptref.errors import PROBLEMS_PER_FILE, DataErrors, Problem, cap_per_file, more_problems
from cptref.model.codes import CODE_RE
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import RULE_FIELDS, facts

from . import paths
from .fields import T, validated
from .paths import display_path
from .safe_yaml import MAX_DESCRIPTOR_LINE_BYTES, MAX_FILE_BYTES, read_lines, read_yaml
from .stores import MemoryStore

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while many files are read."""

RawHook = Callable[[Path, Any], None]
"""Called as ``hook(path, raw)`` with each record file's parsed YAML (``cptref validate`` lints it)."""


def read_families(root: Path) -> tuple[dict[str, Family], list[Problem]]:
    from cptref.library.pack.file import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.families, []
    path = root / paths.FAMILIES_FILE
    if not paths.present(path):
        return {}, []

    items, problems = load_list(path, Family)
    return {f.id: f for f in items}, problems


def read_sources(root: Path, base: bool) -> tuple[dict[str, Source], list[Problem]]:
    """A directory's sources; only the lowest layer must have a sources.yaml (the others may cite it)."""
    from cptref.library.pack.file import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.sources, []
    if not base and not paths.present(paths.sources_file(root)):
        return {}, []

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
    return store, cap_per_file(problems)


def layer_codes(root: Path) -> list[str]:
    """The codes a layer has a record file for (a packed library: a record), by their file names."""
    from cptref.library.pack.file import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return pack.codes()
    return [name[: -len(".yaml")] for name in procedure_names(root)]


def _records_of(root: Path, progress: Progress | None, on_raw: RawHook | None) -> tuple[list[Procedure], list[Problem]]:
    """A layer's records: its record files parsed, or a packed library's records (each row checked as read)."""
    from cptref.library.pack.file import Pack, is_pack

    if is_pack(root):
        with Pack(root) as pack:
            return list(pack.records()), []
    return load_procedures(root, progress, on_raw)


def integrity(store: MemoryStore, roots: Sequence[Path]) -> list[Problem]:
    """Cross-file problems: unknown source ids and families, self references, misplaced fields."""

    problems: list[Problem] = []
    base = roots[-1] if roots else Path(".")
    for record in store.records():
        problems.extend(record_problems(record, store.sources, store.families))
    for i, problem in enumerate(problems):  # a file's name is worked out only for a problem (rare)
        code = problem.file
        name = display_path(paths.procedure_file(store.origin(code) or base, code))
        problems[i] = Problem(name, problem.field, problem.message)
    problems.extend(family_problems(store.families, store.sources, base))
    return problems


def family_problems(families: Mapping[str, Family], sources: Mapping[str, object], base: Path) -> list[Problem]:
    """The unknown source ids the families cite (named in ``base``'s families file)."""

    problems: list[Problem] = []
    for family in families.values():
        for field in RULE_FIELDS:
            for i, entry in enumerate(getattr(family, field)):
                for j, sid in enumerate(entry.sources):
                    if sid not in sources:
                        where = f"$[{family.id}].{field}[{i}].sources[{j}]"
                        problems.append(
                            Problem(display_path(base / paths.FAMILIES_FILE), where, f"unknown source id {sid!r}")
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


def load_procedure(
    path: Path, on_raw: RawHook | None = None, name: str | None = None
) -> tuple[Procedure | None, list[Problem]]:
    """One record file -> the record (or None) and the problems found in it (each naming the file
    as ``name``, by default :func:`display_path`)."""
    name = name or display_path(path)
    try:
        raw = read_yaml(path, name)
    except DataErrors as exc:
        return None, list(exc.problems)
    if on_raw is not None:
        on_raw(path, raw)
    record, problems = validated(raw, Procedure, name)
    if record is not None and record.code != path.stem:
        shown = paths.display_name(path.name)  # bytes that are not UTF-8 as the path shows them
        problems.append(Problem(name, "$.code", f"code {record.code!r} does not match the file name '{shown}'"))
    return record, problems


def procedure_paths(root: Path) -> list[Path]:
    """Every record file under ``root/procedures``, sorted; raises when the folder is unusable."""
    folder = paths.procedures_dir(root)
    return [folder / name for name in procedure_names(root)]


def procedure_names(root: Path) -> list[str]:
    """The names of the record files under ``root/procedures``, sorted (which is the order of their
    codes); raises :class:`DataErrors` when the folder is unusable."""
    folder = paths.procedures_dir(root)
    if not paths.is_directory(folder):
        what = "is not a directory" if paths.stat_or_none(folder) is not None else paths.absence(folder)
        raise DataErrors([Problem(display_path(folder), "$", f"the procedures folder {what}")])
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml") and not n.startswith("."))
    except OSError as exc:
        raise DataErrors([Problem(display_path(folder), "$", f"cannot list folder: {exc.strerror}")]) from None
    if not names:
        raise DataErrors([Problem(display_path(folder), "$", "no record files (*.yaml) in the folder")])
    return names


def load_procedures(
    root: Path, progress: Progress | None = None, on_raw: RawHook | None = None
) -> tuple[list[Procedure], list[Problem]]:
    records: list[Procedure] = []
    problems: list[Problem] = []
    files = procedure_paths(root)
    for done, path in enumerate(files, 1):
        if progress is not None and done % 200 == 0:
            progress(done, len(files))
        record, found = load_procedure(path, on_raw)
        problems.extend(found)
        if record is not None:
            records.append(record)
    return records, problems


def load_list(path: Path, cls: type[T]) -> tuple[list[T], list[Problem]]:
    """A YAML file holding a list of ``cls`` mappings (``sources.yaml``)."""
    name = display_path(path)
    try:
        raw = read_yaml(path)
    except DataErrors as exc:
        return [], list(exc.problems)
    if not isinstance(raw, list):
        return [], [Problem(name, "$", "expected a list of entries")]
    items: list[T] = []
    problems: list[Problem] = []
    for i, entry in enumerate(raw):
        item, found = validated(entry, cls, name)
        problems.extend(Problem(p.file, p.field.replace("$", f"$[{i}]", 1), p.message) for p in found)
        if item is not None:
            items.append(item)
    return items, problems


def load_sources(root: Path) -> tuple[dict[str, Source], list[Problem]]:
    path = paths.sources_file(root)
    items, problems = load_list(path, Source)
    sources: dict[str, Source] = {}
    for i, source in enumerate(items):
        if source.id in sources:
            problems.append(Problem(display_path(path), f"$[{i}].id", f"duplicate source id {source.id!r}"))
        if source.table is not None and source.kind != "official":
            problems.append(
                Problem(display_path(path), f"$[{i}].table", "only an official source (kind: official) is a CMS table")
            )
        sources[source.id] = source
    return sources, problems


DESCRIPTOR_FILE_BYTES = 50 * MAX_FILE_BYTES
"""A licensed descriptor file is at most 50,000,000 bytes (a full set of CPT descriptors is a few MB)."""


def load_descriptors(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """A user's licensed descriptor file: one ``CODE<TAB>descriptor`` a line; a header line optional.

    Blank lines are skipped; a line that is not a code, a tab and some text is a problem (with its
    line number), as is a code given twice. The text is the user's licensed copy and is only ever
    shown to that user; cptref ships none.
    """
    name = display_path(path)
    found: dict[str, str] = {}
    problems: list[Problem] = []
    unlisted = [0, 0]

    def wrong(number: int, message: str) -> None:  # kept up to the cap, the rest counted
        if len(problems) < PROBLEMS_PER_FILE:
            problems.append(Problem(name, f"line {number}", message))
        else:
            unlisted[0] += 1

    try:
        # read a line at a time, each at most MAX_DESCRIPTOR_LINE_BYTES: memory holds the descriptors, not the file
        # twice over; lines end at a line feed only (str.splitlines would also split at U+2028, U+0085 or
        # a form feed inside a descriptor, and number the lines differently from an editor)
        lines = read_lines(path, name, DESCRIPTOR_FILE_BYTES, "a descriptor file", "the descriptor file")
        for number, raw in enumerate(lines, 1):
            if raw is None:
                wrong(number, f"a line over {MAX_DESCRIPTOR_LINE_BYTES:,} bytes: not a code and its descriptor")
                continue
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8").removesuffix("\n").removesuffix("\r")
            except UnicodeDecodeError as exc:
                return {}, [Problem(name, f"line {number}", f"not UTF-8 text (byte {exc.start} of the line)")]
            if not line.strip():
                continue
            code, tab, descriptor = line.partition("\t")
            code = code.strip().upper()
            if not CODE_RE.match(code):
                if number == 1 and tab:
                    continue  # a header line such as "code<TAB>descriptor"
                wrong(number, "expected a 5-character code, a tab, then the descriptor")
                continue
            if not tab or not descriptor.strip():
                wrong(number, f"no descriptor after the tab for {code}")
                continue
            if code in found:
                wrong(number, f"{code} is given more than once")
                continue
            found[code] = descriptor.strip()
    except DataErrors as exc:
        return {}, list(exc.problems)
    if unlisted[0]:
        problems.append(more_problems(name, *unlisted))
    return found, problems
