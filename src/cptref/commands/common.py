"""The commands' use-cases: what each command does with its parsed arguments.

Each function takes the values of a command's arguments and options (by their ``dest`` in
:mod:`cptref.options`), writes its answer through a formatter of :mod:`cptref.formats`, and returns
the exit status; a :class:`~cptref.errors.CptrefError` says what is wrong. The Typer CLI
(:mod:`cptref.cli`) and the fast path (:mod:`cptref.fast`) both call :func:`run`, so both answer
alike. Nothing here parses a command line.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from cptref.errors import CptrefError, ExitCode, NoTables, UnknownCode, UsageError
from cptref.output import documents
from cptref.output import fields as fields_of
from cptref.output import streams as process
from cptref.output.formats import dumps
from cptref.output.safe_text import visible

if TYPE_CHECKING:
    from cptref.check.engine import CheckTables
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure
    from cptref.output.formats import Answer, Formatter
    from cptref.output.text.doc import TextDoc as Doc
    from cptref.search.results import Result

Values = dict[str, Any]


# --- the library ---------------------------------------------------------------------------------------


def catalog(data: str | None, descriptors: str | None = None, touched: Sequence[str] | None = None) -> Catalog:
    """The library through its compiled index: the shipped data with the user's directories
    (``--data``, else ``$CPTREF_DATA``) layered over it. A rebuild shows a progress bar on a terminal.

    A data file with a problem leaves its record out and is named in one warning line on stderr;
    the index keeps the problems, so later commands pay nothing for them. With ``touched`` (the
    codes a command cannot answer without), a problem in one of their files, or in a file every
    record depends on, raises :class:`~cptref.errors.DataErrors` instead (exit 3)."""
    from cptref.library import paths as resources
    from cptref.library.catalog import load_catalog

    roots = resources.layers(data)
    if not sys.stderr.isatty():
        found = load_catalog(roots, descriptors=descriptors, partial=True)
    else:
        from cptref.output.text.terminal import ProgressBar

        with ProgressBar("Indexing the code library") as bar:
            found = load_catalog(roots, progress=bar, descriptors=descriptors, partial=True)
    if found.problems:
        from cptref.library.problems import refuse_or_warn

        process.warn(refuse_or_warn(found, touched))
    return found


def cms_tables(cms: str | None, quiet: bool = False, required: bool = True) -> CmsTables | None:
    """The user's CMS tables (``--cms``, else ``$CPTREF_CMS``), compiled once and kept; None when none
    is named. A named path that does not exist is a usage error, and paths of which no table loads are
    :class:`NoTables` (``required``: a command that reports the files, as ``validate --cms`` and
    ``tables`` do, gets them all the same). Files that failed to load are one warning line here
    (``quiet``: none): they keep claims from being verified; ``cptref tables`` names each."""
    from cptref.library import paths as resources

    paths = resources.cms_paths(cms)
    if not paths:
        return None
    from cptref.cms import open_tables

    def progress(table: str) -> None:
        if sys.stderr.isatty():
            process.warn(f"reading {table} (once: it is kept compiled)")

    tables = open_tables(paths, progress=progress)
    summary = tables.summary()
    if required:
        missing = next((p for p in summary.problems if p.code == "missing"), None)
        if missing is not None:
            tables.close()
            raise UsageError(f"--cms: {visible(missing.file)}: no such file or directory")
        if not summary.tables:
            tables.close()
            what = (
                f"{len(summary.failed)} could not be loaded (first: {visible(summary.failed[0].file)}: "
                f"{summary.failed[0].reason})"
                if summary.failed
                else "none is an NCCI PTP, MUE or add-on code table or a PPRRVU file"
            )
            raise NoTables(
                f"no CMS table could be loaded from --cms {visible(os.pathsep.join(map(str, paths)))}: of the "
                f"{len(summary.failed) + len(summary.skipped)} files found, {what}; `cptref tables` lists each"
            )
    if not quiet and (summary.failed or summary.problems):
        failed = summary.failed
        incomplete = [t for t in summary.tables if not t.complete]
        if failed or incomplete:
            named = (
                f"{visible(failed[0].file)} ({failed[0].reason})"
                if failed
                else f"{incomplete[0].table.label()} ({incomplete[0].errors} problems)"
            )
            count = len(failed) + len(incomplete)
            process.warn(
                f"warning: {count} CMS file{'s' * (count != 1)} or table{'s' * (count != 1)} did not load whole, "
                f"so no claim they concern is verified: {named}; `cptref tables` lists them"
            )
        else:
            warnings = len(summary.warnings)
            process.warn(
                f"warning: the CMS tables were read, with {warnings} warning{'s' * (warnings != 1)} in the files: "
                "`cptref tables` and `cptref validate --cms PATH` list them"
            )
    return tables


SETTINGS = {"practitioner": "practitioner", "hospital": "outpatient_hospital"}
"""``--setting`` as the CMS tables name their settings."""


def service_date(text: str | None) -> datetime.date:
    """``--date``: a date written YYYY-MM-DD, else today."""
    if text is None:
        return datetime.date.today()
    from cptref.check.inputs.base import parse_date

    found = parse_date(text)
    if found is None:
        raise UsageError(f"--date must be a date written YYYY-MM-DD, got {text[:40]!r}")
    return found


def records_to_show(
    codes: Sequence[str], data: str | None, descriptors: str | None = None
) -> tuple[Catalog, list[Procedure], list[UnknownCode]]:
    """The catalog, the records of ``codes`` that it has, and an :class:`~cptref.errors.UnknownCode`
    for each of the others (in the order given); malformed codes fail before any file is read."""
    from cptref.errors import DataErrors
    from cptref.library.catalog import load_for
    from cptref.model.codes import normalize_code

    wanted = list(dict.fromkeys(normalize_code(c) for c in codes))
    missing: dict[str, UnknownCode] = {}
    try:
        found = catalog(data, descriptors, touched=wanted)
    except DataErrors as exc:
        if any(p.field == "$" and "folder" in p.message for p in exc.problems):
            raise
        from cptref.library import paths as resources

        while True:  # shared files broken: what show needs, each unknown code left out in turn
            try:
                found = load_for([c for c in wanted if c not in missing], resources.layers(data), descriptors)
                break
            except UnknownCode as unknown:
                missing[unknown.code] = unknown
    records = []
    for code in wanted:
        if code in missing:
            continue
        try:
            records.append(found.get(code))
        except UnknownCode as unknown:
            missing[code] = unknown
    return found, records, [missing[c] for c in wanted if c in missing]


def ranked(
    words: Sequence[str], limit: int, data: str | None, descriptors: str | None = None, cms: str | None = None
) -> tuple[str, list[Result]]:
    """The query as one string and its results; an empty query fails before any file is read, and a
    query no result answers with confidence (outside the library) fails with what the library covers.
    With CMS tables (``--cms``, else ``$CPTREF_CMS``), the codes of the user's PPRRVU file are searched
    too, and answer as found."""
    from cptref.search.query import parse_query
    from cptref.search.rank import search
    from cptref.search.results import confident

    text = " ".join(words)
    parse_query(text)
    found = catalog(data, descriptors)
    tables = cms_tables(cms)
    try:
        return text, list(confident(found, text, search(found, text, limit=limit, cms=tables)))
    finally:
        if tables is not None:
            tables.close()


# --- output --------------------------------------------------------------------------------------------


def output_format(json: bool, fmt: str | None, jsonl: bool = False) -> str:
    """The output format from ``--format`` and its shortcuts ``--json`` / ``--jsonl``."""
    if json and jsonl:
        raise UsageError("--json and --jsonl: choose one")
    short = "json" if json else "jsonl" if jsonl else None
    if short is not None and fmt is not None and fmt != short:
        raise UsageError(f"--{short} is --format {short}; it cannot go with --format {fmt}")
    return short or fmt or "table"


def selected_fields(text: str | None, command: str, fmt: str) -> tuple[str, ...] | None:
    """``--fields`` as names; only with an output that has fields (not the text view)."""

    if text is not None and fmt == "table":
        raise UsageError("--fields selects fields of JSON, JSON Lines, csv or plain output: add --json or --format")
    return fields_of.parse_fields(text, fields_of.FIELDS[command])


def emit_text(doc: Doc, color: str = "auto", page: bool = False) -> None:
    """Text for people: rich with colour on a terminal, plain text when piped (text_terminal.text_mode);
    with ``page``, text longer than the terminal goes through the pager."""
    from cptref.output.text import doc as text_doc
    from cptref.output.text import terminal as text_terminal

    tty = sys.stdout.isatty()
    mode = text_terminal.text_mode(color, tty, os.environ)
    width, height = text_terminal.screen()
    text = text_doc.plain(doc, width) if mode == "plain" or page else ""
    page = page and tty and text.count("\n") >= height
    if mode != "plain":
        always = color == "always"
        text_terminal.to_rich(doc, sys.stdout, mode == "color", width=width, force=always, page=page)
    elif page:
        text_terminal.pager(text)
    else:
        process.write(text)


def emit(formatter: Formatter, answer: Answer, color: str = "auto") -> None:
    """Write ``answer`` in ``formatter``'s format (the text view drawn on a terminal)."""
    if formatter.text:
        assert answer.view is not None
        emit_text(answer.view(), color)
    else:
        process.write(formatter.answer(answer))


# --- the commands --------------------------------------------------------------------------------------


PREFIX_SHOWN = 10
"""The most codes a prefix given to show names on stderr (``cptref search PREFIX`` lists them all)."""


def asked_codes(texts: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """What ``show``'s arguments ask for: the codes (trimmed, upper-cased, each once, in order), the
    code prefixes (one to four digits), and a note for each claim line (``47534-RT``, ``47542x2``),
    whose code is shown and whose modifiers and units are not. Anything else is a malformed code
    (:class:`~cptref.errors.MalformedCode`), before any file is read."""
    from cptref.check.lines import parse_line
    from cptref.errors import MalformedCode
    from cptref.model.codes import CODE_RE, normalize_code

    codes: list[str] = []
    prefixes: list[str] = []
    notes: list[str] = []
    for text in texts:
        bare = text.strip().upper()
        line = parse_line(bare) if not CODE_RE.fullmatch(bare) else None
        if line is not None:
            parts = ", ".join([*(f"-{m}" for m in line.modifiers), *([f"x{line.units}"] if line.units > 1 else [])])
            notes.append(
                f"{text.strip()}: showing {line.code}; show ignores a claim line's modifiers and units ({parts})"
            )
            code = line.code
        elif 1 <= len(bare) <= 4 and bare.isascii() and bare.isdigit():
            if bare not in prefixes:
                prefixes.append(bare)
            continue
        else:
            try:
                code = normalize_code(text)
            except MalformedCode:
                raise MalformedCode(text) from None
        if code not in codes:
            codes.append(code)
    return codes, prefixes, notes


def _prefix_message(prefix: str, begun: Sequence[str]) -> str:
    if not begun:
        return (
            f"{prefix} is not a whole code, and no code of cptref's library begins with it; "
            "`cptref search WORDS` finds codes by words"
        )
    named = ", ".join(begun[:PREFIX_SHOWN]) + (
        f" and {len(begun) - PREFIX_SHOWN} more" if len(begun) > PREFIX_SHOWN else ""
    )
    count = f"{len(begun)} code{'s' * (len(begun) != 1)}"
    listing = f"cptref search {prefix}" if len(prefix) >= 3 else f"cptref list --range {prefix}"
    return (
        f"{prefix} is not a whole code: it begins {count}, {named}; "
        f"`{listing}` lists {'them with their titles' if len(begun) > 1 else 'it with its title'}, "
        "`cptref show CODE` shows one"
    )


def show(v: Values) -> int:
    """The records of the codes asked for. A claim line shows its code (a note on stderr says its
    modifiers and units are not); a code prefix names the codes it begins on stderr; an unknown
    code is named on stderr with the codes it may mean. Every known code is shown either way; exit
    1 when any code asked for is unknown or only a prefix."""
    from cptref.output import to_documents as serialize
    from cptref.output.documents import UnknownView
    from cptref.output.formats import Answer, formatter

    if v["json"]:
        selected = fields_of.parse_fields(v["fields"], documents.PROCEDURE_KEYS)  # before any file is read
    elif v["fields"] is not None:
        raise UsageError("--fields selects fields of JSON output: add --json")
    wanted, prefixes, notes = asked_codes(v["codes"])
    for note in notes:
        process.warn(note)
    cms = cms_tables(v["cms"])
    try:
        only_official = _only_in_tables(wanted, v["data"], cms)
        found, records, unknown = records_to_show(
            [c for c in wanted if c not in only_official], v["data"], v["descriptors"]
        )
        by_code = {r.code: r for r in records}
        shown = [c for c in wanted if c in by_code or c in only_official]
        today = datetime.date.today()
        official = [serialize.official_facts(cms, c, c not in only_official, today) for c in shown] if cms else []
    finally:
        if cms is not None:
            cms.close()
    missing = {u.code: u for u in unknown}
    begun = {p: [c for c in found.codes() if c.startswith(p)] for p in prefixes}
    order = [a for a in (*wanted, *prefixes) if a in missing or a in begun]
    problems = [str(missing[a]) if a in missing else _prefix_message(a, begun[a]) for a in order]
    if v["json"]:
        listed = [UnknownView(a, list(missing[a].suggestions) if a in missing else begun[a]) for a in order]
        emit(formatter("json"), Answer(serialize.show_document(found, records, selected, official, listed)))
    elif shown:
        from cptref.output.text import doc as text_doc
        from cptref.output.text import official as text_official
        from cptref.output.text import show as text_show

        doc = text_doc.TextDoc()
        for i, code in enumerate(shown):
            if i:
                doc.line()
                doc.line("-" * 40, "dim")
                doc.line()
            if code in by_code:
                facts = official[i] if official else None
                doc.lines.extend(text_show.show_doc(found, by_code[code], full=v["full"], tables=facts).lines)
            if official:
                text_official.official_doc(official[i], doc)
        emit_text(doc, v["color"], page=v["full"] and v["pager"])
    for problem in problems:
        process.warn(problem)
    return ExitCode.NOT_FOUND if problems else ExitCode.OK


def _only_in_tables(wanted: Sequence[str], data: str | None, cms: CmsTables | None) -> set[str]:
    """The codes asked for that only the CMS tables know (no record); none without tables."""
    if cms is None:
        return set()
    from cptref.check.rules.base import knows
    from cptref.errors import DataErrors
    from cptref.library import paths as resources
    from cptref.library.catalog import load_catalog
    from cptref.library.read import layer_codes

    try:
        known = set(load_catalog(resources.layers(data)).codes())
    except DataErrors:  # a broken file elsewhere: the file names say which codes have a record
        known = {code for root in resources.layers(data) for code in layer_codes(root)}
    return {c for c in wanted if c not in known and knows(cms, c, "practitioner")}


def search(v: Values) -> int:
    from cptref.output import to_documents as serialize
    from cptref.output.formats import Answer, formatter

    output = output_format(v["json"], v["format"])
    selected = selected_fields(v["fields"], "search", output)
    text, results = ranked(v["query"], v["limit"], v["data"], v["descriptors"], v["cms"])

    def view() -> Doc:
        from cptref.output.text import views as text_views

        return text_views.search_doc(results)

    rows = [serialize.search_result(r) for r in results]
    answer = Answer(
        serialize.search_document(text, results, selected),
        rows=[fields_of.select(r, selected) for r in rows],
        view=view,
        columns=selected or documents.RESULT_COLUMNS,
    )
    out = formatter(output)
    if not out.text:
        process.write(out.header(answer.columns))
    emit(out, answer, v["color"])
    return ExitCode.OK


def check(v: Values) -> int:
    from cptref.check import engine as checking
    from cptref.check.lines import parse_line

    codes, file = v["codes"], v["file"]
    if codes and file is not None:
        raise UsageError("give codes or --file, not both")
    if not codes and file is None:
        raise UsageError("give the codes to check (cptref check 47532 47542) or --file FILE")
    output = output_format(v["json"], v["format"], v["jsonl"])
    if output == "json" and file is not None:
        raise UsageError("--json prints one object; with --file use --jsonl (one object a claim)")
    selected = selected_fields(v["fields"], "check", output)
    # one claim: its date of service, or today; a batch: each claim's own, else --date, else none
    date = service_date(v["date"]) if v["date"] is not None or file is None else None
    stream: Any = None
    if file == "-" and "stdin" in process.CLOSED:
        raise UsageError("standard input is closed (<&-): give the claims with --file FILE")
    if file is not None:
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    cms = None
    try:
        touched = [line.code for line in map(parse_line, codes or ()) if line is not None]
        found = catalog(v["data"], touched=touched if stream is None else None)
        if stream is not None and found.problems:  # a batch may touch any code: it needs the whole library
            from cptref.library.problems import refuse_or_warn

            process.warn(refuse_or_warn(found, sorted(found.broken)))
        cms = cms_tables(v["cms"])
        if cms is not None and stream is not None:
            cms.preload()  # a batch asks about many codes: each table read once, not a query a code
        if stream is not None:
            import gc

            gc.freeze()  # what is read so far lives as long as the batch: the collector need not walk it
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, 100)  # a batch's answer caches are large and hold no cycle
        tables = checking.CheckTables.from_catalog(found, cms, SETTINGS[v["setting"]])
        if stream is None:
            result = checking.check(tables, codes, date, explain=v["explain"])
            _emit_claim(found, tables, result, output, selected, v)
            ok, verified = result.ok, result.verified
        else:
            summary = _check_batch(found, tables, stream, None if file == "-" else file, output, selected, v, date)
            ok, verified = summary.ok, summary.verified
    finally:
        if stream is not None and stream is not sys.stdin.buffer:
            stream.close()
        if cms is not None:
            cms.close()
    return ExitCode.OK if ok and (verified or not v["strict"]) else ExitCode.FINDINGS


def _emit_claim(
    found: Catalog,
    tables: CheckTables,
    result: Any,
    output: str,
    selected: tuple[str, ...] | None,
    v: Values,
) -> None:
    from cptref.check.results import FINDING_KEYS
    from cptref.output import to_documents as serialize
    from cptref.output.formats import Answer, formatter

    def view() -> Doc:
        from cptref.output.text import views as text_views

        return text_views.check_doc(found, result, explain=v["explain"], official=tables.cms is not None)

    out = formatter(output)
    from cptref.output.check_lines import CheckLines

    lines = CheckLines(tables.title, selected, v["explain"]) if output == "jsonl" else None
    answer = Answer(
        serialize.check_document(result, tables.title, selected) if output == "json" else None,
        rows=result.findings,
        view=view,
        lines=[lines.line(result)] if lines is not None else None,
        columns=selected or FINDING_KEYS,
    )
    if not out.text:
        process.write(out.header(answer.columns))
    emit(out, answer, v["color"])


def _check_batch(
    found: Catalog,
    tables: CheckTables,
    stream: Any,
    name: str | None,
    output: str,
    selected: tuple[str, ...] | None,
    v: Values,
    date: datetime.date | None,
) -> Any:
    """Check every claim of ``stream`` (each on its own date, else ``date``, else it is reported); print
    findings on stdout in input order (machine formats: on every core, :mod:`cptref.batch`), bad lines
    and a summary on stderr."""
    import time

    from cptref.check import batch
    from cptref.check import engine as checking
    from cptref.check.inputs.base import BatchClaim, SkippedLine
    from cptref.check.inputs.registry import batch_lines, reader_for
    from cptref.check.results import BatchSummary
    from cptref.library.index.parse import cores
    from cptref.output.formats import formatter
    from cptref.output.text import doc as text_doc
    from cptref.output.text import terminal as text_terminal
    from cptref.output.text import views as text_views

    shown = name or "<stdin>"
    total = 0
    if name is not None and sys.stderr.isatty():
        try:
            total = os.fstat(stream.fileno()).st_size
        except OSError:
            total = 0
    progress = total >= 1_000_000  # a long file, and stderr is a terminal
    done = [0]
    last = [time.monotonic()]

    def counted(lines: Any) -> Any:
        for raw in lines:
            done[0] += len(raw)
            yield raw

    def tick() -> None:
        if progress and time.monotonic() - last[0] > 0.2:
            last[0] = time.monotonic()
            sys.stderr.write(text_terminal.progress_line(done[0], total, summary.claims))
            sys.stderr.flush()

    def bad(line: int, message: str) -> None:
        summary.skipped += 1
        if progress:
            sys.stderr.write("\r" + " " * 60 + "\r")  # the progress bar's line, cleared
        process.warn(f"{shown}:{line}: {message}; line skipped")

    summary = BatchSummary()
    explain, color = v["explain"], v["color"]
    found_lines = batch_lines(stream, name)
    reader, lines = found_lines if found_lines is not None else (reader_for("jsonl"), iter(()))
    if progress:
        lines = counted(lines)

    if formatter(output).text:
        doc = text_doc.TextDoc()
        for item in reader.items(lines):
            if isinstance(item, SkippedLine):
                summary.not_a_claim(item)
                continue
            if not isinstance(item, BatchClaim):
                bad(item.line, item.message)
                continue
            day = item.date or date
            if day is None:
                bad(item.line, batch.NO_DATE)
                continue
            result = checking.check(tables, item.codes, day, explain)
            summary.add(result)
            if summary.claims > 1:
                doc.line()
            text_views.check_doc(found, result, explain=explain, claim=item, doc=doc, official=tables.cms is not None)
            if len(doc.lines) >= 2000:
                emit_text(doc, color)
                doc = text_doc.TextDoc()
            tick()
        if doc.lines:
            emit_text(doc, color)
    else:
        from cptref.output.check_lines import claim_writer

        encoder = batch.Encoder(tables, claim_writer(output, tables.title, selected, explain), explain, date)

        def make() -> batch.Encoder:  # in a worker, forked: a catalog of its own, the CMS tables inherited
            cms = tables.cms
            if cms is not None:
                cms.reconnect()
            worker_tables = checking.CheckTables.from_catalog(found.reopened(), cms, SETTINGS[v["setting"]])
            writer = claim_writer(output, worker_tables.title, selected, explain)
            return batch.Encoder(worker_tables, writer, explain, date)

        process.write(encoder.header())
        jobs = v["jobs"] or cores()
        for chunk in batch.checked_chunks(reader, lines, encoder, make, jobs):
            process.write(chunk.data)
            for line, message in chunk.bad:
                bad(line, message)
            summary.merge(chunk.summary)
            tick()
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    process.warn(f"{shown}: {text_views.check_summary(summary)}")
    return summary


def _code_range(text: str) -> Callable[[str], bool]:
    """``--range``: ``47531-47544`` (both ends kept) or a code prefix (``4753``)."""
    first, dash, last = text.strip().upper().partition("-")
    if dash:
        from cptref.model.codes import CODE_RE

        if not (CODE_RE.fullmatch(first) and CODE_RE.fullmatch(last)):
            raise UsageError(f"--range takes two codes, 47531-47544, or a code prefix, 4753; got {text[:40]!r}")
        return lambda code: first <= code <= last
    if not first or not first.isalnum():
        raise UsageError(f"--range takes two codes, 47531-47544, or a code prefix, 4753; got {text[:40]!r}")
    return lambda code: code.startswith(first)


def list_codes(v: Values) -> int:
    from cptref.output import to_documents as serialize
    from cptref.output.formats import Answer, formatter

    output = output_format(v["json"], v["format"])
    selected = selected_fields(v["fields"], "list", output)
    keep = _code_range(v["range"]) if v["range"] is not None else None
    found = catalog(v["data"])
    if v["family"] is not None and v["family"] not in found.families:
        known = ", ".join(sorted(found.families))
        raise UsageError(f"no family {v['family'][:40]!r}; the families are: {known}")
    codes = [
        serialize.listed_code(record)
        for record in found
        if (keep is None or keep(record.code))
        and (v["family"] is None or record.family == v["family"])
        and (v["status"] is None or record.status == v["status"])
    ]

    def view() -> Doc:
        from cptref.output.text import views as text_views

        return text_views.list_doc(codes)

    rows = [fields_of.select(c, selected) for c in codes]
    answer = Answer(
        serialize.list_document(codes, selected), rows=rows, view=view, columns=selected or documents.LIST_KEYS
    )
    out = formatter(output)
    if not out.text:
        process.write(out.header(answer.columns))
    emit(out, answer, v["color"])
    return ExitCode.OK


def families(v: Values) -> int:
    from cptref.output import to_documents as serialize

    found = catalog(v["data"])
    document = serialize.families_document(found)
    if v["json"]:
        process.write(dumps(document))
        return ExitCode.OK
    from cptref.output.text import views as text_views

    emit_text(text_views.families_doc(document), v["color"])
    return ExitCode.OK


def tables(v: Values) -> int:
    """``cptref tables``: the CMS tables read, with their dates, and every file skipped or not loaded."""
    from cptref.library import paths as resources
    from cptref.output import to_documents as serialize

    paths = resources.cms_paths(v["cms"])
    if not paths:
        raise UsageError("no CMS tables are named: give --cms PATH (your downloads) or set CPTREF_CMS")
    found = cms_tables(v["cms"], quiet=True, required=False)
    assert found is not None
    with found:
        document = serialize.tables_document(found.summary(), [os.fsdecode(p) for p in paths])
    if v["json"]:
        process.write(dumps(document))
    else:
        from cptref.output.text import views as text_views

        emit_text(text_views.tables_doc(document), v["color"])
    return ExitCode.OK if document.ok else ExitCode.DATA


def validate(v: Values) -> int:
    from cptref.library import lint as linting
    from cptref.library import paths as resources
    from cptref.library.pack.file import Pack, is_pack
    from cptref.output import to_documents as serialize

    directory = v["directory"]
    root = resources.data_dir(directory)
    if is_pack(root):  # its files were checked when it was packed: that it can be read is what is left
        with Pack(root) as packed:
            report = linting.Report(root, len(packed.codes()), ())
        process.warn(f"{root} is a packed library, checked when packed: validate the directory it was made from")
    else:
        report = linting.validate(root, strict=v["strict"], base=resources.shipped_data_dir())
    cms = None
    if v["cms"] is not None:  # only when asked: CPTREF_CMS alone does not make validate read them
        tables = cms_tables(v["cms"], quiet=True, required=False)
        if tables is not None:
            with tables:
                cms = tables.summary()
    problems = [*report.problems, *(cms.problems if cms is not None else ())]
    if v["strict"]:
        problems = [p if p.severity == "error" else msgspec.structs.replace(p, severity="error") for p in problems]
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if v["json"]:
        process.write(dumps(serialize.validate_document(report, cms, problems)))
    else:
        lines = [f"{p.file}: {p.field}: {'warning: ' if p.severity == 'warning' else ''}{p.message}" for p in problems]
        process.write("".join(visible(line, keep=False) + "\n" for line in lines))
        for line in cms.lines() if cms is not None else ():
            process.warn(line)
    what = f"{report.files} record files" + (f" and {len(cms.tables)} CMS tables" if cms is not None else "")
    process.warn(f"{what} checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return ExitCode.DATA if errors else ExitCode.OK


def pack(v: Values) -> int:
    """Write a packed library of a data directory (nothing when any file has a problem: exit 3)."""
    from cptref.errors import DataErrors, Problem
    from cptref.library.pack.file import is_pack
    from cptref.library.pack.write import write_pack
    from cptref.library.paths import display_path
    from cptref.output import to_documents as serialize

    source = Path(v["directory"])
    if is_pack(source):
        raise UsageError(f"{display_path(source)} is packed already: pack the data directory it was made from")
    if not source.is_dir():
        what = "does not exist" if not source.exists() else "is not a directory"
        raise DataErrors([Problem(display_path(source), "$", f"the data directory {what}")])
    output = Path(v["output"]) if v["output"] else source.absolute().parent / f"{source.absolute().name}.cptref"
    if output.is_dir():
        raise UsageError(f"--output {display_path(output)} is a directory: name the file to write")
    if sys.stderr.isatty():
        from cptref.output.text.terminal import ProgressBar

        with ProgressBar("Checking the record files") as bar:
            report = write_pack(source, output, bar)
    else:
        report = write_pack(source, output)
    if v["json"]:
        process.write(dumps(serialize.pack_document(output, source, report)))
    else:
        shown = display_path(output)
        size = f"{report.size / 1_000_000:.1f} MB" if report.size >= 100_000 else f"{report.size} bytes"
        process.write(
            visible(
                f"packed {report.records} records, {report.sources} sources and {report.families} families of "
                f"{display_path(source)} into {shown} ({size}); use it with --data {shown} or CPTREF_DATA={shown}",
                keep=False,
            )
            + "\n"
        )
    return ExitCode.OK


def schema(v: Values) -> int:
    from cptref.output import schema as schemas

    command, fields = v["command"], v["fields"]
    if command is None:
        if fields is not None:
            raise UsageError("--fields narrows one command's schema: name it (cptref schema show --fields code)")
        process.write(dumps(schemas.every(v["jsonl"])))
        return ExitCode.OK
    if fields is not None and command not in fields_of.FIELDS:
        raise UsageError(f"{command} has no --fields")
    selected = fields_of.parse_fields(fields, fields_of.FIELDS.get(command, ()))
    process.write(dumps(schemas.schema(command, v["jsonl"], selected)))
    return ExitCode.OK


def version(cms: str | None = None) -> int:
    """The program's version and the data's (its release and record count); with CMS tables (``--cms``,
    ``$CPTREF_CMS``), a line for each table read, with its version and rows."""
    from cptref import __version__
    from cptref.library import paths as resources

    def release(root: Path) -> str:
        from cptref.library.pack.file import Pack, is_pack

        if is_pack(root):
            try:
                with Pack(root) as packed:
                    return f"packed, {packed.release or 'unreleased'}"
            except CptrefError:
                return "unusable"
        return resources.data_release(root) or "unreleased"

    line = f"cptref {__version__}"
    roots = resources.layers()
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
    tables = cms_tables(cms, quiet=True, required=False)
    if tables is not None:
        with tables:
            summary = tables.summary()
        lines.append(f"CMS tables ({len(summary.tables)}; {len(summary.errors)} errors in the files):")
        lines.extend(f"  {text}" for text in summary.lines())
    process.write("".join(visible(text, keep=False) + "\n" for text in lines))
    return ExitCode.OK


COMMANDS: dict[str, Callable[[Values], int]] = {
    "show": show,
    "search": search,
    "check": check,
    "list": list_codes,
    "families": families,
    "tables": tables,
    "validate": validate,
    "pack": pack,
    "schema": schema,
}
"""Every command's use-case, by name (the commands of :data:`cptref.options.COMMANDS`)."""


def run(command: str, values: Values) -> int:
    """Answer ``command`` with its parsed ``values``; the exit status."""
    return COMMANDS[command](values)
