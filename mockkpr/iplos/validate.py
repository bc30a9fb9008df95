"""The validator's front door: ``validate(source) -> Report``."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from contextlib import ExitStack
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

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO


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

    ``source`` is the document (bytes, a path or a binary file object) in any generation;
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
            checker.run(stack.enter_context(_open(identity)), _size(identity))
            # Join only an identity message read to its end: one that could not be read has its
            # own finding, and every person reported "without identity" would repeat it.
            if (checker.finished and checker.format is not None
                    and checker.format.kind is DocumentKind.IDENTITY):
                identities, header = checker.collected, checker.header
        missing = identity_required and identity is None
        DocumentValidator(report, options, identities, header, identity_missing=missing).run(
            stack.enter_context(_open(source)), _size(source))
    return report


def sniff_format(source: Source) -> DocumentFormat | None:
    """The format of a document judged by its root element, or None if it cannot be told."""
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
                qname = etree.QName(element)
                fmt = FORMATS.get(qname.namespace or "")
                return fmt if fmt is not None and fmt.root == qname.localname else None
    return None


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
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>"
    return str(getattr(source, "name", "<stream>"))


def _open(source: Source) -> BinaryIO:
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
