"""A document shown a page of lines at a time, however large it is.

A payload may be hundreds of megabytes: a page of the web view carries :data:`PAGE_LINES` of
its lines, each cut at :data:`MAX_LINE_CHARS`. :class:`Lines` finds a line without splitting
the whole document: it counts newlines per chunk (in C, ``bytes.count``) once, then walks
only the chunk that holds the line asked for. :class:`DocumentCache` keeps the most recently
viewed documents with their chunk counts, within a bound on the bytes it holds, so paging
through one document reads it from the journal once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

#: Lines on one page of the document view.
PAGE_LINES = 500
#: Characters of one line shown; a longer line is cut and says how much is left out.
MAX_LINE_CHARS = 2000
#: Bytes per chunk of the newline index.
CHUNK = 1 << 20
#: Bytes of documents the cache keeps (a larger document is read again for each page).
CACHE_BYTES = 256 << 20


@dataclass(frozen=True)
class Line:
    """One shown line: its number, its text (cut when long) and how many characters were cut."""

    number: int
    text: str
    cut: int


class Lines:
    """Random access by line number to a document held as bytes (``chunk``: bytes per chunk
    of the newline index)."""

    def __init__(self, data: bytes, chunk: int = CHUNK) -> None:
        self.data = data
        self.chunk = chunk
        counts = [data.count(b"\n", start, start + chunk) for start in range(0, len(data), chunk)]
        # newlines before each chunk; the document has one line more than it has newlines
        self._before = [0, *accumulate(counts)]
        self.count = self._before[-1] + 1

    def offset(self, number: int) -> int:
        """The byte offset where line ``number`` (1-based) starts."""
        if not 1 <= number <= self.count:
            raise IndexError(f"line {number} is outside 1..{self.count}")
        wanted = number - 1  # newlines before the line
        if wanted == 0:
            return 0
        chunk = _last_below(self._before, wanted)
        position = chunk * self.chunk
        for _ in range(wanted - self._before[chunk]):
            position = self.data.index(b"\n", position) + 1
        return position

    def page(self, first: int, count: int = PAGE_LINES) -> list[Line]:
        """Up to ``count`` lines from line ``first``, decoded as UTF-8 (bad bytes replaced)."""
        first = max(1, min(first, self.count))
        last = min(self.count, first + count - 1)
        start = self.offset(first)
        end = self.offset(last + 1) - 1 if last < self.count else len(self.data)
        shown = []
        for number, raw in enumerate(self.data[start:end].split(b"\n"), start=first):
            text = raw.rstrip(b"\r").decode("utf-8", errors="replace")
            cut = max(0, len(text) - MAX_LINE_CHARS)
            shown.append(Line(number, text[:MAX_LINE_CHARS] if cut else text, cut))
        return shown


def _last_below(before: list[int], wanted: int) -> int:
    """The last chunk with fewer than ``wanted`` newlines before it (the ``wanted``-th
    newline is in it or after it). ``before[0]`` is 0 and ``wanted`` at least 1."""
    low, high = 0, len(before) - 2
    while low < high:
        middle = (low + high + 1) // 2
        if before[middle] < wanted:
            low = middle
        else:
            high = middle - 1
    return low


class DocumentCache:
    """The most recently viewed documents (by key) with their line index, bounded in bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[object, Lines] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, load: Callable[[], bytes | None]) -> Lines | None:
        """The document under ``key``, loaded with ``load`` when not held (None: none)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        data = load()
        if data is None:
            return None
        lines = Lines(data)
        if len(data) <= self.max_bytes:
            with self._lock:
                self._items[key] = lines
                while sum(len(v.data) for v in self._items.values()) > self.max_bytes:
                    self._items.popitem(last=False)
        return lines

    def clear(self) -> None:
        """Forget every document (after a reset)."""
        with self._lock:
            self._items.clear()
