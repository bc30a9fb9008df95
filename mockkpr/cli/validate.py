"""``mockkpr validate``: judge IPLOS files offline the way KPR does."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import click

from mockkpr.cli._progress import progress
from mockkpr.errors import InputError
from mockkpr.iplos import DocumentKind, Generation, Report, sniff_format
from mockkpr.iplos import validate as validate_document
from mockkpr.iplos.formats import DocumentFormat
from mockkpr.iplos.render import FAIL_LEVELS, fails, to_json, to_junit, to_text
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.settings import load_settings

#: Bytes read ahead of the validator to tell a document's format (as the validator's own
#: sniffing does: the root element normally starts in the first chunk).
_SNIFF_LIMIT = 1 << 20
_CHUNK = 1 << 16
STDIN = "-"


class _Replay(io.RawIOBase):
    """The bytes read ahead, then the rest of the stream: read once, front to back."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@dataclass
class _Input:
    """One file given on the command line: its name, size when known, format (told from its
    first bytes) and what to validate: the path of a regular file, or for standard input and
    pipes a stream that replays the bytes read ahead and reads on (a pipe is read once)."""

    name: str
    size: int | None
    format: DocumentFormat | None
    source: Path | BinaryIO


def _open(path: Path, stack: ExitStack) -> _Input:
    """``path`` ready to validate (``-``: standard input)."""
    if str(path) != STDIN and path.is_file():
        # a regular file can be opened again: sniffed here, refused unread when too large
        return _Input(str(path), path.stat().st_size, sniff_format(path), path)
    if str(path) == STDIN:
        raw: BinaryIO = sys.stdin.buffer
        name = "<stdin>"
    else:
        try:
            raw = stack.enter_context(path.open("rb"))
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
        name = str(path)
    head = b""
    fmt = None
    while len(head) < _SNIFF_LIMIT:
        data = raw.read(_CHUNK)
        if not data:
            break
        head += data
        fmt = sniff_format(head)
        if fmt is not None:
            break
    return _Input(name, None, fmt, io.BufferedReader(_Replay(head, raw), _CHUNK))


def _progress(given: _Input) -> AbstractContextManager[Callable[[int], None]]:
    """A byte progress bar on a terminal; a progress line every few seconds elsewhere."""
    return progress("validate", given.name, total=given.size, unit="B")


def _pairs(inputs: list[_Input]) -> list[tuple[_Input, _Input | None]]:
    """Pair one annual IPLOS file with one identity file; anything else stands alone."""
    identities = [i for i in inputs if i.format and i.format.kind is DocumentKind.IDENTITY]
    annual = [i for i in inputs if i.format and i.format.kind is DocumentKind.IPLOS
              and i.format.generation is not Generation.EVENT_56]
    if len(identities) == 1 and len(annual) == 1:
        return [(annual[0], identities[0])] + [(i, None) for i in inputs
                                                if i is not annual[0] and i is not identities[0]]
    return [(i, None) for i in inputs]


@click.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "junit"]),
              default="text", show_default=True, help="Output format.")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Judge as this reporting year instead of the one in the file header.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the output to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(list(FAIL_LEVELS)), default="message",
              show_default=True,
              help="Exit 1 when a finding is at least this serious: message (rejected), "
                   "row (rows rejected), value (values blanked), report (any finding).")
def validate_command(
    files: tuple[Path, ...],
    output_format: str,
    year: int | None,
    output: Path | None,
    fail_on: str,
) -> None:
    """Validate IPLOS files (annual 2018/2019, event 56.0.0, identity KPR_IDE).

    A FILE may be - (standard input) or a pipe (/dev/stdin, <(...)): each is read once, as
    it streams. When exactly one annual IPLOS file and one identity file are given, they are
    validated together and joined on the person key. Several 56.0.0 messages are judged as
    one stream in the order given (chaining, running numbers, starts before ends). Exit codes:
    0 accepted, 1 rejected or findings at the --fail-on level, 2 unusable input or options.
    """
    if sum(str(f) == STDIN for f in files) > 1:
        raise click.UsageError("standard input (-) can be given once")
    settings = load_settings()
    reports: list[Report] = []
    # 56.0.0 messages are one stream: judged in the order given, each continuing the last
    # (the history is used by 56.0.0 messages only).
    history = EventHistory()
    with ExitStack() as stack:
        inputs = [_open(path, stack) for path in files]
        for given, identity in _pairs(inputs):
            with _progress(given) as bar:
                reports.append(validate_document(
                    given.source, name=given.name, year=year, settings=settings,
                    progress=bar, history=history,
                    identity=identity.source if identity is not None else None))
    if output_format == "json":
        text = to_json(reports)
    elif output_format == "junit":
        text = to_junit(reports, fail_on=fail_on).decode()
    else:
        text = to_text(reports)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{output}: cannot write ({exc.strerror})") from None
    else:
        click.echo(text, nl=False)
    sys.exit(1 if any(fails(r, fail_on) for r in reports) else 0)


validate = validate_command
