"""YAML-loaded values -> validated, frozen records, every problem at once.

Each mapping is checked field by field against the record types of :mod:`cptref.model.records` with
msgspec, so that every problem in a file is reported at once, each with its field path
(``$.add_on.primaries[1]``); unknown keys are errors. A valid mapping is converted in one call.
"""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

import msgspec

from cptref.errors import Problem
from cptref.model.codes import CODE_PATTERN

T = TypeVar("T", bound=msgspec.Struct)


_AT = re.compile(r"^(?P<msg>.*) - at `\$(?P<path>[^`]*)`$")


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


def validated(raw: Any, cls: type[T], file: str) -> tuple[T | None, list[Problem]]:
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
