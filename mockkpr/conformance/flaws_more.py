"""More deliberately broken reference senders: the flaws issue 15 found in senders mockkpr did
not write, each the reference client with one step changed.

Resending: :class:`NewIdOnRetry` gives every retry a new message-id, :class:`ResendsOnOwnTimer`
sends the document again as a new message when its own short receipt timer runs out. Trusting
the AppRec: :class:`ChecksOnlyChain` accepts any signer whose certificate chains to the CA,
:class:`TrustsKprName` any certificate in KPR's name (dates and revocation unchecked),
:class:`SkipsSignatureCheck` checks who signed but not the signature, :class:`DecryptsWithAnyKey`
opens an AppRec with whichever party's key fits. Large files: :class:`SplitWithoutGroupSize`
leaves out mockkpr's ``groupSize``. :class:`NeverWaits` sends and says OK at once. One
root cause, many cases: :class:`SwappedHerIds` swaps ``fromHerId`` and ``toHerId`` (the
delivery is refused), :class:`SwappedFunction` names the other message function in the
subject and the MsgHead (the endpoint answers ``transport:unsupported-message``).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from proton import Message

from mockkpr.client.connection import DeliveryFailed
from mockkpr.client.sender import Answer, KprClient, SentMessage
from mockkpr.cms import _asn1, signature, unprotect
from mockkpr.cms.certificates import issued_by
from mockkpr.cms.decrypt import decrypt
from mockkpr.cms.errors import INVALID_CERTIFICATE, CmsError
from mockkpr.envelope import AppRecInfo, parse_apprec
from mockkpr.service.groups import GROUP_SIZE

#: The receipt timer of :class:`ResendsOnOwnTimer` (seconds).
OWN_TIMER = 1.0


class NewIdOnRetry(KprClient):
    """Gives every retry (after a lost connection or link, a released, modified or rejected
    delivery) a new message-id: KPR cannot know the repeat and registers the report again."""

    def transmit_part(self, message: Message, sent: SentMessage, deadline: float) -> str:
        deliveries = 0
        send = message.send

        def renamed(link: Any, tag: Any = None) -> Any:
            nonlocal deliveries
            if deliveries:
                message.id = message.correlation_id = str(uuid.uuid4())
            deliveries += 1
            return send(link, tag)

        message.send = renamed  # type: ignore[method-assign,assignment]
        return super().transmit_part(message, sent, deadline)


class ResendsOnOwnTimer(KprClient):
    """Waits only a second for its AppRec, then sends the document again as a new message (new
    message-id and MsgId), until its timeout."""

    def send_and_wait(self, document: bytes, *, timeout: float = 30.0,
                      msg_type: str | None = None) -> Answer:
        deadline = time.monotonic() + timeout
        while True:
            xml, msg_id, function = self.envelope(document, msg_type=msg_type)
            sent = self.prepare(self.protect(xml), subject=function, msg_id=msg_id)
            try:
                self.transmit(sent, deadline)
            except DeliveryFailed as failed:
                return Answer("undelivered", sent, time.monotonic() - sent.sent_at,
                              problem=str(failed))
            answer = self.wait_answer(sent, min(OWN_TIMER, max(deadline - time.monotonic(), 0)))
            if answer.kind != "none" or time.monotonic() >= deadline:
                return answer


def _open(body: bytes, keys: list[Any]) -> tuple[_asn1.Signed, _asn1.Signer,
                                                  x509.Certificate | None]:
    """Decrypt, parse the SignedData, and find the embedded certificate its signer names."""
    opened = decrypt(body, keys, allow_3des=True)
    signed = _asn1.parse_signed(opened.content)
    if signed.content is None or not signed.signers:
        raise CmsError(INVALID_CERTIFICATE, "no content or no signer")
    signer = signed.signers[0]
    for der in signed.certificates:
        cert = x509.load_der_x509_certificate(der)
        if signer.sid.matches(cert.issuer.public_bytes(), cert.serial_number, None):
            return signed, signer, cert
    return signed, signer, None


class ChecksOnlyChain(KprClient):
    """Verifies the AppRec's signature and its signer's certificate (chain to the CA, dates,
    revocation) but not that the signer is KPR: any party's valid certificate passes."""

    def open_apprec(self, body: bytes) -> AppRecInfo:
        _, _, cert = _open(body, self.sender.own_keys())
        if cert is None:
            raise CmsError(INVALID_CERTIFICATE, "the signer's certificate is not embedded")
        result = unprotect(body, own_keys=self.sender.own_keys(), expected_signer=cert,
                           ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                           now=datetime.now(UTC))
        return parse_apprec(result.payload)


class TrustsKprName(KprClient):
    """Accepts a signer whose certificate is in KPR's name (serialNumber = KPR's HER-id) and
    issued by the CA, and verifies the signature - but checks neither dates nor revocation."""

    def open_apprec(self, body: bytes) -> AppRecInfo:
        signed, signer, cert = _open(body, self.sender.own_keys())
        kpr = str(self.receiver.her_id)
        names = [a.value for a in cert.subject.get_attributes_for_oid(
            x509.NameOID.SERIAL_NUMBER)] if cert is not None else []
        if cert is None or kpr not in names or not issued_by(cert, self.registry.ca_certificate):
            raise CmsError(INVALID_CERTIFICATE, "not signed in KPR's name by the CA")
        assert signed.content is not None
        signature.verify(signer, signed.content, signed.content_type, cert)
        return parse_apprec(signed.content)


class SkipsSignatureCheck(KprClient):
    """Checks that the AppRec's signer names KPR's registered certificate, but never verifies
    the signature: an AppRec changed under KPR's signature passes."""

    def open_apprec(self, body: bytes) -> AppRecInfo:
        signed, _, cert = _open(body, self.sender.own_keys())
        if cert != self.receiver.signing_certificate or signed.content is None:
            raise CmsError(INVALID_CERTIFICATE, "not signed by KPR's certificate")
        return parse_apprec(signed.content)


class DecryptsWithAnyKey(KprClient):
    """Holds the keys of every party it sends for (a multi-tenant EPJ) and opens an AppRec with
    whichever fits: an AppRec meant for another party is taken as its own."""

    def open_apprec(self, body: bytes) -> AppRecInfo:
        keys = [pair for party in self.registry.parties.values()
                if party.her_id != self.receiver.her_id for pair in party.own_keys()]
        result = unprotect(body, own_keys=keys,
                           expected_signer=self.receiver.signing_certificate,
                           ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                           now=datetime.now(UTC))
        return parse_apprec(result.payload)


class SplitWithoutGroupSize(KprClient):
    """Splits a large message with group-id and group-sequence but without mockkpr's own
    ``groupSize`` application property: the endpoint cannot put the parts together."""

    def part_message(self, chunk: bytes, **options: Any) -> Message:
        message = super().part_message(chunk, **options)
        if message.properties:
            message.properties.pop(GROUP_SIZE, None)
        return message


class NeverWaits(KprClient):
    """Sends and reports OK at once, without waiting for (or taking) its AppRec."""

    def deliver(self, sent: SentMessage, deadline: float) -> Answer:
        self.transmit(sent, deadline)
        return Answer("none", sent, time.monotonic() - sent.sent_at)

    def exit_code(self, answer: Answer) -> int:
        return 0


class SwappedHerIds(KprClient):
    """Sends ``fromHerId`` and ``toHerId`` the wrong way round: the account may not send as
    KPR, so every delivery is refused (amqp:unauthorized-access)."""

    def properties(self) -> dict[str, object]:
        properties = super().properties()
        properties["fromHerId"], properties["toHerId"] = (properties["toHerId"],
                                                          properties["fromHerId"])
        return properties


class SwappedFunction(KprClient):
    """Names the other message function (KPR_IDE for IPLOS data, KPR_IPL for identity data)
    in the subject and in MsgInfo/Type."""

    def envelope(self, document: bytes, **options: Any) -> tuple[bytes, str, str]:
        _, _, function = super().envelope(document, **options)
        options["msg_type"] = "KPR_IDE" if function == "KPR_IPL" else "KPR_IPL"
        return super().envelope(document, **options)
