"""What processing one inbound message decided: how to settle it and what was queued."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mockkpr.journal.models import QueuedMessage

__all__ = ["ProcessResult", "QueuedMessage", "Settle"]


class Settle(StrEnum):
    """The disposition the endpoint gives the inbound delivery (profile §4, "Settlement")."""

    ACCEPT = "accept"  # recorded and answered (or nothing can be answered): never again
    REJECT = "reject"  # refused before processing (authorisation, size): the sender must act
    RETRY = "retry"  # unexpected failure or unknown revocation status: modified(failed)
    HOLD = "hold"  # a part of a split message: accepted once stored, answered with the group


@dataclass(frozen=True)
class ProcessResult:
    """The outcome of processing one delivery."""

    settle: Settle
    entry_id: int | None = None
    condition: str | None = None
    description: str | None = None
    queued: tuple[QueuedMessage, ...] = field(default_factory=tuple)
