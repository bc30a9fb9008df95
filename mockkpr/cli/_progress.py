"""Progress of a long job: a bar on a terminal, a log line every few seconds elsewhere.

In CI (standard error not a terminal) a 1 GB validation used to print nothing for minutes;
now it logs one ``progress`` event every :data:`INTERVAL_S` seconds with how much is done, the
rate and the estimated time left, through the structured log (``MOCKKPR_LOG_FORMAT=json``
gives JSON lines). On a terminal it is tqdm's bar, as before.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from mockkpr.log import get_logger

log = get_logger("mockkpr.progress")

#: Seconds between two progress lines when standard error is not a terminal.
INTERVAL_S = 5.0


class _Lines:
    """Counts what is done and logs a line when :data:`INTERVAL_S` has passed."""

    def __init__(self, job: str, subject: str, total: int | None, unit: str) -> None:
        self.job, self.subject, self.total, self.unit = job, subject, total, unit
        self.done = 0
        self.started = self.last = time.monotonic()

    def advance(self, amount: int) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self.last >= INTERVAL_S:
            self.last = now
            self.line(now)

    def line(self, now: float, event: str = "progress") -> None:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        fields: dict[str, object] = {"job": self.job, "subject": self.subject,
                                     "done": self.done, "unit": self.unit,
                                     "elapsed_s": round(elapsed, 1),
                                     "rate_per_s": round(rate, 1)}
        if self.total:
            fields["total"] = self.total
            fields["percent"] = round(100 * self.done / self.total, 1)
            if rate > 0:
                fields["eta_s"] = round(max(self.total - self.done, 0) / rate, 1)
        log.info(event, **fields)


@contextmanager
def progress(job: str, subject: str, *, total: int | None, unit: str
             ) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a job over ``total`` units of ``subject`` (a file, a folder).

    A bar when standard error is a terminal; otherwise a ``progress`` log line every
    :data:`INTERVAL_S` seconds and a ``progress.done`` line at the end when the job took
    longer than one interval.
    """
    if sys.stderr.isatty():
        with tqdm(total=total, unit=unit, unit_scale=unit == "B", desc=subject, leave=False,
                  file=sys.stderr) as bar:
            def advance(amount: int) -> None:
                bar.update(amount)

            yield advance
        return
    lines = _Lines(job, subject, total, unit)
    yield lines.advance
    now = time.monotonic()
    if now - lines.started >= INTERVAL_S:
        lines.line(now, "progress.done")
