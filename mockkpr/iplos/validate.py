"""The validator's front door: ``validate(source) -> Report``.

A caller that has parsed the document already (the endpoint reads it inside its MsgHead)
passes a :class:`ParsedDocument`: the validator then judges that tree instead of parsing the
bytes again, with the same report (:meth:`~mockkpr.iplos.engine.DocumentValidator.run_parsed`
says when it parses them after all).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, cast

from lxml import etree

import mockkpr.iplos.rules  # noqa: F401  (registers every rule)
from mockkpr.errors import InputError
from mockkpr.iplos.engine import DocumentValidator, Options
from mockkpr.iplos.findings import Report
from mockkpr.iplos.formats import FORMATS, DocumentFormat, DocumentKind
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.settings import Settings
from mockkpr.xmlsafe import pull_parser


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document with its parse: ``data`` its exact bytes, ``root`` its root element.

    ``root`` comes from mockkpr's safe parser (entities, DTDs and network access off), on
    ``data`` itself or on a larger document holding it (a MsgHead); line ``n`` of ``data`` is
    line ``n + line_offset`` of the tree. The validator judges the tree and reads ``data`` only
    where the tree cannot stand in for it; it does not change the tree.
    """

    root: etree._Element
    data: bytes
    line_offset: int = 0


Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO | ParsedDocument


def validate(
    source: Source,
    *,
    identity: Source | None = None,
    year: int | None = None,
    settings: Settings | None = None,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
    history: EventHistory | None = None,
    identity_required: bool = False,
) -> Report:
    """Judge one IPLOS submission the way KPR does and return the report.

    ``source`` is the document (bytes, a path, a binary file object or a
    :class:`ParsedDocument`) in any generation;
    ``identity`` optionally the ``KPR_IDE`` identity message that belongs to an annual file:
    both are then validated and joined (persons without identity, identities without person).
    ``year`` forces the reporting year instead of taking it from the header. ``history``
    continues the 56.0.0 event stream of earlier messages of the same kommune (chaining,
    running numbers, starts before ends); it is updated in place, so passing the same object
    to the next message's validation continues the stream. ``identity_required`` says that an
    annual file is to be joined (the endpoint's case): without ``identity`` IDE-NONE then says
    so, once (report only: the file is accepted, as KPR takes data even when incomplete). A
    document that
    cannot be read as XML gives a rejected report with a finding; only a source that cannot be
    opened at all raises :class:`~mockkpr.errors.InputError`.
    """
    settings = settings or Settings()
    options = Options(
        year=year,
        accept_synthetic_ids=settings.accept_synthetic_ids,
        flag_real_ids=settings.flag_real_ids,
        max_payload_bytes=settings.max_payload_bytes,
        progress=progress,
        history=history,
    )
    if today is not None:
        options.today = today
    report = Report(source=name or _name_of(source), max_findings=settings.max_findings)
    with ExitStack() as stack:
        identities = None
        header = None
        if identity is not None:
            checker = DocumentValidator(report, options)
            _run(checker, identity, stack)
            # Join only an identity message read to its end: one that could not be read has its
            # own finding, and every person reported "without identity" would repeat it.
            if (checker.finished and checker.format is not None
                    and checker.format.kind is DocumentKind.IDENTITY):
                identities, header = checker.collected, checker.header
        missing = identity_required and identity is None
        _run(DocumentValidator(report, options, identities, header, identity_missing=missing),
             source, stack)
    return report


def _run(checker: DocumentValidator, source: Source, stack: ExitStack) -> None:
    """Judge ``source``: from its parse when it comes with one that can stand in for it."""
    if isinstance(source, ParsedDocument) and checker.run_parsed(
            source.root, source.data, source.line_offset):
        return
    checker.run(stack.enter_context(_open(source)), _size(source))


def sniff_format(source: Source) -> DocumentFormat | None:
    """The format of a document judged by its root element, or None if it cannot be told."""
    if isinstance(source, ParsedDocument):
        return _format_of(source.root)
    with _open(source) as stream:
        parser = pull_parser()
        for _ in range(16):
            data = stream.read(1 << 16)
            if not data:
                return None
            try:
                parser.feed(data)
            except etree.XMLSyntaxError:
                return None
            for _, element in parser.read_events():
                assert isinstance(element, etree._Element)
                return _format_of(element)
    return None


def _format_of(root: etree._Element) -> DocumentFormat | None:
    qname = etree.QName(root)
    fmt = FORMATS.get(qname.namespace or "")
    return fmt if fmt is not None and fmt.root == qname.localname else None


def _size(source: Source) -> int | None:
    """The size of a file source, when it can be known without reading it."""
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).stat().st_size
        except OSError:
            return None  # _open reports the problem
    return None


def _name_of(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    if isinstance(source, bytes | bytearray | memoryview | ParsedDocument):
        return "<bytes>"
    return str(getattr(source, "name", "<stream>"))


def _open(source: Source) -> BinaryIO:
    if isinstance(source, ParsedDocument):
        return io.BytesIO(source.data)
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, not a file") from None
        except PermissionError:
            raise InputError(f"{path}: permission denied") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    return cast(BinaryIO, _Borrowed(source))


class _Borrowed(io.BufferedIOBase):
    """Wraps a caller's stream so that closing our handle leaves theirs open."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)
