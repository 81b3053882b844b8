"""Fuzzing the YAML loader: the inputs (hypothesis strategies) and the target, shared by the bounded
run in ``tests/library/test_fuzz_yaml.py`` and the long run of ``bench/fuzz_loader.py``.

The target writes the bytes as a record file and reads it as every command does: ``read_yaml``,
field-by-field ``validate`` against a record and against a ``sources.yaml`` entry, the whole
``load_procedure``, and ``cptref validate``'s formatting and key-order lint. It may only ever
return, or raise :class:`cptref.errors.DataErrors` whose problems are located one-line messages;
anything else (another exception, a crash, a problem that spans lines, a file that takes more than
:data:`SLOW` seconds) is a finding.

The inputs: records the real way (a mapping of known and unknown keys and any YAML value, dumped
by PyYAML in block or flow style) then mutated with YAML's own syntax (anchors and aliases, tags,
flow brackets, tabs, BOMs, CRLF, control characters, merge keys); aliases nested into "billion
laughs" of random shape; deep nesting; and raw bytes and text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import msgspec
import yaml
from hypothesis import strategies as st

from cptref.errors import DataErrors, Problem
from cptref.library.fields import validated as validate
from cptref.library.lint import canonical_record
from cptref.library.read import load_procedure
from cptref.library.safe_yaml import read_yaml
from cptref.model.records import AddOn, Family, HistoryEntry, Lay, Medicare, NotWith, Procedure, ServiceRule, Source

SLOW = 5.0
"""Seconds one file may take at most (the worst legal 1 MB file parses in about two)."""

KNOWN = sorted(
    {
        f.name
        for cls in (Procedure, AddOn, ServiceRule, NotWith, Medicare, HistoryEntry, Lay, Source, Family)
        for f in msgspec.structs.fields(cls)
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["0001X", "47555", "0213T", "high", "low", "active", "deleted", "000", "test-book", ""])
    | st.dates()
    | st.datetimes()
    | st.binary(max_size=6)
)
KEYS = st.sampled_from(KNOWN) | st.text(max_size=8) | st.integers() | st.booleans() | st.none() | st.dates()
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5), max_leaves=20
)
MINIMAL: dict[str, Any] = {"code": "0001X", "status": "active", "title": "T", "descriptor": "D", "section": ["S"]}
MAPPINGS = st.dictionaries(KEYS, VALUES, max_size=10) | st.builds(
    lambda changes, dropped: {k: v for k, v in {**MINIMAL, **changes}.items() if k not in dropped},
    st.dictionaries(st.sampled_from(KNOWN), VALUES, max_size=4),
    st.sets(st.sampled_from(sorted(MINIMAL)), max_size=2),
)
"""Any mapping: known and unknown keys, any value; or a minimal valid record with some fields
changed or dropped."""

TOKENS = [
    "&a ", "*a", "&b ", "*b", "<<: *a\n", "[", "]", "{", "}", ", ", "- ", "? ", ": ", "\t", "\r\n", "\r",
    "\ufeff", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "!!python/object/apply:os.system ['true']",
    "!!binary ", "!!str ", "!!int ", "!!float ", "!!timestamp ", "!!set ", "!!omap ", "!!map ", "!!seq ", "!x ",
    '"\\ud800"', '"\\x00"', '"\\U0010FFFF"', "\x00", "\x85", "\u2028", "\x1b[31m", "'", '"', "|\n  ", ">-\n  ",
    "# ", "~", ".nan", ".inf", "0o17", "0x1F", "1_000", "2001-12-14t21:59:43.10-05:00", "=", "\\", "%", "@", "`",
    "\n  - ", "\n    ", "code: 47555\n", 'code: "0001X"\n', "0" * 400, "[" * 40, "- " * 40,
]  # fmt: skip


@st.composite
def mutated_records(draw: st.DrawFn) -> bytes:
    """A mapping dumped as YAML, then edited with YAML syntax, bytes and line endings."""
    raw = draw(MAPPINGS)
    text = yaml.safe_dump(
        raw, allow_unicode=draw(st.booleans()), default_flow_style=draw(st.sampled_from([False, True, None]))
    )
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "insert", "delete", "repeat", "newline"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif kind == "repeat":
            text = text[:at] + text[at : at + draw(st.integers(1, 20))] * draw(st.integers(2, 5)) + text[at:]
        else:
            text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n\n", "\t\n"])))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        return data
    flips = draw(st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(1, 255)), max_size=3))
    spoilt = bytearray(data)
    for at, mask in flips:
        if spoilt:
            spoilt[at] ^= mask
    return bytes(spoilt)


@st.composite
def laughs(draw: st.DrawFn) -> bytes:
    """Anchors and aliases nested into a "billion laughs" of random width and depth, somewhere in a record."""
    width, depth = draw(st.integers(2, 12)), draw(st.integers(1, 12))
    lines = ['lol0: &l0 ["lol", "lol"]']
    for i in range(1, depth + 1):
        lines.append(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    field = draw(st.sampled_from(["synonyms", "section", "related", "includes", "lay", "x"]))
    lines.append(f"{field}: *l{depth}")
    head = 'code: "0001X"\nstatus: active\ntitle: T\ndescriptor: D\n'
    return (head + "\n".join(lines) + "\n").encode()


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    """Nesting from shallow to far past the limit: flow brackets, block sequences, mappings."""
    depth = draw(st.integers(1, 50) | st.integers(990, 1010) | st.integers(1000, 30_000))
    shape = draw(st.sampled_from(["flow", "block", "mapping", "mixed"]))
    if shape == "flow":
        return ("a: " + "[" * depth + "]" * depth + "\n").encode()
    if shape == "block":
        return ("- " * depth + "x\n").encode()
    if shape == "mapping":
        return "".join(f"{' ' * min(i, 60)}k{i}:\n" for i in range(min(depth, 400))).encode()
    return ("a: " + "[{x: " * depth + "1" + "}]" * depth + "\n").encode()


YAML_BYTES = (
    mutated_records()
    | mutated_records()
    | laughs()
    | deep()
    | st.binary(max_size=400)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
"""Every kind of input above; records the real way twice as often as the rest."""


class Finding(Exception):
    """The loader did what it must never do."""


def _located(problems: list[Problem] | tuple[Problem, ...], name: str) -> None:
    for problem in problems:
        line = str(problem)
        if not (problem.file == name and problem.field.startswith("$") and problem.message):
            raise Finding(f"a problem without its location: {line!r}")
        if "\n" in line or "\r" in line:
            raise Finding(f"a problem on more than one line: {line!r}")


def fuzz_one(data: bytes, folder: Path, slow: float | None = None) -> None:
    """Feed ``data`` to the loader as a record file in ``folder``; raise :class:`Finding` (or let
    any other exception through) when the loader misbehaves (or, given ``slow``, takes longer than
    that many seconds: the fuzzing tool's measure, never a test's)."""
    path = folder / "0001X.yaml"
    path.write_bytes(data)
    start = time.monotonic()
    raw: Any = None
    try:
        raw = read_yaml(path)
    except DataErrors as exc:
        if not exc.problems:
            raise Finding("DataErrors without a problem") from None
        _located(exc.problems, exc.problems[0].file)
    record, problems = load_procedure(path)
    if record is None and not problems:
        raise Finding("no record and no problem")
    if problems:
        _located(problems, problems[0].file)
    if raw is not None:
        _, found = validate(raw, Procedure, "f")
        _located(found, "f")
        _, found = validate(raw, Source, "f")
        _located(found, "f")
        lint: list[Problem] = []
        canonical_record(path, raw, lint)
        if lint:
            _located(lint, lint[0].file)
    if slow is not None and time.monotonic() - start > slow:
        raise Finding(f"took {time.monotonic() - start:.1f} s for {len(data)} bytes")
