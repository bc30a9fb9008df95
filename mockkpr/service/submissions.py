"""Payload-only submissions: the IPLOS document itself, signed and encrypted, without MsgHead.

That is how KPR's HTTP API takes messages (kpr-http-api.md): a JSON header names sender,
receiver, message type, version and id, and the payload is the CMS-protected document. A front
door (:mod:`mockkpr.kneik`) reads the request into an
:class:`~mockkpr.service.messages.InboundMessage` (``fromHerId`` and ``toHerId`` as application
properties, the decoded payload as body) and hands it to
:meth:`~mockkpr.service.pipeline.Receiver.process_payload`, which runs the same checks as for a
message on the service bus and records the verdict; nothing is queued, the front door answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockkpr.errors import TransportError
from mockkpr.journal.models import REF_ID as JOURNAL_REF_ID
from mockkpr.journal.models import JournalEntry

#: ``details`` key of the submission's reference id (the HTTP API's ``refId``; defined with
#: the journal's values, which search by it).
REF_ID = JOURNAL_REF_ID

#: The problem of a payload that decrypted but is not an IPLOS 56.0.0 message.
NOT_EVENT_MESSAGE = "The payload is not an IPLOS 56.0.0 message"

#: What the front door adds to the entry's details for its answer: called with the problem
#: that refused the submission, or None when it was received.
AnswerDetails = Callable[[TransportError | None], dict[str, Any]]


@dataclass(frozen=True)
class Submitted:
    """What became of a payload-only submission.

    ``entry`` is the recorded journal entry (for a ``duplicate``: the earlier one, nothing new
    is recorded); ``error`` the problem that refused it (the entry records it too). ``retry``
    says why nothing was recorded and the sender should try again later (the revocation status
    of its certificate cannot be determined, as on the service bus).
    """

    entry: JournalEntry | None
    error: TransportError | None = None
    duplicate: bool = False
    retry: str | None = None
