"""YAML files -> validated, frozen models.

YAML is read with PyYAML's safe loader (the C one when present). Each mapping is checked field by
field against the record types of :mod:`cptref.models` with msgspec, so that every problem in a file
is reported at once, each with its field path (``$.add_on.primaries[1]``); unknown keys are errors.
"""

from __future__ import annotations

import os
import re
import stat
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, Union

import msgspec

from cptref.errors import DataErrors, Problem
from cptref.model.codes import CODE_PATTERN, CODE_RE
from cptref.model.records import Procedure, Source

from . import paths as resources

T = TypeVar("T", bound=msgspec.Struct)

MAX_FILE_BYTES = 1_000_000
"""A record is a few kilobytes; anything far larger is not a record (and could exhaust memory)."""
MAX_DEPTH = 1000
"""Deepest nesting of YAML collections accepted (a record nests four or five levels). libyaml's
composer recurses on the C stack, so a few tens of thousands of levels would crash the process,
and its scanner slows down quadratically with the depth of ``[`` and ``{``."""
MAX_VALUES = 100_000
"""Most values (collections and scalars) a file may expand to through YAML aliases (``*name``): a
"billion laughs" file of a few hundred bytes would otherwise expand to billions."""

_AT = re.compile(r"^(?P<msg>.*) - at `\$(?P<path>[^`]*)`$")


def _yaml_load(text: str) -> Any:
    import yaml  # deferred: only the paths that read YAML pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen above


def display_path(path: Path) -> str:
    """A path as a user should read it in a message: relative to the working directory if inside.

    Always printable text on one line: bytes of a file name that are not UTF-8 are shown as
    ``\\xff``, control characters as ``\\n``, ``\\t``.
    """
    try:  # as named, links not followed: a record linked from elsewhere is shown where it is read
        shown = str(Path(os.path.abspath(path)).relative_to(os.path.abspath(os.getcwd())))
    except (ValueError, OSError):
        shown = str(path)
    try:
        shown = os.fsencode(shown).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that no file name decodes to
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    if not shown.isprintable():  # a newline or a tab in a name must not split a one-line message
        shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
    return shown


def read_bytes(
    path: Path, name: str | None = None, limit: int = MAX_FILE_BYTES, what: str = "a data file", verb: str = "file"
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; else :class:`DataErrors`.

    A named pipe, a device (``/dev/zero``) or a directory is refused before it is opened, and no
    more than the limit is ever read, so no file can make a command hang or exhaust memory.
    """
    name = name or display_path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
            raise DataErrors([Problem(name, "$", f"cannot read {verb}: not a regular file ({kind})")])
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise DataErrors([Problem(name, "$", f"cannot read {verb}: {exc.strerror or exc}")]) from None
    if len(raw) > limit:
        size = max(info.st_size, len(raw))
        raise DataErrors([Problem(name, "$", f"file is {size} bytes; {what} is at most {limit}")])
    return raw


def _too_deep(text: str) -> bool:
    """Whether YAML ``text`` nests collections more than :data:`MAX_DEPTH` levels deep.

    Each level needs a ``[``, ``{``, ``-``, ``?`` or ``:``, or more indentation (which a file of at
    most :data:`MAX_FILE_BYTES` cannot stack deeper than about 1,400 levels); so when those
    characters are few, nothing is parsed twice. Otherwise libyaml's event parser, which keeps its
    own stack on the heap, measures the depth and stops at the limit. A libyaml that refuses deep
    nesting itself (PyYAML 6.0.4 stops at 1,000 levels) gives cptref's answer too; should it refuse in
    other words, the depth is measured again with PyYAML's pure-Python parser, so the answer is
    cptref's whichever PyYAML is installed.
    """
    if sum(text.count(c) for c in "[{-?:") <= MAX_DEPTH:
        return False
    import yaml

    try:
        return _deeper_than(text, MAX_DEPTH, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):
            return True  # libyaml's own limit (1,000 levels in PyYAML 6.0.4), which is not above ours
        # Any other refusal: measure again with the pure-Python parser, up to a little past where
        # libyaml stopped (its mark), since that parser slows down with the square of the depth.
        mark = getattr(exc, "problem_mark", None)
        end = len(text) if mark is None else mark.index + 64
        try:
            return _deeper_than(text[:end], MAX_DEPTH, yaml.SafeLoader)
        except yaml.YAMLError:
            return False  # a syntax error before the limit: loading reports it with its line


def _deeper_than(text: str, limit: int, loader: Any) -> bool:
    """Whether the collections of ``text`` nest deeper than ``limit``; stops at the first level past it."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


def _expands_beyond(value: Any, budget: int) -> bool:
    """Whether ``value`` holds more than ``budget`` values, aliases counted each time they are used."""
    stack = [value]
    while stack:
        budget -= 1
        if budget < 0:
            return True
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_yaml(path: Path, name: str | None = None) -> Any:
    """Parse one YAML file; raise :class:`DataErrors` with its location (``name``: how to show its
    path, by default :func:`display_path`) when it cannot be read."""
    name = name or display_path(path)
    raw = read_bytes(path, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataErrors([Problem(name, "$", f"not UTF-8 text (byte {exc.start})")]) from None
    import yaml

    try:
        if _too_deep(text):
            raise DataErrors([Problem(name, "$", f"invalid YAML: nested more than {MAX_DEPTH} levels deep")])
        value = _yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataErrors([Problem(name, "$", f"invalid YAML: {where}{problem}")]) from None
    except RecursionError:
        raise DataErrors([Problem(name, "$", "invalid YAML: nested too deeply")]) from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # PyYAML's constructors raise these for a tagged value they cannot make (``!!int x``)
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
        message = f"invalid YAML: a value tagged !!int, !!float, !!bool or !!timestamp is not one ({why})"
        raise DataErrors([Problem(name, "$", message)]) from None
    limit = max(MAX_VALUES, 2 * len(text))  # without aliases no file spells out that many values
    if "*" in text and _expands_beyond(value, limit):
        message = f"invalid YAML: its aliases (*name) expand it to more than {limit} values (a 'billion laughs')"
        raise DataErrors([Problem(name, "$", message)])
    return value


# --- field-by-field validation ------------------------------------------------------------------


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _optional_inner(tp: Any) -> Any:
    """``X | None`` -> ``X``; anything else unchanged."""
    base = _strip_annotated(tp)
    if typing.get_origin(base) in (Union, types.UnionType):
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _is_code_type(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Annotated and any(
        isinstance(m, msgspec.Meta) and m.pattern == CODE_PATTERN for m in typing.get_args(tp)[1:]
    )


def _min_length(tp: Any) -> int:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            if isinstance(meta, msgspec.Meta) and meta.min_length:
                return meta.min_length
    return 0


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _message(value: Any, tp: Any, raw: str) -> str:
    """A validation message a data author can act on."""
    base = _strip_annotated(tp)
    if _is_code_type(tp):
        if isinstance(value, int) and not isinstance(value, bool):
            return (
                f"a code must be a quoted string, got the number {value} (YAML reads unquoted digits "
                'as a number, with leading zeros as octal): write it in quotes, e.g. "00100"'
            )
        return (
            "expected a 5-character CPT code (four digits, then a digit or a capital letter) or HCPCS code "
            f"(a capital letter, then four digits), got {value!r}"
        )
    if typing.get_origin(base) is typing.Literal:
        allowed = ", ".join(str(a) for a in typing.get_args(base))
        return f"expected one of {allowed}, got {value!r}"
    text = raw.replace("`", "'").replace("'array'", "a list").replace("'object'", "a mapping")
    return text[:1].lower() + text[1:]


def _convert_leaf(value: Any, tp: Any, path: str, out: list[tuple[str, str]]) -> None:
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError as exc:
        match = _AT.match(str(exc))
        raw = match.group("msg") if match else str(exc)
        out.append((path, _message(value, tp, raw)))


def _walk(value: Any, tp: Any, path: str, out: list[tuple[str, str]]) -> None:
    inner = _optional_inner(tp)
    if value is None and inner is not tp:
        return  # an explicit null on an optional field means "not recorded"
    base = _strip_annotated(inner)
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        _walk_struct(value, base, path, out)
        return
    args = typing.get_args(base)
    if typing.get_origin(base) is tuple and len(args) == 2 and args[1] is Ellipsis:
        if not isinstance(value, list):
            out.append((path, f"expected a list, got {_kind(value)}"))
            return
        needed = _min_length(inner)
        if len(value) < needed:
            out.append((path, f"expected at least {needed} entr{'y' if needed == 1 else 'ies'}, got none"))
        for i, item in enumerate(value):
            _walk(item, args[0], f"{path}[{i}]", out)
        return
    _convert_leaf(value, inner, path, out)


@cache
def _required(cls: type[msgspec.Struct]) -> dict[str, bool]:
    """The fields of a record type, in order, each with whether it is required."""
    return {f.name: f.required for f in msgspec.structs.fields(cls)}


def _member(path: str, key: object) -> str:
    """``path.key``, or ``path['key']`` for a key that would not read as one in a one-line message
    (empty, or holding a space, a dot, a bracket, a quote, a newline or another control character)."""
    text = str(key)
    if text and text.isprintable() and not any(c in text for c in " .[]'\""):
        return f"{path}.{text}"
    return f"{path}[{text!r}]"


def _walk_struct(value: Any, cls: type[msgspec.Struct], path: str, out: list[tuple[str, str]]) -> None:
    if not isinstance(value, dict):
        out.append((path, f"expected a mapping of fields, got {_kind(value)}"))
        return
    fields = _required(cls)
    hints = _hints(cls)
    for key in value:
        if not isinstance(key, str) or key not in fields:
            import difflib  # deferred: only a typo pays for it

            guess = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else f"; known fields: {', '.join(fields)}"
            out.append((_member(path, key), f"unknown field {str(key)!r}{hint}"))
    for name, required in fields.items():
        if name not in value:
            if required:
                out.append((f"{path}.{name}", "missing required field"))
            continue
        _walk(value[name], hints[name], f"{path}.{name}", out)


@cache
def nested(cls: type[msgspec.Struct]) -> dict[str, tuple[type[msgspec.Struct], bool]]:
    """The fields of ``cls`` that hold records of their own: name -> (their type, whether a list of them)."""
    found: dict[str, tuple[type[msgspec.Struct], bool]] = {}
    for name, tp in _hints(cls).items():
        base = _strip_annotated(_optional_inner(tp))
        args = typing.get_args(base)
        many = typing.get_origin(base) is tuple and len(args) == 2 and args[1] is Ellipsis
        inner = _strip_annotated(args[0]) if many else base
        if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
            found[name] = (inner, many)
    return found


def _known_keys_only(value: Any, cls: type[msgspec.Struct]) -> bool:
    """Whether every mapping in ``value`` (already converted to ``cls``) has only ``cls``'s keys:
    msgspec ignores a key it does not know, the loader reports it."""
    fields = _required(cls)
    if not all(key in fields for key in value):
        return False
    for name, (inner, many) in nested(cls).items():
        item = value.get(name)
        if item is None:
            continue
        if not all(_known_keys_only(one, inner) for one in (item if many else (item,))):
            return False
    return True


def validate(raw: Any, cls: type[T], file: str) -> tuple[T | None, list[Problem]]:
    """Validate ``raw`` against ``cls``: the object, or None with every problem found.

    A valid mapping is converted in one call; only one with a problem is walked field by field, so
    that every problem is found and named by its path."""
    if isinstance(raw, dict):
        try:
            converted = msgspec.convert(raw, cls)
        except msgspec.ValidationError:
            pass
        else:
            if _known_keys_only(raw, cls):
                return converted, []
    found: list[tuple[str, str]] = []
    _walk_struct(raw, cls, "$", found)
    if found:
        return None, [Problem(file, where, msg) for where, msg in found]
    try:
        return msgspec.convert(raw, cls), []
    except msgspec.ValidationError as exc:  # a constraint the walk did not see
        return None, [Problem(file, "$", str(exc).replace("`", "'"))]


# --- files --------------------------------------------------------------------------------------


RawHook = Callable[[Path, Any], None]
"""Called as ``hook(path, raw)`` with each record file's parsed YAML (``cptref validate`` lints it)."""


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
    record, problems = validate(raw, Procedure, name)
    if record is not None and record.code != path.stem:
        problems.append(Problem(name, "$.code", f"code {record.code!r} does not match the file name {path.name!r}"))
    return record, problems


def procedure_paths(root: Path) -> list[Path]:
    """Every record file under ``root/procedures``, sorted; raises when the folder is unusable."""
    folder = resources.procedures_dir(root)
    return [folder / name for name in procedure_names(root)]


def procedure_names(root: Path) -> list[str]:
    """The names of the record files under ``root/procedures``, sorted (which is the order of their
    codes); raises :class:`DataErrors` when the folder is unusable."""
    folder = resources.procedures_dir(root)
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise DataErrors([Problem(display_path(folder), "$", f"the procedures folder {what}")])
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml") and not n.startswith("."))
    except OSError as exc:
        raise DataErrors([Problem(display_path(folder), "$", f"cannot list folder: {exc.strerror}")]) from None
    if not names:
        raise DataErrors([Problem(display_path(folder), "$", "no record files (*.yaml) in the folder")])
    return names


Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while many files are read."""


def load_procedures(
    root: Path, progress: Progress | None = None, on_raw: RawHook | None = None
) -> tuple[list[Procedure], list[Problem]]:
    records: list[Procedure] = []
    problems: list[Problem] = []
    paths = procedure_paths(root)
    for done, path in enumerate(paths, 1):
        if progress is not None and done % 200 == 0:
            progress(done, len(paths))
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
        item, found = validate(entry, cls, name)
        problems.extend(Problem(p.file, p.field.replace("$", f"$[{i}]", 1), p.message) for p in found)
        if item is not None:
            items.append(item)
    return items, problems


def load_sources(root: Path) -> tuple[dict[str, Source], list[Problem]]:
    path = resources.sources_file(root)
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


def load_descriptors(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """A user's licensed descriptor file: one ``CODE<TAB>descriptor`` a line; a header line optional.

    Blank lines are skipped; a line that is not a code, a tab and some text is a problem (with its
    line number), as is a code given twice. The text is the user's licensed copy and is only ever
    shown to that user; cptref ships none.
    """
    name = display_path(path)
    try:
        raw = read_bytes(path, name, 50 * MAX_FILE_BYTES, "a descriptor file", "the descriptor file")
    except DataErrors as exc:
        return {}, list(exc.problems)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, [Problem(name, "$", f"not UTF-8 text (byte {exc.start})")]
    found: dict[str, str] = {}
    problems: list[Problem] = []
    # lines end at a line feed only (str.splitlines would also split at U+2028, U+0085 or a form feed
    # inside a descriptor, and number the lines differently from an editor)
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        code, tab, descriptor = line.partition("\t")
        code = code.strip().upper()
        if not CODE_RE.match(code):
            if number == 1 and tab:
                continue  # a header line such as "code<TAB>descriptor"
            problems.append(Problem(name, f"line {number}", "expected a 5-character code, a tab, then the descriptor"))
            continue
        if not tab or not descriptor.strip():
            problems.append(Problem(name, f"line {number}", f"no descriptor after the tab for {code}"))
            continue
        if code in found:
            problems.append(Problem(name, f"line {number}", f"{code} is given more than once"))
            continue
        found[code] = descriptor.strip()
    return found, problems
