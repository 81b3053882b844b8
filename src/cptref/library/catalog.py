"""The library: records by code, families, sources, and the relations derived from them.

A :class:`Catalog` answers from a store (:mod:`cptref.library.stores`: the records parsed in memory,
or the compiled index on disk); the relations seen from the other side (add-ons of a primary, codes
that include one) are computed from the records that name a code (:mod:`cptref.model.relations`).
:func:`load_catalog` opens the library through its index; :func:`load_for` parses only the records
showing some codes needs.
"""

from __future__ import annotations

import stat
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec import Struct

from cptref.errors import DataErrors, Problem, UnknownCode
from cptref.model import relations
from cptref.model.codes import nearest, normalize_code
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import Derived, Effective, EffectiveNotWith, Relation

from . import paths
from .stores import MemoryStore, Store

if TYPE_CHECKING:
    from .read import Progress, RawHook


class PairFacts(Struct, frozen=True):
    """What deciding pairs needs to know of one code (worked out once a code, see
    :meth:`Catalog.undecided`): its family, the families its pairs must be decided against (either
    side's ``decide_with`` makes a pair expected), and every code a fact of its record or its family
    names (includes, report_with, not_with, and an add-on's primaries)."""

    family: str
    decide_with: frozenset[str]
    named: frozenset[str]


class Catalog:
    """The records of a data directory, with derived relations computed on demand.

    Backed by a store (:mod:`cptref.library.stores`): records parsed in memory, or the compiled index, from
    which only the records a question touches are decoded.
    """

    def __init__(
        self, store: Store, roots: Path | Sequence[Path] | None = None, descriptors_file: Path | None = None
    ) -> None:
        self.store = store
        self.roots: list[Path] = [] if roots is None else [roots] if isinstance(roots, Path) else list(roots)
        """The data directories read, lowest first."""
        self.root = self.roots[-1] if self.roots else None
        """The top data directory (the only one, unless several are layered)."""
        self.descriptors_file = descriptors_file
        """The user's licensed descriptor file the official texts come from, if any."""
        self.sources: dict[str, Source] = store.sources
        self.families: dict[str, Family] = store.families
        found: list[Problem] = list(getattr(store, "problems", []))
        self.problems = [p for p in found if p.severity != "mention"]
        """The problems of the data, when the library was read in part (load_catalog(partial=True)):
        the records whose files have one are left out."""
        self._pair_facts: dict[str, PairFacts | None] = {}
        """Code -> what deciding its pairs needs (:meth:`pair_facts`), filled as codes are asked about."""
        self.mentions: dict[str, set[str]] = {}
        if found:
            from .problems import mentioned

            self.mentions = mentioned(found)
        """Broken record code -> the codes its file names (what a command about them would miss)."""

    def reopened(self) -> Catalog:
        """This catalog for a forked process (a batch's worker): the same index and layers, read
        through a connection of its own, without looking at the data directories again."""
        return Catalog(self.store.reopened(), self.roots, self.descriptors_file)

    # --- look-ups ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.store.codes())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._code_set

    @cached_property
    def _code_set(self) -> frozenset[str]:
        return frozenset(self.store.codes())

    def __iter__(self) -> Iterator[Procedure]:
        return self.store.records()

    def codes(self) -> list[str]:
        return list(self.store.codes())

    def get(self, code: str) -> Procedure:
        """The record of ``code`` (spelled loosely: ``" 0213t"`` works); raises when unknown."""
        wanted = normalize_code(code)
        record = self.store.get(wanted)
        if record is None:
            raise UnknownCode(wanted, self.nearest(wanted), self.coverage())
        return record

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        """The known codes ``code`` may have meant (see :func:`nearest`)."""
        return nearest(code, self.store.codes(), [s for f in self.families.values() for s in f.ranges], limit)

    def coverage(self) -> str:
        """What the library covers, in a phrase: how many codes in how many families."""
        families = len(self.families)
        return f"{len(self)} codes in {families} famil{'y' if families == 1 else 'ies'}"

    def official(self, code: str) -> str | None:
        """The official descriptor of ``code`` from the user's licensed file, or None."""
        return self.store.official(code)

    def origin(self, code: str) -> Path | None:
        """The data directory the record of ``code`` came from."""
        return self.store.origin(code) or self.root

    def family_origin(self, family: str) -> Path | None:
        """The data directory that defines ``family`` when it is not the lowest layer (the shipped data):
        an overlay's own family, or one it redefines; None otherwise."""
        found = self.store.shared_origins().get(f"family:{family}")
        if found is None or not self.roots or Path(found) == self.roots[0]:
            return None
        return Path(found)

    def source_origin(self, source: str) -> Path | None:
        """The data directory that defines ``source`` when it is not the lowest layer; None otherwise."""
        found = self.store.shared_origins().get(f"source:{source}")
        if found is None or not self.roots or Path(found) == self.roots[0]:
            return None
        return Path(found)

    @property
    def broken(self) -> set[str]:
        """The codes whose record files have a problem (not in the catalog)."""
        from .problems import broken_codes

        return broken_codes(self.problems)

    def broken_for(self, codes: Collection[str]) -> set[str]:
        """The broken records an answer about ``codes`` needs: theirs, and those that name one of them."""
        wanted = set(codes)
        return {
            b for b in self.broken if b in wanted or (named := self.mentions.get(b, set())) & wanted or "*" in named
        }

    @property
    def broken_shared(self) -> bool:
        """Whether a file every record depends on (sources, families, a descriptor file) has a problem."""
        return any(Path(p.file).parent.name != paths.PROCEDURES_DIR for p in self.problems)

    @property
    def layered(self) -> bool:
        """Whether several data directories are read (so each record says where it came from)."""
        return len(self.roots) > 1

    def title(self, code: str) -> str | None:
        record = self.store.get(code)
        return record.title if record else None

    # --- rules, own and inherited --------------------------------------------------------------

    def family_of(self, record: Procedure) -> Family | None:
        """The family whose rules apply to ``record``, or None."""
        return self.families.get(record.family) if record.family else None

    def includes(self, record: Procedure) -> list[Effective]:
        return relations.includes(record, self.family_of(record))

    def report_with(self, record: Procedure) -> list[Effective]:
        return relations.report_with(record, self.family_of(record))

    def not_with(self, record: Procedure) -> list[EffectiveNotWith]:
        return relations.not_with(record, self.family_of(record))

    # --- pairs the library must decide -----------------------------------------------------------

    def pair_facts(self, code: str) -> PairFacts | None:
        """What deciding the pairs of ``code`` needs, or None when no pair of it is expected to be
        decided: no record, a deleted record (a deleted code is an error of its own), or no family.
        Computed once a code and kept."""
        try:
            return self._pair_facts[code]
        except KeyError:
            pass
        record = self.store.get(code)
        family = self.families.get(record.family) if record is not None and record.family else None
        found: PairFacts | None = None
        if record is not None and family is not None and record.status != "deleted":
            named = {c for codes, _ in relations.decisions(record, family) for c in codes}
            found = PairFacts(family.id, frozenset(family.decide_with), frozenset(named))
        self._pair_facts[code] = found
        return found

    def undecided(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        """The pairs among ``codes`` that the library is expected to decide but no fact decides.

        A pair is expected when the family of either code names the other's family in
        ``decide_with`` (a family naming itself: pairs of its own codes), both codes having active
        records. A fact decides it when the record of either code, or that record's family, names
        the other code in ``includes``, ``report_with`` or ``not_with``, or lists it among an
        add-on's primaries (an add-on is reported with its primary). Each pair is given once, as
        ``(first, second)`` in the order the codes come (a code given twice counts once); a pair
        of a code with itself is never one. Cheap enough to run for every claim: what each code
        needs is worked out once (:meth:`pair_facts`), and a pair costs two set look-ups.
        """
        wanted = list(dict.fromkeys(codes))
        facts = [self.pair_facts(code) for code in wanted]
        found: list[tuple[str, str]] = []
        for i, first in enumerate(facts):
            if first is None:
                continue
            for j in range(i + 1, len(wanted)):
                second = facts[j]
                if second is None:
                    continue
                if second.family not in first.decide_with and first.family not in second.decide_with:
                    continue
                if wanted[j] in first.named or wanted[i] in second.named:
                    continue
                found.append((wanted[i], wanted[j]))
        return found

    def derived(self, relation: Relation, code: str) -> list[Derived]:
        """Facts other records state about ``code`` (see :data:`Relation`), in code order."""
        found: list[Derived] = []
        for by in self.store.referencing(code):
            record = self.store.get(by)
            if record is not None:
                found.extend(relations.facts_about(record, self.family_of(record), relation, code))
        return found


Data = str | Path | Sequence[str | Path] | None
"""Where to read: None for the default layers (the shipped data, then ``$CPTREF_DATA``), one
directory, or a list of directories layered lowest first."""


def _as_roots(data: Data) -> list[Path]:
    if data is None or (isinstance(data, str) and not data):
        return paths.layers()  # "" as from an unset option: the default, not the current folder
    if isinstance(data, (str, Path)):
        return [Path(data)]
    return [Path(d) for d in data]


def read_catalog(root: Path | Sequence[Path], on_raw: RawHook | None = None) -> tuple[Catalog, list[Problem]]:
    """Parse data directories (no index): the catalog and every problem found (none when valid)."""
    from .read import read_store

    store, problems = read_store(root, on_raw=on_raw)
    return Catalog(store, root), problems


def _roots(data: Data) -> list[Path]:
    roots = _as_roots(data)
    problems = []
    for root in roots:
        info = paths.stat_or_none(root)
        if info is None or not stat.S_ISDIR(info.st_mode):
            from cptref.library.pack.file import is_pack

            from .paths import display_path

            if info is None:
                what = paths.absence(root)
            elif paths.is_special(info):  # a named pipe would block the command: never opened
                what = "is not a directory or a packed library: a named pipe, a socket or a device is never read"
            elif is_pack(root):
                continue
            else:
                what = "is not a directory or a packed library"
            problems.append(Problem(display_path(root), "$", f"the data directory {what}"))
    if problems:
        raise DataErrors(problems)
    return roots


def load_catalog(
    data: Data = None, progress: Progress | None = None, descriptors: str | Path | None = None, partial: bool = False
) -> Catalog:
    """The library, through the compiled index.

    ``data``: None for the shipped data with the user's directories of ``$CPTREF_DATA`` layered
    over it; a directory; or a list of directories, lowest first (for each code the last one that
    has it wins). ``descriptors`` (default: ``$CPTREF_DESCRIPTORS``) is a user's licensed descriptor
    file, whose text ``show`` prints and ``search`` indexes. The index is rebuilt when the data
    changed (``progress`` is told how far); raises :class:`DataErrors` when the data is invalid, or
    with ``partial`` returns the valid records, the problems in :attr:`Catalog.problems` (the index
    keeps both, so a broken file costs later commands nothing).
    """
    from cptref.library.index.compiled import open_store

    roots = _roots(data)
    official = paths.descriptors_file(descriptors)
    found = Catalog(open_store(roots, progress, official), roots, official)
    if found.problems and not partial:
        raise DataErrors([msgspec.structs.replace(p, file=_shown(p.file)) for p in found.problems])
    return found


def _shown(file: str) -> str:
    from .paths import display_path

    return display_path(Path(file))


def load_for(codes: Collection[str], data: Data = None, descriptors: str | Path | None = None) -> Catalog:
    """Only the records that showing ``codes`` needs, parsed from YAML; no index is read or written.

    That is: the records of ``codes``; every record whose text names one of them or a family whose
    rules name one (the derived relations come from those); and the records they name (for their
    titles). The other files are only scanned as bytes for those names, never parsed, so a broken
    file elsewhere does not stop ``show``. Raises :class:`UnknownCode` or :class:`DataErrors`.
    """
    from cptref.library.pack.file import Pack, is_pack

    from .read import integrity, load_procedure, procedure_paths, read_descriptors, read_shared
    from .safe_yaml import read_bytes

    roots = _roots(data)
    files: dict[str, Path] = {}
    origins: dict[str, Path] = {}
    packed: set[str] = set()  # the codes whose record is in a packed library (each checked as it is read)
    for root in roots:
        if is_pack(root):
            with Pack(root) as pack:
                for code in pack.codes():
                    files[code] = origins[code] = root
                    packed.add(code)
            continue
        for path in procedure_paths(root):
            files[path.stem] = path
            origins[path.stem] = root
            packed.discard(path.stem)

    def load(stem: str) -> tuple[Procedure | None, list[Problem]]:
        if stem in packed:
            with Pack(files[stem]) as pack:
                return pack.record(stem), []
        return load_procedure(files[stem])

    def raw(path: Path, stem: str) -> bytes:
        if stem in packed:
            with Pack(path) as pack:
                return pack.body(stem) or b""
        return read_bytes(path)

    shared = read_shared(roots)
    sources, families, problems = shared.sources, shared.families, shared.problems
    for code in codes:
        if code not in files:
            raise UnknownCode(
                code, nearest(code, files, [s for f in families.values() for s in f.ranges]), f"{len(files)} codes"
            )
    wanted = set(codes)
    needles = [c.encode() for c in wanted]
    needles += [
        f.id.encode() for f in families.values() if wanted & {c for r in relations.family_rules(f) for c in r.codes}
    ]
    chosen = set(wanted)
    for stem, path in files.items():
        if stem not in chosen:
            try:
                blob = raw(path, stem)
            except DataErrors:
                blob = needles[0]  # unreadable, not a file or too large: parse it, so that the loader reports why
            if any(needle in blob for needle in needles):
                chosen.add(stem)
    records: list[Procedure] = []
    for stem in sorted(chosen):
        record, found = load(stem)
        problems.extend(found)
        if record is not None:
            records.append(record)
    by_family = relations.family_codes(families)
    named = {c for r in records if r.code in wanted for c in (*relations.relation_targets(r, by_family), *r.related)}
    for stem in sorted(named & files.keys() - chosen):
        record, found = load(stem)
        problems.extend(found)
        if record is not None:
            records.append(record)
    official_file = paths.descriptors_file(descriptors)
    official, found = read_descriptors(official_file)
    problems.extend(found)
    store = MemoryStore(
        records, sources, families, official, origins if len(roots) > 1 else None, shared.origins, shared.overrides
    )
    problems.extend(integrity(store, roots))
    if problems:
        raise DataErrors(problems)
    return Catalog(store, roots, official_file)
