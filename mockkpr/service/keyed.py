"""One lock per key, for as long as someone holds or waits for it.

The receiver holds the key ``(sender, message-id)`` while it decides and records a message, so
that copies of one message arriving at once (a resend on a second connection before the first
was answered) are judged one after the other: the first is recorded, the others find it and
are duplicates. The locks of keys nobody uses are dropped, so the table stays as small as the
number of messages in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from mockkpr.service.messages import InboundMessage


class KeyedLocks:
    """``with locks.hold(key):`` — one holder per key at a time; other keys never wait."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def hold(self, key: Hashable | None) -> Iterator[None]:
        """Hold ``key`` (None: no key, nothing to wait for)."""
        if key is None:
            yield
            return
        with self._guard:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if users[0] == 0:
                    del self._locks[key]

    def __len__(self) -> int:
        """Keys held or waited for now."""
        with self._guard:
            return len(self._locks)


def message_key(inbound: InboundMessage) -> tuple[str, str] | None:
    """What makes copies of one message: its sender's HER-id and its message-id (None when
    either is missing: such a message is never a duplicate)."""
    sender = inbound.prop("fromHerId")
    return (sender, inbound.message_id) if sender and inbound.message_id else None
