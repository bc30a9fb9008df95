"""``mockkpr validate``: judge IPLOS files offline the way KPR does."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import click

from mockkpr.cli._progress import progress
from mockkpr.errors import InputError
from mockkpr.iplos import DocumentKind, Generation, Report, sniff_format
from mockkpr.iplos import validate as validate_document
from mockkpr.iplos.render import FAIL_LEVELS, fails, to_json, to_junit, to_text
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.settings import load_settings


def _progress(path: Path) -> AbstractContextManager[Callable[[int], None]]:
    """A byte progress bar on a terminal; a progress line every few seconds elsewhere."""
    size = path.stat().st_size if path.is_file() else None
    return progress("validate", str(path), total=size, unit="B")


def _is_event(path: Path) -> bool:
    fmt = sniff_format(path)
    return fmt is not None and fmt.generation is Generation.EVENT_56


def _pairs(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """Pair one annual IPLOS file with one identity file; anything else stands alone."""
    kinds = {path: sniff_format(path) for path in paths}
    identities = [p for p, f in kinds.items() if f and f.kind is DocumentKind.IDENTITY]
    annual = [p for p, f in kinds.items() if f and f.kind is DocumentKind.IPLOS
              and f.generation is not Generation.EVENT_56]
    if len(identities) == 1 and len(annual) == 1:
        return [(annual[0], identities[0])] + [(p, None) for p in paths
                                                if p not in (annual[0], identities[0])]
    return [(p, None) for p in paths]


@click.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
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

    When exactly one annual IPLOS file and one identity file are given, they are validated
    together and joined on the person key. Several 56.0.0 messages are judged as one stream in
    the order given (chaining, running numbers, starts before ends). Exit codes: 0 accepted,
    1 rejected or findings at the --fail-on level, 2 unusable input or options.
    """
    settings = load_settings()
    reports: list[Report] = []
    # 56.0.0 messages are one stream: judged in the order given, each continuing the last.
    history = EventHistory()
    for path, identity in _pairs(list(files)):
        with _progress(path) as bar:
            reports.append(validate_document(
                path, identity=identity, year=year, settings=settings, progress=bar,
                history=history if _is_event(path) else None))
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
