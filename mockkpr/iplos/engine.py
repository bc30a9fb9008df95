"""The streaming validation engine: parse -> schema -> rules, one top-level row at a time.

The engine reads a document incrementally with lxml (entities, DTDs and network access off,
any DOCTYPE rejected), validates each child of the root against the format's schema on its own,
turns it into :class:`~mockkpr.iplos.rows.Row` objects, runs the registered rules on every row
and then frees the element, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, BinaryIO

from lxml import etree

from mockkpr.iplos import schemas
from mockkpr.iplos.findings import Consequence, Finding, Report
from mockkpr.iplos.formats import FORMATS, DocumentFormat, DocumentKind, Generation
from mockkpr.iplos.rows import DATA_ROWS, Row, row_from_element
from mockkpr.iplos.rules import document as doc_rules
from mockkpr.iplos.rules.event_history import HISTORY_KEY, EventHistory
from mockkpr.iplos.rules.registry import (
    END,
    REGISTRY,
    ROOT,
    Check,
    Context,
    Identity,
    Rule,
    Violation,
)
from mockkpr.iplos.values import as_date8, as_datetime
from mockkpr.xmlsafe import PARSER_OPTIONS, attributes_of, doctype_of, line_of, pull_parser, tag_of

_SNIFF_LIMIT = 1 << 20  # bytes read while looking for the root element
_CHUNK = 1 << 16
_XSD_MESSAGE = re.compile(
    r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S
)
# "The attribute 'x' is required but missing."
_MISSING_ATTRIBUTE = re.compile(r"The attribute '([^']+)' is required but missing")
# "Missing child element(s). Expected is ( {ns}x )." / "This element is not expected. Expected
# is one of ( {ns}a, {ns}x )."; the last name listed is the first one the sequence needs.
_EXPECTED = re.compile(
    r"^(Missing child element\(s\)|This element is not expected)\. Expected is (?:one of )?"
    r"\( ([^)]*) \)"
)
_NAME = re.compile(r"(?:\{[^}]*\})?([\w.-]+)")
_NO_LEAVES: Mapping[str, str] = {}
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[ \t\r\n]")
_GENERATION_YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: 2019}


@dataclass
class Options:
    """How to judge a document: forced reporting year, id policy, limits, progress callback."""

    year: int | None = None
    accept_synthetic_ids: bool = True
    flag_real_ids: bool = True
    max_payload_bytes: int = 1 << 30
    today: date = field(default_factory=date.today)
    progress: Callable[[int], None] | None = None
    # Earlier 56.0.0 messages of the same kommune, continued by this one (event_history.py).
    history: EventHistory | None = None


class _TooLarge(Exception):
    pass


class _Reader:
    """A file-like reader that replays sniffed bytes, counts bytes and enforces the limit."""

    def __init__(self, head: bytes, rest: BinaryIO, already: int, options: Options) -> None:
        self._head = head
        self._rest = rest
        self._count = already
        self._options = options

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        data = self._rest.read(_CHUNK if size is None or size < 0 else size)
        self._count += len(data)
        if self._count > self._options.max_payload_bytes:
            raise _TooLarge
        if self._options.progress is not None and data:
            self._options.progress(len(data))
        return data


class DocumentValidator:
    """Validates one document into a report; ``identities`` joins it to an identity message."""

    def __init__(
        self,
        report: Report,
        options: Options,
        identities: dict[str, Identity] | None = None,
        identity_header: Row | None = None,
        identity_missing: bool = False,
    ) -> None:
        self.report = report
        self.options = options
        self.identities = identities
        self.identity_header = identity_header
        self.identity_missing = identity_missing
        self.format: DocumentFormat | None = None
        self.ctx: Context | None = None
        self._schema: etree.XMLSchema | None = None
        self._root_row: Row | None = None
        self._seen: dict[str, int] = {}
        self._order = 0
        self._repeats: dict[str, bool] = {}
        self._maximum: dict[str, int] = {}  # -1: no maximum
        self._first_extra: dict[str, int] = {}
        self._tags: frozenset[str] = frozenset()
        self._checks: dict[str, tuple[tuple[Rule, Check], ...]] = {}
        self._leaves: Mapping[str, str] = {}
        self._rejected_rows = 0
        self.collected: dict[str, Identity] = {}
        self.header: Row | None = None
        self.finished = False
        # A tree parsed inside a larger document (a MsgHead) has its lines this far down.
        self._line_offset = 0

    # ----------------------------------------------------------------- findings
    def emit(self, rule: Rule, violation: Violation, row: Row | None) -> None:
        """Turn one violation of ``rule`` into a finding and apply its consequence."""
        target = violation.row or row
        if violation.location is not None:
            location = violation.location
        elif target is not None:
            location = target.location(violation.field)
        else:
            location = "/"
        # The line of the element the location names (a field's own line, looked up only here).
        line = violation.line if violation.line is not None else \
            (target.line_for(violation.field, self._line_offset) if target is not None
             else None)
        self.report.add(Finding(
            rule.id, rule.consequence, location, violation.value, violation.expected,
            rule.message_no, rule.message_en, rule.requirement, line,
            _service_type(target) if target is not None else None,
        ))
        if rule.consequence is Consequence.REJECT_ROW and target is not None:
            data_row = _data_row(target)
            if data_row is not None:
                data_row.dropped = True
                self._rejected_rows += 1
        elif rule.consequence in (Consequence.SET_NULL, Consequence.SET_MINUS_ONE):
            self.report.rows.blanked += 1

    def emit_document(self, rule: Rule, detail: str, line: int | None = None,
                      value: str | None = None, location: str = "/") -> None:
        self.emit(rule, Violation(None, value, detail, location=location, line=line), None)

    # ----------------------------------------------------------------- driving
    def _line(self, element: etree._Element) -> int:
        line = line_of(element)
        return line - self._line_offset if line else 0

    def run(self, stream: BinaryIO, size: int | None = None) -> None:
        """Validate everything ``stream`` yields; findings go to the report.

        ``size``, when known (a file), lets a document over the limit be refused unread.
        """
        try:
            if size is not None and size > self.options.max_payload_bytes:
                raise _TooLarge
            self._run(stream)
        except _TooLarge:
            self.emit_document(
                doc_rules.XML_TOO_LARGE,
                f"at most {self.options.max_payload_bytes} bytes",
            )

    def _run(self, stream: BinaryIO) -> None:
        head, root, whole = self._sniff(stream)
        if root is None:
            return
        assert self.format is not None
        ns = self.format.namespace
        self._tags = frozenset(f"{{{ns}}}{name}" for name in self.format.top_level_names)
        if whole is not None:
            # The sniffer has parsed the whole (small) document already: walk its tree.
            root_el = whole
            # Namespace declarations were not watched (an xsi: attribute could be anywhere);
            # a small document gains little from leaf fields anyway.
            self._leaves = _NO_LEAVES
            self._start(root_el)
            for element in [child for child in root_el if child.tag in self._tags]:
                self._judge(element)
        else:
            found = self._stream(_Reader(head, stream, len(head), self.options))
            if found is None:
                return
            root_el = found
        for extra in root_el:
            if isinstance(extra.tag, str) and extra.tag not in self._tags:
                self._unexpected(extra)
        self._finish()

    def run_parsed(self, root: etree._Element, data: bytes, line_offset: int = 0) -> bool:
        """Judge the document ``data`` from ``root``, its parse, without parsing it again.

        ``root`` is the root element of ``data`` as mockkpr's parser reads it, or the same
        element parsed inside a larger document (a MsgHead's payload) whose line ``n +
        line_offset`` is line ``n`` of ``data``. The report is the one :meth:`run` gives for
        ``data``. Where that could differ, nothing is judged and False is returned (run
        ``data`` then): comments or processing instructions below the root's children (the
        validator's parser drops them, which joins the text around them), text between the
        root's children (the incremental parse sees it or not depending on where a read ends),
        a document over the size limit or a root start tag beyond the first megabyte.
        """
        if (len(data) > self.options.max_payload_bytes
                or not 0 <= data.find(b">") < _SNIFF_LIMIT - 2 * _CHUNK):
            return False
        # Every "<!--" and "<?" in data opens the XML declaration, a comment or a PI (text and
        # attribute values hold them escaped): none is below the root's children when the
        # declaration, the comments and PIs around the root and among its children are all.
        marks = data.count(b"<!--") + (data.count(b"<?") if b"?" in data else 0)
        marks -= bool(_DECLARATION.match(data))
        if root.getparent() is None:  # data is the whole document: its prolog and epilog
            marks -= sum(1 for _ in root.itersiblings(preceding=True))
            marks -= sum(1 for _ in root.itersiblings())
        for child in root:
            if not isinstance(child.tag, str):
                marks -= 1
            if child.tail and child.tail.strip():
                return False
        if marks:
            return False
        if self.options.progress is not None:
            self.options.progress(len(data))
        self._line_offset = line_offset
        if self._check_root(root) is None:
            return True
        assert self.format is not None
        ns = self.format.namespace
        tags = self._tags = frozenset(f"{{{ns}}}{name}" for name in self.format.top_level_names)
        if schemas.XSI_NAMESPACE.encode() in data:  # see _stream
            self._leaves = _NO_LEAVES
        # In document order, as the incremental parse meets them (_stream, _sweep, _run).
        self._start(root)
        for child in root:
            tag = child.tag
            if tag in tags:
                self._top_level(child)
            elif isinstance(tag, str):
                self._unexpected(child)
        self._finish()
        return True

    def _stream(self, reader: _Reader) -> etree._Element | None:
        """Parse the document incrementally, judging each top-level element as it ends.

        Returns the root element, or None when the document is not well-formed (reported).
        """
        # Namespace declarations come too: one binding the xsi namespace ends the fast path
        # for leaf fields (see _top_level).
        events = etree.iterparse(reader, events=("end", "start-ns"), tag=sorted(self._tags),
                                 **PARSER_OPTIONS)
        root_el: etree._Element | None = None
        try:
            for event, element in events:
                if event == "start-ns":
                    if element[1] == schemas.XSI_NAMESPACE:
                        self._leaves = _NO_LEAVES
                    continue
                if root_el is None:
                    root_el = element.getroottree().getroot()
                    self._start(root_el)
                if element.getparent() is not root_el:
                    continue  # same name deeper down: part of a row, handled with it
                self._judge(element)
        except etree.XMLSyntaxError as exc:
            self._not_well_formed(exc)
            return None
        if root_el is None:
            # No top-level element at all: the root is still worth judging.
            root_el = events.root
            self._start(root_el)
        return root_el

    def _sniff(
        self, stream: BinaryIO
    ) -> tuple[bytes, etree._Element | None, etree._Element | None]:
        """Read until the root element starts; check DOCTYPE and namespace on the way.

        Returns the bytes read, the root element when the document is worth reading on (else
        None, with a finding) and, when the bytes read are the whole document and well-formed,
        its parsed root (a small document need not be parsed twice).
        """
        parser = pull_parser()
        chunks: list[bytes] = []
        size = 0
        try:
            while size < _SNIFF_LIMIT:
                data = stream.read(_CHUNK)
                if not data:
                    break
                if self.options.progress is not None:
                    self.options.progress(len(data))
                chunks.append(data)
                size += len(data)
                if size > self.options.max_payload_bytes:
                    raise _TooLarge
                parser.feed(data)
                for _, element in parser.read_events():
                    assert isinstance(element, etree._Element)
                    root = self._check_root(element)
                    if root is None:
                        return b"", None, None
                    whole = self._whole(stream, chunks, size, parser)  # may read more
                    return b"".join(chunks), root, whole
            if size == 0:
                self.emit_document(doc_rules.XML_EMPTY, "an XML document")
                return b"", None, None
            if size >= _SNIFF_LIMIT:
                # no root start in the first megabyte: most likely a huge value in the root's
                # start tag. Read on (keeping nothing) until libxml2 says what is wrong, as it
                # does for the endpoint ("Buffer size limit exceeded"), instead of reporting
                # the first megabyte as a document cut short.
                self._read_past_sniff_limit(stream, parser, size)
                return b"", None, None
            parser.close()
        except etree.XMLSyntaxError as exc:
            if b"<!DOCTYPE" in b"".join(chunks)[:_SNIFF_LIMIT]:
                # libxml2 can fail inside the DTD (entity amplification) before the root
                # starts: the DOCTYPE is the reason to give.
                self.emit_document(doc_rules.XML_DOCTYPE, "no DOCTYPE", value=str(exc.msg))
            else:
                self._not_well_formed(exc)
            return b"", None, None
        self.emit_document(doc_rules.XML_NOT_WELL_FORMED,
                           "a root element within the first megabyte")
        return b"", None, None

    def _whole(self, stream: BinaryIO, chunks: list[bytes], size: int,
               parser: etree.XMLPullParser) -> etree._Element | None:
        """The parsed root when ``parser`` has been fed the whole document, else None.

        Reads once more to see whether the stream has ended; what it reads is added to
        ``chunks`` for the streaming parse. A document that does not end well (or a limit
        that one more read could pass) is left to the streaming parse, which reports it where
        it always has.
        """
        if size + _CHUNK > self.options.max_payload_bytes:
            return None
        more = stream.read(_CHUNK)
        if more:
            if self.options.progress is not None:
                self.options.progress(len(more))
            chunks.append(more)
            return None
        try:
            return parser.close()
        except etree.XMLSyntaxError:
            return None

    def _read_past_sniff_limit(self, stream: BinaryIO, parser: etree.XMLPullParser,
                               size: int) -> None:
        """Feed the rest to ``parser`` until it fails or the root starts (raises
        ``XMLSyntaxError`` for :meth:`_sniff`); a root start tag over the limit is a finding."""
        while data := stream.read(_CHUNK):
            if self.options.progress is not None:
                self.options.progress(len(data))
            size += len(data)
            if size > self.options.max_payload_bytes:
                raise _TooLarge
            parser.feed(data)
            if any(True for _ in parser.read_events()):
                break
        else:
            parser.close()
        self.emit_document(doc_rules.XML_NOT_WELL_FORMED,
                           f"a root element start tag within the first {_SNIFF_LIMIT} bytes")

    def _check_root(self, root: etree._Element) -> etree._Element | None:
        doctype = doctype_of(root.getroottree())
        if doctype:
            self.emit_document(doc_rules.XML_DOCTYPE, "no DOCTYPE", value=doctype,
                               line=self._line(root))
            return None
        qname = etree.QName(root)
        fmt = FORMATS.get(qname.namespace or "")
        if fmt is None or fmt.root != qname.localname:
            known = ", ".join(f"{{{f.namespace}}}{f.root}" for f in FORMATS.values())
            self.emit_document(doc_rules.XML_UNKNOWN_FORMAT, f"one of {known}",
                               value=tag_of(root), line=self._line(root))
            return None
        self.format = fmt
        self._repeats = {name: maximum != 1 for name, _, maximum in fmt.top_level}
        self._maximum = {name: -1 if maximum is None else maximum
                         for name, _, maximum in fmt.top_level}
        if fmt.kind is DocumentKind.IDENTITY:
            self.report.identity_format = fmt
        else:
            self.report.document_format = fmt
        self._schema = schemas.load_schema(fmt.schema)
        self._leaves = schemas.leaf_fields(fmt.schema)
        return root

    def _not_well_formed(self, exc: etree.XMLSyntaxError) -> None:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        self.emit_document(doc_rules.XML_NOT_WELL_FORMED, "well-formed XML in UTF-8 or as declared",
                           value=str(exc.msg), line=line)

    # ----------------------------------------------------------------- structure
    def _start(self, root: etree._Element) -> None:
        assert self.format is not None
        self._root_row = Row(self.format.root, attributes_of(root), {}, self._line(root),
                             self.format.root)
        # Annual formats belong to their year until the header says otherwise; event
        # messages are judged as of their first notification (or today).
        generation = self.format.generation
        default = self.options.today.year if generation is None else \
            _GENERATION_YEAR.get(generation, self.options.today.year)
        year = self.options.year or default
        self.ctx = Context(
            generation=self.format.generation, kind=self.format.kind, year=year,
            period_start=date(year, 1, 1), period_end=date(year, 12, 31),
            accept_synthetic_ids=self.options.accept_synthetic_ids,
            flag_real_ids=self.options.flag_real_ids, identities=self.identities,
            identity_header=self.identity_header, identity_missing=self.identity_missing,
        )
        if self.options.history is not None and self.format.generation is Generation.EVENT_56:
            self.ctx.state[HISTORY_KEY] = self.options.history
        if root.text and root.text.strip():
            self.emit_document(doc_rules.XML_STRUCTURE, "only elements inside the root",
                               value=root.text.strip()[:40], location=f"/{self.format.root}",
                               line=self._line(root))
        self._run_rules(ROOT, self._root_row)

    def _judge(self, element: Any) -> None:
        """Judge one top-level element, then free it and what came before it."""
        self._sweep(element)
        self._top_level(element)
        element.clear(keep_tail=True)  # (lxml-stubs lack keep_tail)

    def _sweep(self, element: etree._Element) -> None:
        """Drop the elements before ``element`` (already handled or not expected there)."""
        parent = element.getparent()
        assert parent is not None
        while (previous := element.getprevious()) is not None:
            if isinstance(previous.tag, str) and previous.tag not in self._tags:
                self._unexpected(previous)
            parent.remove(previous)

    def _unexpected(self, element: etree._Element) -> None:
        assert self.format is not None
        expected = ", ".join(name for name, _, _ in self.format.top_level)
        self.emit_document(doc_rules.XML_STRUCTURE, f"only {expected} in the root",
                           value=tag_of(element), location=f"/{self.format.root}",
                           line=self._line(element))

    def _check_order(self, name: str, line: int) -> None:
        assert self.format is not None
        order = [n for n, _, _ in self.format.top_level]
        index = order.index(name)
        if index < self._order:
            self.emit_document(doc_rules.XML_STRUCTURE,
                               f"{name} before {order[self._order]}",
                               value=name, location=f"/{self.format.root}/{name}", line=line)
        self._order = max(self._order, index)
        count = self._seen[name] = self._seen.get(name, 0) + 1
        if count == self._maximum[name] + 1:
            self._first_extra[name] = line  # where a count over the maximum points

    def _finish(self) -> None:
        assert self.format is not None
        assert self._root_row is not None
        for name, minimum, maximum in self.format.top_level:
            count = self._seen.get(name, 0)
            if count < minimum or (maximum is not None and count > maximum):
                bound = f"at least {minimum}" if maximum is None else \
                    (f"exactly {minimum}" if minimum == maximum else f"{minimum}..{maximum}")
                # Too many: the first one over; too few: the root they are missing from.
                line = self._first_extra.get(name, self._root_row.line) if count > minimum \
                    else self._root_row.line
                self.emit_document(doc_rules.XML_STRUCTURE, f"{bound} {name}",
                                   value=str(count), location=f"/{self.format.root}/{name}",
                                   line=line)
        self._run_rules(END, self._root_row)
        self.finished = True

    # ----------------------------------------------------------------- rows
    def _top_level(self, element: etree._Element) -> None:
        assert self.format is not None
        assert self._schema is not None
        assert self.ctx is not None
        name = tag_of(element)[len(self.format.namespace) + 2:]
        line = self._line(element)
        self._check_order(name, line)
        if element.tail and element.tail.strip():
            self.emit_document(doc_rules.XML_STRUCTURE, "only elements inside the root",
                               value=element.tail.strip()[:40],
                               location=f"/{self.format.root}", line=line)
        valid = self._schema.validate(element)
        marks = None if valid else self._schema_errors(element)
        index: dict[etree._Element, Row] | None = {} if marks else None
        rows: list[Row] = []
        # The schema accepted the element: fields it declares with a simple type are leaves.
        row = row_from_element(element, f"/{self.format.root}",
                               position=self._seen[name] if self._repeats[name] else 0,
                               index=index, leaves=self._leaves if valid else _NO_LEAVES,
                               out=rows)
        if self._line_offset:
            for each in rows:
                each.line = each.line - self._line_offset if each.line else 0
        if name == "INNHINFO":
            self._set_header(row)
        elif name == "Notifikasjon" and self.options.year is None and self.report.year is None:
            self._set_event_year(row)
        elif name == "Kommune" and self.report.kommune is None:
            self.report.kommune = row.attrs.get("kommuneNr")
        rejected_before = self._rejected_rows
        if marks and index is not None:
            self._report_schema_errors(index, marks)
        checks = self._checks
        ctx = self.ctx
        counted = 0
        for each in rows:
            kind = each.kind
            if kind in DATA_ROWS:
                counted += 1
            # The rules of a kind are looked up once per document (this loop runs per row).
            found_checks = checks.get(kind)
            if found_checks is None:
                found_checks = self._checks_for(kind)
            for rule, check in found_checks:
                found = check(each, ctx)
                if found:
                    for violation in found:
                        self.emit(rule, violation, each)
        self.report.rows.total += counted
        if self._rejected_rows != rejected_before:
            self.report.rows.dropped += sum(
                1 for r in rows if r.kind in DATA_ROWS and r.is_dropped())
        if self.format.kind is DocumentKind.IDENTITY and name == "PasientIdent":
            self._collect_identity(row)
        # The elements are freed next (_judge): rows must not keep them alive, neither those
        # that outlive them (the header) nor the rest, which their parent/child cycles keep
        # until the garbage collector runs (without this, 5 % more instructions per row).
        for each in rows:
            each.element = None

    def _set_header(self, innhinfo: Row) -> None:
        """Take the reporting year (unless forced) and the kommune from the header."""
        assert self.ctx is not None
        self.header = innhinfo
        # the header outlives its element (the identity join)
        innhinfo.keep_field_lines(self._line_offset)
        start = as_date8(innhinfo.get("iiFraDato"))
        end = as_date8(innhinfo.get("iiTilDato"))
        year = start.year if start else (end.year if end and end.year < 9999 else None)
        if year is not None and self.options.year is None:
            self.ctx.year = year
            self.ctx.period_start = date(year, 1, 1)
            self.ctx.period_end = date(year, 12, 31)
        kommune = innhinfo.get("iiKomnr")
        if kommune:
            self.ctx.kommune = kommune
            self.report.kommune = kommune
        self.report.year = self.ctx.year

    def _set_event_year(self, notification: Row) -> None:
        """Event messages have no period: judge them as of the first notification's year."""
        assert self.ctx is not None
        stamp = as_datetime(notification.attrs.get("notifikasjonTid"))
        if stamp is not None:
            year = stamp.year
            self.ctx.year = year
            self.ctx.period_start = date(year, 1, 1)
            self.ctx.period_end = date(year, 12, 31)
            self.report.year = year

    def _collect_identity(self, row: Row) -> None:
        key = row.attrs.get("pePeID")
        if key and key not in self.collected:
            self.collected[key] = Identity(row.fields.get("fid", ""), row.fields.get("typeID", ""),
                                           row.path, row.line, rejected=row.is_dropped())

    def _checks_for(self, scope: str) -> tuple[tuple[Rule, Check], ...]:
        """The rules of one scope with their functions, looked up once per document."""
        assert self.ctx is not None
        checks = self._checks.get(scope)
        if checks is None:
            checks = self._checks[scope] = REGISTRY.checks_for(
                self.ctx.generation, self.ctx.kind, scope)
        return checks

    def _run_rules(self, scope: str, row: Row) -> None:
        assert self.ctx is not None
        ctx = self.ctx
        for rule, check in self._checks_for(scope):
            found = check(row, ctx)
            if found:
                for violation in found:
                    self.emit(rule, violation, row)

    # ----------------------------------------------------------------- schema errors
    def _schema_errors(self, element: etree._Element) -> dict[etree._Element, list[_Mark]]:
        """Schema errors of one top-level element, keyed by the element of the row they hit.

        Each error names a field (``tjTimerUke``), an attribute (``@tjTjID``) or, for content
        errors that name no single field, nothing, and says what kind of error it is (see
        :func:`place_schema_error`).
        """
        assert self._schema is not None
        assert self.format is not None
        required = schemas.required_children(self.format.schema)
        marks: dict[etree._Element, list[_Mark]] = {}
        for violation in schemas.violations(self._schema, element):
            target = violation.element if violation.element is not None else element
            holder, name, how, detail = place_schema_error(
                element, target, violation.message, required)
            marks.setdefault(holder, []).append(
                (name, how, detail,
                 violation.line - self._line_offset if violation.line else 0))
        return marks

    def _report_schema_errors(
        self,
        index: dict[etree._Element, Row],
        marks: dict[etree._Element, list[_Mark]],
    ) -> None:
        """Report each schema error under the rule owning its field, else as XSD-ROW/HEADER.

        A missing field goes to the owner of ``+name`` (a required-field rule) if there is
        one, else to the owner of ``name``; a bad value to the owner of ``name``; an element
        out of place (unknown, repeated, out of order) to the generic schema rule.
        """
        assert self.ctx is not None
        generation, kind = self.ctx.generation, self.ctx.kind
        for holder, problems in marks.items():
            row = index[holder]
            for name, how, detail, line in problems:
                owner = None
                if name is not None and how is not Placement.STRUCTURE:
                    if how is Placement.MISSING:
                        owner = REGISTRY.owner_of(generation, kind, row.kind, f"+{name}")
                    owner = owner or REGISTRY.owner_of(generation, kind, row.kind, name)
                if owner is None:
                    owner = doc_rules.XSD_ROW if _data_row(row) is not None \
                        else doc_rules.XSD_HEADER
                value = row.get(name) if name is not None else None
                # libxml2 reports a missing child on the element after it: a missing field is
                # on its row's line (emit works it out), anything else on the line it names.
                at = None if how is Placement.MISSING else line
                self.emit(owner, Violation(name, value, detail, line=at), row)


class Placement(Enum):
    """What a schema error says about the field it names."""

    VALUE = "value"  # the field's value (or the attribute's) has the wrong type
    MISSING = "missing"  # a required field or attribute is absent
    STRUCTURE = "structure"  # the element is out of place: unknown, repeated or out of order


_Mark = tuple[str | None, Placement, str, int]


def place_schema_error(
    top: etree._Element, target: etree._Element, message: str, required: frozenset[str]
) -> tuple[etree._Element, str | None, Placement, str]:
    """Where a schema error belongs: ``(holder element, field name or None, placement, detail)``.

    ``top`` is the validated top-level element, ``target`` the element libxml2 names,
    ``required`` the schema's :func:`~mockkpr.iplos.schemas.required_children`. The field is
    ``@attr`` for attribute errors; a leaf element's error belongs to its parent's row under
    the leaf's name. A missing attribute or child is blamed on what is missing: libxml2 reports
    a required child that is absent as "not expected" on the element after it, so when the last
    element it expected is required and does not follow, that element is the one missing.
    Otherwise an unexpected element is out of place (unknown, repeated or out of order).
    """
    match = _XSD_MESSAGE.match(message)
    detail = (match.group(3) if match else message).strip()
    attribute = match.group(2) if match else None
    if attribute is not None:
        return target, f"@{attribute}", Placement.VALUE, detail
    if (absent := _MISSING_ATTRIBUTE.search(detail)) is not None:
        return target, f"@{absent.group(1)}", Placement.MISSING, detail
    placement = Placement.VALUE
    expected = _EXPECTED.match(detail)
    if expected is not None:
        names = _NAME.findall(expected.group(2))
        wanted = names[-1] if names else None
        if expected.group(1).startswith("Missing"):
            return target, wanted, Placement.MISSING, detail
        parent = target.getparent()
        if wanted in required and parent is not None and target is not top and not any(
            isinstance(later.tag, str) and etree.QName(later).localname == wanted
            for later in target.itersiblings()
        ):
            return parent, wanted, Placement.MISSING, detail
        placement = Placement.STRUCTURE
    if len(target) == 0 and not target.attrib and target is not top:
        parent = target.getparent()
        assert parent is not None
        return parent, etree.QName(target).localname, placement, detail
    return target, None, placement, detail


def _data_row(row: Row) -> Row | None:
    current: Row | None = row
    while current is not None and current.kind not in DATA_ROWS:
        current = current.parent
    return current


def _service_type(row: Row) -> int | None:
    current: Row | None = row
    while current is not None:
        value = current.fields.get("tjTjenType") or current.attrs.get("tjenesteType")
        if value is not None:
            return int(value) if value.isdigit() else None
        current = current.parent
    return None


