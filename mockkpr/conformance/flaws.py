"""Deliberately broken reference senders: the reference client with one flaw each.

Each flaw is a subclass of :class:`~mockkpr.client.sender.KprClient` that changes one step of
the reference code path (an algorithm, a property, the address, the retry policy, how the
AppRec is read or judged) and nothing else. The conformance suite runs them to prove that it
tells a flawed sender from a good one (issue: "Proof that the suite discriminates").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lxml import etree
from proton import Message

from mockkpr.client.connection import RetryPolicy
from mockkpr.client.sender import Answer, KprClient, SentMessage
from mockkpr.cms.unprotect import read_unverified
from mockkpr.conformance import flaws_more as more
from mockkpr.envelope import AppRecInfo, Status, parse_apprec
from mockkpr.errors import InputError

C = TypeVar("C", covariant=True)

#: sends-rejected-data adds this element to the header: the validator's XSD-HEADER finding.
HEADER_DEFECT = "XSD-HEADER"
HEADER_ELEMENTS = ("INNHINFO", "Kommune")
EXTRA_ELEMENT = "EKSTRA"


class WrongAlgorithm(KprClient):
    """Encrypts the content with AES-128-CBC instead of AES-256-CBC (profile §5)."""

    cipher = "aes-128-cbc"


class Sha1Digest(KprClient):
    """Signs with SHA-1 instead of SHA-256 (profile §5)."""

    digest = "sha1"


class MissingTimestamp(KprClient):
    """Leaves out the application property ``applicationTimeStamp`` (profile §3)."""

    def properties(self) -> dict[str, object]:
        properties = super().properties()
        del properties["applicationTimeStamp"]
        return properties


class NonStringProperties(KprClient):
    """Sends ``fromHerId`` and ``toHerId`` as AMQP numbers, not strings (profile §3)."""

    def properties(self) -> dict[str, object]:
        properties = super().properties()
        properties["fromHerId"] = self.sender.her_id
        properties["toHerId"] = self.receiver.her_id
        return properties


class WrongQueue(KprClient):
    """Attaches to ``/exchange/{queue}``: the queue named where the exchange belongs (the
    profile's form is ``/exchange/{exchange}/{queue}``); the bus refuses the link."""

    def address(self) -> str:
        return f"/exchange/{self.receiver.queues.asynchronous}"


class NoRetry(KprClient):
    """Gives up at the first lost connection, released delivery or failed connect."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = RetryPolicy(transfers=1, connects=1)


class IgnoresRejection(KprClient):
    """Exits 0 for any AppRec, whatever its status (rejected or rows rejected too)."""

    def exit_code(self, answer: Answer) -> int:
        return 0 if answer.kind == "apprec" else super().exit_code(answer)


class AcceptsForged(KprClient):
    """Reads the AppRec without checking who signed it (decrypts it and nothing more)."""

    def open_apprec(self, body: bytes) -> AppRecInfo:
        return parse_apprec(read_unverified(body, self.sender.own_keys()))


class SendsRejectedData(KprClient):
    """Sends the document with an unknown element in its header (the generator's XSD-HEADER
    defect, consequence 1): KPR rejects the whole message (AppRec status 2)."""

    def envelope(self, document: bytes, **options: Any) -> tuple[bytes, str, str]:
        return super().envelope(with_header_defect(document), **options)


class NoSplit(KprClient):
    """Sends a large message whole instead of splitting it into parts of ``split_bytes``."""

    def chunks(self, body: bytes) -> list[bytes]:
        return [body]


class ResendsAfterOk(KprClient):
    """Sends the same message (same message-id) once more after its OK AppRec."""

    def deliver(self, sent: SentMessage, deadline: float) -> Answer:
        answer = super().deliver(sent, deadline)
        if answer.status is Status.OK:
            super().deliver(sent, deadline)  # KPR answers the repeat as a duplicate
        return answer


class AmqpValueBody(KprClient):
    """Puts the body in an ``amqp-value`` section (binary) instead of a ``data`` section."""

    def part_message(self, chunk: bytes, **options: Any) -> Message:
        message = super().part_message(chunk, **options)
        message.inferred = False
        return message


class OneConnectionPerMessage(KprClient):
    """Opens a new connection for every message it transfers, each part of a group too
    (should: keep one connection per process). Seen in ``group.connection_ids``."""

    def transmit_part(self, message: Message, sent: SentMessage, deadline: float) -> str:
        self.bus.drop()
        return super().transmit_part(message, sent, deadline)


def with_header_defect(document: bytes) -> bytes:
    """``document`` with one element the schema does not allow in its header (INNHINFO, or a
    56.0.0 message's Kommune): the validator's XSD-HEADER rejects the whole message."""
    try:
        root = etree.fromstring(document, etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise InputError(f"the document is not XML: {exc}") from None
    header = next((child for child in root if isinstance(child.tag, str)
                   and etree.QName(child).localname in HEADER_ELEMENTS), None)
    if header is None:
        raise InputError("the document has no header (INNHINFO or Kommune) to break")
    namespace = etree.QName(header).namespace
    extra = etree.SubElement(header, f"{{{namespace}}}{EXTRA_ELEMENT}" if namespace
                             else EXTRA_ELEMENT)
    extra.text = "defekt"
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class Flaw(Generic[C]):
    """One broken sender: its client class (an AMQP or an HTTP client) and what is wrong with
    it."""

    name: str
    client: type[C]

    @property
    def description(self) -> str:
        return " ".join((self.client.__doc__ or "").split())


FLAWS: dict[str, Flaw[KprClient]] = {flaw.name: flaw for flaw in (
    Flaw("wrong-algorithm", WrongAlgorithm),
    Flaw("sha1-digest", Sha1Digest),
    Flaw("missing-timestamp", MissingTimestamp),
    Flaw("non-string-properties", NonStringProperties),
    Flaw("wrong-queue", WrongQueue),
    Flaw("no-retry", NoRetry),
    Flaw("ignores-rejection", IgnoresRejection),
    Flaw("accepts-forged", AcceptsForged),
    Flaw("sends-rejected-data", SendsRejectedData),
    Flaw("no-split", NoSplit),
    Flaw("resends-after-ok", ResendsAfterOk),
    Flaw("amqp-value-body", AmqpValueBody),
    Flaw("one-connection-per-message", OneConnectionPerMessage),
    Flaw("new-id-on-retry", more.NewIdOnRetry),
    Flaw("resends-on-own-timer", more.ResendsOnOwnTimer),
    Flaw("checks-only-chain", more.ChecksOnlyChain),
    Flaw("trusts-kpr-name", more.TrustsKprName),
    Flaw("skips-signature-check", more.SkipsSignatureCheck),
    Flaw("decrypts-with-any-key", more.DecryptsWithAnyKey),
    Flaw("split-without-group-size", more.SplitWithoutGroupSize),
    Flaw("never-waits", more.NeverWaits),
    Flaw("swapped-her-ids", more.SwappedHerIds),
    Flaw("swapped-function", more.SwappedFunction),
)}
