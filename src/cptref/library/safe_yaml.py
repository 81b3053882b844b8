"""YAML files read safely: bounded in size, nesting and alias expansion; every failure a located problem.

PyYAML's safe loader (the C one when present) reads the text; before it does, a file that is not a
regular file, is larger than :data:`MAX_FILE_BYTES` or nests deeper than :data:`MAX_DEPTH` is refused,
and after it, one whose aliases (``*name``) expand past :data:`MAX_VALUES` values. Each refusal is
:class:`~cptref.errors.DataErrors` naming the file, never a traceback or a hung process.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cptref.errors import DataErrors, Problem

from .paths import display_path

MAX_FILE_BYTES = 1_000_000
"""A record is a few kilobytes; anything far larger is not a record (and could exhaust memory)."""
MAX_DEPTH = 1000
"""Deepest nesting of YAML collections accepted (a record nests four or five levels). libyaml's
composer recurses on the C stack, so a few tens of thousands of levels would crash the process,
and its scanner slows down quadratically with the depth of ``[`` and ``{``."""
MAX_VALUES = 100_000
"""Most values (collections and scalars) a file may expand to through YAML aliases (``*name``): a
"billion laughs" file of a few hundred bytes would otherwise expand to billions."""


def _yaml_load(text: str) -> Any:
    import yaml  # deferred: only the paths that read YAML pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen above


def _open_regular(path: Path, name: str, verb: str) -> tuple[BinaryIO, os.stat_result]:
    """``path`` opened for reading, and its status, when it is a regular file; else :class:`DataErrors`.
    A pipe, device or directory is refused before it is opened; the file opened is checked again (it
    is opened without blocking), so one swapped for a named pipe after the first look cannot hang
    the read (opening a pipe waits for a writer)."""

    def refused(info: os.stat_result) -> DataErrors:
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
        return DataErrors([Problem(name, "$", f"cannot read {verb}: not a regular file ({kind})")])

    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise refused(info)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refused(info)
        return os.fdopen(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


def read_bytes(
    path: Path, name: str | None = None, limit: int = MAX_FILE_BYTES, what: str = "a data file", verb: str = "file"
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; else :class:`DataErrors`.

    A named pipe, a device (``/dev/zero``) or a directory is refused before it is opened, and no
    more than the limit is ever read, so no file can make a command hang or exhaust memory.
    """
    name = name or display_path(path)
    try:
        handle, info = _open_regular(path, name, verb)
        with handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise DataErrors([Problem(name, "$", f"cannot read {verb}: {exc.strerror or exc}")]) from None
    if len(raw) > limit:
        size = max(info.st_size, len(raw))
        raise DataErrors([Problem(name, "$", f"file is {size} bytes; {what} is at most {limit}")])
    return raw


MAX_DESCRIPTOR_LINE_BYTES = 65_536
"""The longest line of a line-by-line text file (a licensed descriptor file) kept: a descriptor is a
few hundred characters; a longer line is a problem of its own, never held whole."""


def read_lines(path: Path, name: str, limit: int, what: str, verb: str) -> Iterator[bytes | None]:
    """The lines of a regular file of at most ``limit`` bytes, one at a time (each with its line
    feed), None for a line over :data:`MAX_DESCRIPTOR_LINE_BYTES` (skipped without being held); refused as
    :func:`read_bytes` refuses, with :class:`DataErrors`. Memory holds one line, whatever the file."""
    try:
        handle, info = _open_regular(path, name, verb)
        if info.st_size > limit:
            handle.close()
            raise DataErrors([Problem(name, "$", f"file is {info.st_size} bytes; {what} is at most {limit}")])
    except OSError as exc:
        raise DataErrors([Problem(name, "$", f"cannot read {verb}: {exc.strerror or exc}")]) from None
    grew = DataErrors([Problem(name, "$", f"file grew past {limit} bytes while read; {what} is at most {limit}")])
    with handle:
        total = 0
        while True:
            try:
                line = handle.readline(MAX_DESCRIPTOR_LINE_BYTES + 1)
            except OSError as exc:
                raise DataErrors([Problem(name, "$", f"cannot read {verb}: {exc.strerror or exc}")]) from None
            if not line:
                return
            total += len(line)
            if total > limit:  # it grew while read
                raise DataErrors(
                    [Problem(name, "$", f"file grew past {limit} bytes while read; {what} is at most {limit}")]
                )
            if len(line) > MAX_DESCRIPTOR_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # the rest of the long line, a piece at a time
                    line = handle.readline(MAX_DESCRIPTOR_LINE_BYTES)
                    total += len(line)
                    if total > limit:
                        raise grew
                yield None
                continue
            yield line


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


def duplicate_keys(text: str) -> list[tuple[int, str]]:
    """The keys given twice in one mapping of YAML ``text`` (which parses), as (line, key): PyYAML keeps
    the last value without a word, so a record could say one thing and mean another. Keys merged in
    with ``<<`` may be overridden, as YAML allows. ``text`` is one :func:`read_yaml` accepted (bounded in
    size, depth and aliases); each node is looked at once."""
    import yaml

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    found: list[tuple[int, str]] = []
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: the node it names was looked at already
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if (key.tag, key.value) in keys:
                        found.append((key.start_mark.line + 1, key.value))
                    keys.add((key.tag, key.value))
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found)


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
