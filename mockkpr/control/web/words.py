"""What the pages say in words: verdicts, AppRec codes in English, the endpoint's checks.

The Norwegian texts of code lists 8258 and 8221 are the code lists' own
(:mod:`mockkpr.envelope.codes`); the English texts beside them are mockkpr's translations.
:func:`transport_check` names the row of the table "A message sent to KPR's queue" in
docs/endpoint.md whose check a transport error reports (a test holds the two together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockkpr.journal.models import Outcome

#: Code list 8258 in English.
STATUS_EN = {"1": "OK", "2": "Rejected", "3": "OK, errors in part of the message"}
#: Code list 8221 in English.
ERROR_EN = {
    "E10": "Invalid message identifier",
    "E20": "Physician does not exist",
    "E21": "Receiver does not exist",
    "E30": "The patient's national identity number is missing",
    "E31": "The patient's national identity number is wrong",
    "E32": "The patient's name is missing",
    "E35": "The patient does not exist in the receiving system",
    "E36": "The patient information is insufficient",
    "E53": "The patient's national identity number or D number is not in the National "
           "Population Register",
    "E54": "The patient's national identity number is not registered in the receiving system",
    "S01": "Signature error",
    "S02": "Invalid certificate",
    "S03": "Revoked certificate",
    "S99": "Other signature or certificate error",
    "T01": "Not XML / not well-formed / unreadable",
    "T02": "The XML does not validate",
    "T10": "The message format is not supported",
    "T99": "Other format error",
    "X99": "Other error",
}


@dataclass(frozen=True)
class Verdict:
    """The outcome in a headline per language and a sentence saying what it means."""

    no: str
    en: str
    meaning: str


_VERDICTS = {
    Outcome.ACCEPTED: Verdict("Godkjent", "Accepted",
                              "KPR registers the whole message (AppRec status 1)."),
    Outcome.PARTIAL: Verdict(
        "Godkjent, feil i delmelding", "Accepted with errors in parts",
        "KPR registers the message without the rows or values it rejected (AppRec status 3)."),
    Outcome.REJECTED: Verdict("Avvist", "Rejected",
                              "Nothing from this message is registered (AppRec status 2)."),
    Outcome.TRANSPORT_ERROR: Verdict(
        "Transportfeil", "Transport error",
        "The message could not be read; a transport error went to the sender's error queue "
        "instead of an AppRec."),
    Outcome.UNANSWERABLE: Verdict(
        "Kunne ikke besvares", "Could not be answered",
        "The message was refused, but its sender is unknown, so no answer could be sent."),
    Outcome.NO_RECEIPT_REQUESTED: Verdict(
        "Validert, ingen kvittering bedt om", "Validated, no receipt requested",
        "The MsgHead said Ack = N: the message was checked and no AppRec was sent."),
    Outcome.DUPLICATE: Verdict(
        "Duplikat", "Duplicate",
        "The same message-id came again from the same sender: the earlier answer was sent "
        "again, nothing was checked again."),
    Outcome.REFUSED: Verdict(
        "Avvist ved levering", "Refused at delivery",
        "The account that sent it may not send as its fromHerId: the delivery was rejected "
        "(amqp:unauthorized-access) and nothing was checked or answered."),
    Outcome.PENDING: Verdict("Under behandling", "Being processed",
                             "The message is being checked, or waits for its other parts."),
}


#: What an outcome means for a submission over KPR's HTTP API (no AppRec on that route).
HTTP_MEANINGS = {
    Outcome.ACCEPTED: "The API answered 200 (received) and KPR registers the whole message; "
                      "the verdict is in the journal (no AppRec on this route).",
    Outcome.PARTIAL: "The API answered 200 (received); KPR registers the message without the "
                     "rows or values it rejected.",
    Outcome.REJECTED: "The API answered 200 (received), but nothing from this message is "
                      "registered.",
    Outcome.TRANSPORT_ERROR: "The API refused the submission with HTTP 400 and a "
                             "validationCode: nothing is registered; the sender may send it "
                             "again, under the same messageId, once it is fixed.",
}


def verdict(outcome: Outcome) -> Verdict:
    """The words for an outcome."""
    return _VERDICTS[outcome]


@dataclass(frozen=True)
class EndpointCheck:
    """A row of docs/endpoint.md's table of checks on a message sent to KPR's queue."""

    number: str
    check: str


CHECKS = {c.number: c for c in (
    EndpointCheck("4", "split message: the part carries groupSize and group-sequence and fits "
                  "its group"),
    EndpointCheck("5", "header fields toHerId, fromHerId, subject, applicationTimeStamp, "
                  "content-type are present"),
    EndpointCheck("5b", "toHerId is KPR's HER-id"),
    EndpointCheck("6", "content-type: an unencrypted message is not accepted"),
    EndpointCheck("6b", "content-type is application/pkcs7-mime; "
                  "smime-type=signed-and-enveloped-data"),
    EndpointCheck("7", "CMS: the message decrypts with KPR's key"),
    EndpointCheck("7b", "CMS: content encryption AES-256-CBC, RSA key transport"),
    EndpointCheck("7c", "CMS: signed by the sender's registered signing certificate, "
                  "signature valid"),
    EndpointCheck("7d", "signer certificate: dates, key usage, issued by the registry's CA, "
                  "not revoked"),
    EndpointCheck("8", "MsgHead 1.2: well-formed, no DOCTYPE, schema-valid"),
    EndpointCheck("9", "spoofing: a sender HER-id in the MsgHead equals fromHerId"),
    EndpointCheck("10", "message function KPR_IPL or KPR_IDE"),
    EndpointCheck("10b", "the document fits the message function"),
)}
#: A sender that is not in the address register (no numbered row: it precedes the CMS checks).
UNKNOWN_SENDER = EndpointCheck("-", "the sender's fromHerId is a party of the address register")


def transport_check(condition: str | None, description: str | None,
                    data: Sequence[str]) -> EndpointCheck | None:
    """The check a transport error reports, or None for one no check gives (a fault)."""
    text = description or ""
    if condition == "transport:invalid-field-value":
        if text.startswith("split message group") or any(
                item in ("groupSize", "group-sequence") for item in data):
            return CHECKS["4"]
        return CHECKS["5b"] if text.startswith("toHerId is not") else CHECKS["5"]
    if condition == "transport:unsupported-message":
        if text.startswith("Unencrypted"):
            return CHECKS["6"]
        if text.startswith("Unsupported content-type"):
            return CHECKS["6b"]
        if text.startswith("Unsupported content encryption"):
            return CHECKS["7b"]
        if text.endswith("does not carry this document"):
            return CHECKS["10b"]
        return CHECKS["10"]
    if condition == "transport:missing-certificate" and text.startswith("Sender is not"):
        return UNKNOWN_SENDER
    if condition in ("transport:invalid-certificate", "transport:missing-certificate"):
        if text.startswith("Could not decrypt"):
            return CHECKS["7"]
        if text.startswith(("Invalid key usage", "More than one error")):
            return CHECKS["7d"]
        return CHECKS["7c"]
    if condition in ("transport:expired-certificate", "transport:unverified-certificate",
                     "transport:revoked-certificate"):
        return CHECKS["7d"]
    if condition == "transport:not-well-formed-xml":
        return CHECKS["8"]
    if condition == "abuse:spoofing-attack":
        return CHECKS["9"]
    return None


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON as (dotted key, text) pairs, for a two-column table."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return pairs
    if isinstance(value, list | tuple):
        shown = ", ".join("null" if v is None else str(v) for v in value)
        return [(prefix, shown)]
    return [(prefix, "null" if value is None else str(value))]
