"""Claims as Apache Arrow record batches: the shapes a claim may take, and the reader that turns a
record batch into the items ``check --file`` checks (:class:`~.inputs.base.BatchClaim`, or a claim
that cannot be read).

Two shapes (:func:`shape_of`):

- one row a claim (:class:`ClaimIn`): ``lines`` (or ``codes``) is a list of structs ``{code,
  modifiers, units}``, a list of strings (``47542-59x2``), or one string of lines split as in a CSV
  cell;
- one row a line (:class:`LineIn`): a ``code`` column (with ``modifiers`` and ``units`` when given),
  the rows of one claim consecutive with the same ``id``; ``position`` orders a claim's lines when
  the rows' order may be lost (a Spark shuffle).

Optional columns of both: ``id`` (text or an integer), ``date`` (a date, or ``YYYY-MM-DD`` text),
``setting`` (``practitioner``, ``hospital``; null: the checker's), ``line`` (the claim's line or row
in its source; absent: its row number from 1 in the stream of batches).

Columns are found by name, never by position. Each line becomes the very string the JSON Lines
reader gives the checker (``code[-mod...][xN]``, as :func:`cptref.check.inputs.jsonl` writes an
object line), so the two readers cannot disagree on a line. A claim that cannot be read is an
:class:`Unread` (its line, why, its id): never dropped. A column of the wrong *type* is a schema
error for the whole batch (``TypeError``), not a claim's problem.

pyarrow is an optional extra (``pip install 'cptref[arrow]'``); nothing imports this module unless
Arrow or Parquet is asked for.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

import pyarrow as pa
from msgspec import Struct

from cptref.model.records import about

from .inputs.base import CLAIM_DATE_FORMS, BatchClaim, ClaimReader, Item
from .lines import split_codes

CLAIM_SETTINGS: dict[str, str] = {
    "practitioner": "practitioner",
    "hospital": "outpatient_hospital",
    "outpatient_hospital": "outpatient_hospital",
}
"""A claim's ``setting`` as given -> the setting the CMS tables are read for (as ``--setting``)."""

Setting = Literal["practitioner", "hospital", "outpatient_hospital"]

_ID = about("The claim's id (text or an integer), or null.")
_DATE = about("The date of service (a date, or YYYY-MM-DD text), or null: the checker's default date, else a problem.")
_SETTING = about("practitioner or hospital (outpatient hospital), or null: the checker's setting.")
_LINE = about("The claim's line or row in its source, or null: its row number (from 1) in the batches read.")
_MODIFIERS = about("The line's modifiers (59, RT), in order, or null: none.")
_UNITS = about("The line's units, or null: 1.")
_CODE = about("The code (47542, C1729); or the line written whole (47542-59x2) when modifiers and units are null.")
MAX_CLAIM_LINES = 10_000
"""Lines one claim may hold in an Arrow batch (a claim has a few): more is the claim's problem, not
a check of millions of pairs."""


class LinePart(Struct, frozen=True):
    """One line of a claim: a code, its modifiers and units."""

    code: Annotated[str, _CODE]
    modifiers: Annotated[list[str] | None, _MODIFIERS] = None
    units: Annotated[int | None, _UNITS] = None


class ClaimIn(Struct, frozen=True):
    """A claim, one row a claim: its id, date of service, lines, setting and line in its source."""

    id: Annotated[str | int | None, _ID]
    date: Annotated[datetime.date | None, _DATE]
    lines: Annotated[
        list[LinePart],
        about("The claim's lines, in order (also: a list of strings such as 47542-59x2, or one string; or 'codes')."),
    ]
    setting: Annotated[Setting | None, _SETTING] = None
    line: Annotated[int | None, _LINE] = None


class LineIn(Struct, frozen=True):
    """A claim line, one row a line: the rows of one claim are consecutive and share its id."""

    id: Annotated[str | int, _ID]
    date: Annotated[datetime.date | None, _DATE]
    code: Annotated[str, _CODE]
    modifiers: Annotated[list[str] | None, _MODIFIERS] = None
    units: Annotated[int | None, _UNITS] = None
    setting: Annotated[Setting | None, _SETTING] = None
    line: Annotated[int | None, _LINE] = None
    position: Annotated[
        int | None,
        about("The line's place in its claim (1, 2, ...), or null: the rows' order. Findings follow the lines' order."),
    ] = None


class Unread(Struct, frozen=True):
    """A claim that cannot be checked: its line (or row; None when not known), why, and its id when known."""

    line: Any
    message: str
    id: str | int | None = None


Read = BatchClaim | Unread
"""What a row (or a run of rows) of an Arrow batch is."""

_STRINGS = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
_LISTS = (
    pa.types.is_list,
    pa.types.is_large_list,
    pa.types.is_fixed_size_list,
    pa.types.is_list_view,
    pa.types.is_large_list_view,
)


def is_text(kind: pa.DataType) -> bool:
    """Whether an Arrow type holds text (string, large string, string view)."""
    return any(test(kind) for test in _STRINGS)


def _is_list(kind: pa.DataType) -> bool:
    return any(test(kind) for test in _LISTS)


def column(batch: pa.RecordBatch, name: str) -> pa.Array | None:
    """The column ``name`` of ``batch`` (dictionary-encoded, a pandas categorical: its values), or None."""
    index = batch.schema.get_field_index(name)
    return None if index < 0 else _decoded(batch.column(index))


def _decoded(found: pa.Array) -> pa.Array:
    """``found`` with its dictionary encoding (of its values, or of a list's items) undone."""
    if pa.types.is_dictionary(found.type):
        return found.dictionary_decode()
    if _is_list(found.type) and pa.types.is_dictionary(found.type.value_type):
        return found.cast(pa.large_list(found.type.value_type.value_type))
    return found


def _flat_list(array: pa.Array) -> tuple[list[int], pa.Array]:
    """A list column's offsets (absolute into its values) and values; a list view or fixed-size list
    cast to a list first."""
    kind = array.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        array = array.cast(pa.large_list(kind.value_field))
    return array.offsets.to_pylist(), array.values


def shape_of(schema: pa.Schema) -> Literal["claim", "line"]:
    """``claim`` for one row a claim (a ``lines`` or ``codes`` column), ``line`` for one row a line
    (a ``code`` column); ValueError for neither."""
    names = set(schema.names)
    if "lines" in names or "codes" in names:
        return "claim"
    if "code" in names:
        return "line"
    shown = ", ".join(schema.names[:20]) or "none"
    raise ValueError(
        "a table of claims needs a lines column (one row a claim: a list of lines) or a code column (one row a "
        f"line, grouped by id); its columns are {shown}"
    )


def id_type(schema: pa.Schema) -> pa.DataType:
    """The type of the results' ``id`` for claims of ``schema``: int64 for integer ids, else text."""
    index = schema.get_field_index("id")
    if index >= 0 and pa.types.is_integer(schema.field(index).type):
        return pa.int64()
    return pa.string()


class _Problem(str):
    """Why a line cannot be read (a null code, a null modifier), in place of its string."""

    __slots__ = ()


class ArrowClaims(ClaimReader):
    """Reads record batches of claims (either shape) into items, as the JSON Lines reader reads
    lines: :meth:`read` gives each claim's setting too; :meth:`items` (what ``check --file`` and its
    workers call, a "chunk" being one record batch) turns a claim naming a setting other than
    ``setting`` into an :class:`Unread`."""

    __slots__ = ("setting",)
    fmt = "arrow"

    def __init__(self, setting: str | None = None) -> None:
        super().__init__()
        self.setting = setting
        """The one setting (as the CMS tables name it) ``items`` accepts; None: any."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.setting,))

    def items(self, lines: Iterable[Any], first: int = 1) -> Iterator[Item]:
        batch: pa.RecordBatch = lines  # a chunk of an Arrow batch is a record batch
        claims, settings = self.read(batch, first)
        for claim, setting in zip(claims, settings, strict=True):
            if setting is not None and isinstance(claim, BatchClaim):
                known = CLAIM_SETTINGS.get(setting)
                if known is None:
                    yield Unread(claim.line, bad_setting(setting), claim.id)  # type: ignore[misc]
                    continue
                if self.setting is not None and known != self.setting:
                    shown = "hospital" if known == "outpatient_hospital" else known
                    yield Unread(  # type: ignore[misc]
                        claim.line, f"the claim's setting is {shown}: check it with --setting {shown}", claim.id
                    )
                    continue
            yield claim  # type: ignore[misc]

    def read(self, batch: pa.RecordBatch, first: int | None = 1) -> tuple[list[Read], list[str | None]]:
        """The claims of ``batch`` (whose first row is row ``first`` of the stream; None: not known,
        a claim's line is then its ``line`` column's, or null) and each one's setting as given."""
        rows = batch.num_rows
        ids = self._ids(batch, rows)
        dates = self._date_column(batch, rows)
        settings = self._settings(batch, rows)
        given = column(batch, "line")
        if given is not None and not (pa.types.is_integer(given.type) or pa.types.is_null(given.type)):
            raise TypeError(f"the line column must hold integers, not {given.type}")
        numbers: list[Any]
        if given is not None and (given.null_count == 0 or first is None):
            numbers = given.to_pylist()
        elif first is None:
            numbers = [None] * rows
        else:
            counted = range(first, first + rows)
            numbers = (
                list(counted)
                if given is None
                else [n if n is not None else c for n, c in zip(given.to_pylist(), counted, strict=True)]
            )
        if shape_of(batch.schema) == "claim":
            lines = column(batch, "lines")
            if lines is None:
                lines = column(batch, "codes")
            assert lines is not None
            tokens = self._claim_tokens(lines)
            items = [self._item(ids[i], numbers[i], dates[i], tokens[i]) for i in range(rows)]
            return items, settings
        return self._grouped(batch, rows, ids, dates, settings, numbers)

    def _item(self, claim_id: Any, number: Any, day: Any, tokens: list[str] | str) -> Read:
        if isinstance(tokens, str):
            return Unread(number, tokens, claim_id)
        if not tokens:
            return Unread(number, "the claim has no codes", claim_id)
        if len(tokens) > MAX_CLAIM_LINES:
            return Unread(number, f"the claim has {len(tokens)} lines, more than {MAX_CLAIM_LINES}", claim_id)
        if day.__class__ is str:
            return Unread(number, f'"date" must be a date written {CLAIM_DATE_FORMS}, got {day[:40]!r}', claim_id)
        return BatchClaim(claim_id, number, tuple(tokens), day)

    @staticmethod
    def _ids(batch: pa.RecordBatch, rows: int) -> list[Any]:
        found = column(batch, "id")
        if found is None:
            return [None] * rows
        if not (is_text(found.type) or pa.types.is_integer(found.type) or pa.types.is_null(found.type)):
            raise TypeError(f"the id column must hold text or integers, not {found.type}")
        return found.to_pylist()  # type: ignore[no-any-return]

    def _date_column(self, batch: pa.RecordBatch, rows: int) -> list[Any]:
        """Each row's date: a date, None, or the text given when it is not a date (a problem)."""
        found = column(batch, "date")
        if found is None or pa.types.is_null(found.type):
            return [None] * rows
        if pa.types.is_date(found.type):  # a batch holds few dates: each made once, shared by its rows
            encoded = found.dictionary_encode()
            days = encoded.dictionary.to_pylist()
            return [days[i] if i is not None else None for i in encoded.indices.to_pylist()]
        if not is_text(found.type):
            raise TypeError(f"the date column must hold dates or YYYY-MM-DD text, not {found.type}")
        date_of = self._date
        out: list[Any] = []
        for text in found.to_pylist():
            if text is None:
                out.append(None)
                continue
            day = date_of(text)
            out.append(day if day is not None else text)
        return out

    @staticmethod
    def _settings(batch: pa.RecordBatch, rows: int) -> list[str | None]:
        found = column(batch, "setting")
        if found is None or pa.types.is_null(found.type):
            return [None] * rows
        if not is_text(found.type):
            raise TypeError(f"the setting column must hold text, not {found.type}")
        return found.to_pylist()  # type: ignore[no-any-return]

    def _claim_tokens(self, lines: pa.Array) -> list[list[str] | str]:
        """Each claim's lines as the strings the checker reads (``47542-59x2``), or its problem."""
        kind = lines.type
        if is_text(kind):
            return [split_codes(text) if text is not None else [] for text in lines.to_pylist()]
        if not _is_list(kind):
            raise TypeError(f"the lines column must be a list of lines or text, not {kind}")
        offsets, values = _flat_list(lines)
        valid = lines.is_valid().to_pylist() if lines.null_count else None
        flat = _line_tokens(values)
        out: list[list[str] | str] = [flat[offsets[i] : offsets[i + 1]] for i in range(len(lines))]
        if valid is not None:
            for i, ok in enumerate(valid):
                if not ok:
                    out[i] = []
        if any(t.__class__ is _Problem for t in flat):  # rare: only then is each claim's list looked through
            for i, found in enumerate(out):
                problem = next((t for t in found if t.__class__ is _Problem), None)
                if problem is not None:
                    out[i] = str(problem)
        return out

    def _grouped(
        self,
        batch: pa.RecordBatch,
        rows: int,
        ids: list[Any],
        dates: list[Any],
        settings: list[str | None],
        numbers: list[Any],
    ) -> tuple[list[Read], list[str | None]]:
        """One row a line: each run of consecutive rows with the same id is one claim."""
        code = column(batch, "code")
        assert code is not None
        tokens = _tokens(code, column(batch, "modifiers"), column(batch, "units"))
        found = column(batch, "position")
        if found is not None and not (pa.types.is_integer(found.type) or pa.types.is_null(found.type)):
            raise TypeError(f"the position column must hold integers, not {found.type}")
        positions: list[Any] | None = found.to_pylist() if found is not None and found.null_count < rows else None
        items: list[Read] = []
        claim_settings: list[str | None] = []
        start = 0
        while start < rows:
            claim_id = ids[start]
            end = start + 1
            if claim_id is not None:
                while end < rows and ids[end] == claim_id:
                    end += 1
            number = numbers[start]
            claim_settings.append(settings[start])
            if claim_id is None:
                items.append(Unread(number, "a line without a claim id (one row a line needs the id to group them)"))
            elif len({repr(d) for d in dates[start:end]}) > 1:
                shown = ", ".join(dict.fromkeys(str(d) for d in dates[start:end][:5]))
                items.append(Unread(number, f"the lines of claim {claim_id!r} give different dates: {shown}", claim_id))
            elif len(set(settings[start:end])) > 1:
                items.append(Unread(number, f"the lines of claim {claim_id!r} give different settings", claim_id))
            else:
                lines = tokens[start:end]
                if positions is not None and end - start > 1:  # in the order of their positions (null: last)
                    order = sorted(range(start, end), key=lambda i: (positions[i] is None, positions[i] or 0))
                    lines = [tokens[i] for i in order]
                problem = next((t for t in lines if t.__class__ is _Problem), None)
                items.append(self._item(claim_id, number, dates[start], str(problem) if problem else lines))
            start = end
        return items, claim_settings


def bad_setting(setting: str) -> str:
    """Why a claim's setting is refused."""
    return f"the setting must be practitioner or hospital, got {setting[:40]!r}"


def _line_tokens(values: pa.Array) -> list[Any]:
    """Each line of ``values`` (strings, or structs of code, modifiers, units) as a string, or a
    :class:`_Problem`."""
    if is_text(values.type):
        return [t if t is not None else _Problem("a line of the claim is null") for t in values.to_pylist()]
    if not pa.types.is_struct(values.type):
        raise TypeError(f"a line must be text or a struct of code, modifiers and units, not {values.type}")
    children = dict(zip((f.name for f in values.type), map(_decoded, values.flatten()), strict=True))
    if "code" not in children:
        raise TypeError("a line struct needs a code field (and modifiers, units when given)")
    valid = values.is_valid().to_pylist() if values.null_count else None
    found = _tokens(children["code"], children.get("modifiers"), children.get("units"))
    if valid is not None:
        found = [t if ok else _Problem("a line of the claim is null") for t, ok in zip(found, valid, strict=True)]
    return found


def _tokens(code: pa.Array, modifiers: pa.Array | None, units: pa.Array | None) -> list[Any]:
    """Lines from columns of codes, modifiers and units: ``code[-mod...][xN]``, as the JSON Lines
    reader writes a line given as an object; a :class:`_Problem` for a line that cannot be written."""
    if not is_text(code.type):
        raise TypeError(f"code must be text, not {code.type}")
    codes: list[Any] = code.to_pylist()
    mods: list[Any] | None = None
    if modifiers is not None and not pa.types.is_null(modifiers.type):
        if not _is_list(modifiers.type) or not is_text(modifiers.type.value_type):
            raise TypeError(f"modifiers must be a list of text, not {modifiers.type}")
        mods = None if modifiers.null_count == len(modifiers) else modifiers.to_pylist()
    counts: list[Any] | None = None
    if units is not None and not pa.types.is_null(units.type):
        if not pa.types.is_integer(units.type):
            raise TypeError(f"units must be integers, not {units.type}")
        counts = units.to_pylist()
    out: list[Any] = []
    append = out.append
    for i, text in enumerate(codes):
        if text is None:
            append(_Problem("a line of the claim has no code"))
            continue
        if mods is not None and (given := mods[i]):
            if None in given:
                append(_Problem(f"a modifier of line {text[:40]!r} is null"))
                continue
            text = text + "".join("-" + m for m in given)
        if counts is not None and (n := counts[i]) is not None and n != 1:
            text = f"{text}x{n}"
        append(text)
    return out


def aligned(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches, except that for one row a line each is cut so that no claim's rows straddle two
    (the run of rows ending a batch is held for the next one). Empty batches are left out."""
    held: pa.RecordBatch | None = None
    for batch in batches:
        if held is not None:
            batch = pa.Table.from_batches([held, batch]).combine_chunks().to_batches()[0]
            held = None
        if not batch.num_rows:
            continue
        if shape_of(batch.schema) == "line":
            cut = _last_run(batch)
            if cut == 0 and batch.num_rows > MAX_CLAIM_LINES:  # one claim too long to hold: its reader says so
                cut = batch.num_rows
            if cut < batch.num_rows:
                held = batch.slice(cut)
                batch = batch.slice(0, cut)
                if not batch.num_rows:
                    continue
        yield batch
    if held is not None and held.num_rows:
        yield held


def _last_run(batch: pa.RecordBatch) -> int:
    """Where the run of rows sharing the last row's id begins (the batch's length when that id is null)."""
    ids = column(batch, "id")
    rows: int = batch.num_rows
    if ids is None:
        return rows
    last = ids[-1].as_py()
    if last is None:
        return rows
    start = rows - 1
    while start > 0 and ids[start - 1].as_py() == last:
        start -= 1
    return start
