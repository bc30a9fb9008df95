"""The XML envelopes of KPR messages: MsgHead 1.2 around a submission, AppRec 1.0/1.1 back.

- :mod:`~mockkpr.envelope.msghead`: build and parse the MsgHead, the sender's HER-ids;
- :mod:`~mockkpr.envelope.apprec`: the receipt outcome values, build and parse the AppRec;
- :mod:`~mockkpr.envelope.verdict`: the one mapping from a validation report to a receipt;
- :mod:`~mockkpr.envelope.codes`: code lists 8258 (status), 8221 (errors), 8279, 9051;
- :mod:`~mockkpr.envelope.problems`: envelope defects as values and as a TransportError.

Pure functions on bytes and XML: nothing here knows AMQP or CMS. docs/receipts.md describes
the receipts, the verdict rules and how the detailed feedback reaches the sender.
"""

from mockkpr.envelope.apprec import (
    AppRecErrorInfo,
    AppRecInfo,
    OriginalMsg,
    ReceiptError,
    ReceiptOutcome,
    build_apprec,
    parse_apprec,
)
from mockkpr.envelope.codes import ErrorCode, MessageFunction, Status
from mockkpr.envelope.msghead import (
    MsgHeadInfo,
    build_msghead,
    parse_msghead,
    receiver_her_ids,
    sender_her_ids,
)
from mockkpr.envelope.parties import Organisation
from mockkpr.envelope.problems import EnvelopeError, EnvelopeProblem
from mockkpr.envelope.verdict import certificate_outcome, envelope_outcome, receipt_outcome

__all__ = [
    "AppRecErrorInfo",
    "AppRecInfo",
    "EnvelopeError",
    "EnvelopeProblem",
    "ErrorCode",
    "MessageFunction",
    "MsgHeadInfo",
    "Organisation",
    "OriginalMsg",
    "ReceiptError",
    "ReceiptOutcome",
    "Status",
    "build_apprec",
    "build_msghead",
    "certificate_outcome",
    "envelope_outcome",
    "parse_apprec",
    "parse_msghead",
    "receipt_outcome",
    "receiver_her_ids",
    "sender_her_ids",
]
