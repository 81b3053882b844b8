"""Claims read from X12 837 files: 837P (professional) and 837I (institutional), version 5010.

An 837 file is an interchange (ISA ... IEA) of functional groups (GS ... GE) of transaction sets
(ST ... SE); a transaction set holds claims (CLM), each with its service lines (LX, then SV1 in an
837P or SV2 in an 837I, each followed by its own date of service, DTP*472).
:func:`~.reader.read_x12` reads such a file, from a path, a binary stream or bytes, in one pass and
in bounded memory, and yields:

- :class:`~.data.X12Claim`: the service lines of one claim that share a date of service, with the
  claim's id (CLM01), its setting (837P: practitioner; 837I: outpatient_hospital), its place of
  service or type of bill, and each line as a code, its modifiers and its units (``str(line)`` is
  cptref's claim-line string, ``47542-59x2``). A claim whose lines fall on several dates gives one
  item a date: the edits in force and the per-day limits (MUE) are those of each date.
- :class:`~.data.X12Problem`: whatever could not be read, with where it is (the segment's number,
  its byte offset and its line in the file) and how many claims and service lines it cost.

Nothing is lost silently. Every CLM segment is a claim read (one item or more) or counted in a
problem; every service line (SV1, SV2) is a line of a claim read, a line without a procedure code
(an 837I revenue line such as room and board, counted in :attr:`.data.X12Tally.uncoded`), or counted
in a problem. :attr:`.reader.X12Reader.tally` holds the counts; :meth:`.data.X12Tally.balanced` says
they add up.

Only the segments a claim needs are split into elements (the envelopes, HL, CLM, LX, SV1, SV2, DTP);
every other segment is counted, its identifier checked, and left alone: this is a reader of claims,
not a validator of the implementation guides (a clearinghouse's 999 acknowledgement does that).

The modules, each one job, each built on those before it:

- :mod:`.data`: what the reader gives (:class:`~.data.X12Claim`, :class:`~.data.X12Problem`, the
  :class:`~.data.X12Tally`) and the :class:`~.data.Limits` it reads within.
- :mod:`.tokens`: the tokenizer: the ISA and its delimiters, the file's bytes in chunks, its
  segments, their positions; the pass that hands each segment to its handler.
- :mod:`.envelopes`: the interchanges, functional groups and transaction sets (ISA, GS, ST and their
  trailers): their counts and control numbers, and the problems they raise.
- :mod:`.claims`: the claims (CLM, its HL and LX) as drafts, and each claim made into its items,
  one a date of service.
- :mod:`.services`: the service lines (SV1, SV2) and their dates (DTP); the whole parser.
- :mod:`.reader`: :func:`~.reader.read_x12`, the :class:`~.reader.X12Claims` reader the batch
  registry names, and the tally's text.
"""
