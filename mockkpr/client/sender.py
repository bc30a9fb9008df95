"""The reference sender: sends an IPLOS document to KPR exactly as NHN's senders do.

It wraps the document in a MsgHead, signs and encrypts it (CMS), sends it over AMQP 1.0 with
the profile's properties (nhn-amqp-profile.md §3), splits it into a group when it is large,
and waits for the AppRec on its own ``_async`` queue or a transport error on its ``_error``
queue. It keeps one connection open and copes with a misbehaving bus
(:mod:`mockkpr.client.connection`): it reconnects and sends the same message again (same
message-id, every part) after a lost connection or link, sends again after ``released`` or
``modified``, reports a rejection, and gives up when the timeout is reached. It trusts only an
AppRec signed by KPR's registered certificate. ``mockkpr send`` is its command line
(:mod:`mockkpr.client.pilot`); the conformance suite uses the same code.

Each step is a method, so a subclass can change one thing on purpose
(:mod:`mockkpr.conformance.senders` builds its deliberately broken senders that way).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from proton import Message

from mockkpr.client.connection import (
    ANSWERED,
    BusConnection,
    DeliveryFailed,
    Endpoints,
    RetryPolicy,
)
from mockkpr.cms import Cipher, CmsError, Digest, RevocationStatusUnknown, protect, unprotect
from mockkpr.endpoint import tls
from mockkpr.envelope import (
    AppRecInfo,
    EnvelopeError,
    Organisation,
    Status,
    build_msghead,
    parse_apprec,
)
from mockkpr.errors import ConfigError, EndpointError, InputError
from mockkpr.iplos import DocumentKind, sniff_format
from mockkpr.proton_message import content_type
from mockkpr.registry import Party, Registry
from mockkpr.service.groups import GROUP_SIZE
from mockkpr.service.herids import her_id_value
from mockkpr.service.messages import CMS_CONTENT_TYPE
from mockkpr.service.pipeline import APPLICATION_TIMESTAMP

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_TRANSPORT = 2
#: Bytes of a document looked at first for its root element (its format).
_HEAD = 4096


@dataclass(frozen=True)
class Target:
    """Where to connect: host, port, TLS, credentials and the exchange (the URL's path)."""

    host: str
    port: int
    tls: bool
    user: str | None
    password: str | None
    exchange: str

    @classmethod
    def parse(cls, url: str) -> Target:
        """``amqps://USER:PASS@HOST:5671/EXCHANGE`` (user and password are optional)."""
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ConfigError(f"not an AMQP URL: {url!r} (expected amqps://user:pass@host:5671"
                              "/EXCHANGE)")
        port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
        exchange = parts.path.strip("/") or "NHNTESTServiceBus"
        return cls(parts.hostname, port, parts.scheme == "amqps",
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, exchange)


@dataclass(frozen=True)
class SentMessage:
    """What was sent: the AMQP message-id (the group-id when split) and the MsgHead MsgId.

    ``sent_at`` is when sending began (``time.monotonic``): answer times count from there,
    since the endpoint settles a delivery only after it has processed it. ``messages`` are the
    AMQP messages (one per part), kept to send them again unchanged.
    """

    message_id: str
    msg_id: str
    msg_type: str
    parts: int
    size: int
    sent_at: float
    messages: tuple[Message, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Wire:
    """An answer message's AMQP properties and body, as received."""

    message_id: str | None
    correlation_id: str | None
    subject: str | None
    content_type: str | None
    to: str | None
    body: bytes

    @classmethod
    def of(cls, message: Message) -> Wire:
        """The layout of a received message."""
        def text(value: Any) -> str | None:
            return None if value is None else str(value)
        return cls(text(message.id), text(message.correlation_id), message.subject,
                   content_type(message), message.address, _body_bytes(message))


@dataclass(frozen=True)
class Answer:
    """What came back for one sent message.

    ``kind`` is ``apprec`` (a verified receipt), ``transport-error`` (an error message on the
    error queue), ``invalid-apprec`` (a receipt that failed decryption, signature or parsing:
    ``problem`` says why), ``refused`` (the bus refused the delivery: ``error_condition`` and
    ``problem`` say how), ``undelivered`` (the message could not be delivered: connection
    lost too often, released too often, no credit or outcome in time; ``problem``) or
    ``none`` (nothing before the timeout). ``wire`` is the answer message as received.
    """

    kind: str
    sent: SentMessage
    elapsed: float
    apprec: AppRecInfo | None = None
    properties: dict[str, str] = field(default_factory=dict)
    error_condition: str | None = None
    error_description: str | None = None
    error_data: tuple[str, ...] = ()
    problem: str | None = None
    wire: Wire | None = None

    @property
    def status(self) -> Status | None:
        return self.apprec.status if self.apprec is not None else None


def exit_code(answer: Answer) -> int:
    """0 for AppRec status 1 (OK); 1 for status 2 (rejected) or 3 (rows rejected); 2 for a
    transport error, an invalid receipt, a refused or undelivered message or no answer."""
    if answer.kind != "apprec":
        return EXIT_TRANSPORT
    return EXIT_OK if answer.status is Status.OK else EXIT_REJECTED


def _body_bytes(message: Message) -> bytes:
    body = message.body
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return str(body or "").encode()


def _props(message: Message) -> dict[str, str]:
    raw: dict[Any, Any] = dict(message.properties or {})
    return {str(k): str(v) for k, v in raw.items()}


class KprClient:
    """One sender (``from_her_id``) connected to the endpoint; use as a context manager.

    ``retry`` bounds the retries (:class:`~mockkpr.client.connection.RetryPolicy`). The
    attributes ``cipher`` and ``digest`` are the profile's CMS algorithms.
    """

    cipher: Cipher = "aes-256-cbc"
    digest: Digest = "sha256"

    def __init__(
        self,
        url: str,
        registry: Registry,
        from_her_id: int,
        *,
        to_her_id: int = 131725,
        split_bytes: int = 1 << 20,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.target = Target.parse(url)
        self.registry = registry
        self.sender: Party = self._party(from_her_id, "--from")
        self.receiver: Party = self._party(to_her_id, "--to")
        if self.sender.signing is None or not self.sender.own_keys():
            raise ConfigError(f"{registry.path}: mockkpr holds no keys for {from_her_id}; it "
                              "cannot sign as or decrypt for that party")
        self.split_bytes = split_bytes
        self.connect_timeout = connect_timeout
        self.retry = retry or RetryPolicy()
        self.mailbox: list[Message] = []
        self._bus: BusConnection | None = None

    def _party(self, her_id: int, option: str) -> Party:
        party = self.registry.find(her_id)
        if party is None:
            raise ConfigError(f"{option} {her_id}: no such party in {self.registry.path}")
        return party

    # ------------------------------------------------------------------ connection
    def __enter__(self) -> KprClient:
        self.connect(retry=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def address(self) -> str:
        """The target address of the sender link: the receiver's queue via the exchange."""
        return f"/exchange/{self.target.exchange}/{self.receiver.queues.asynchronous}"

    def _endpoints(self) -> Endpoints:
        target = self.target
        # Without a user in the URL, the sender's account in the registry: its own or, for a
        # level-2 service, the one it inherits from its parent.
        account = self.registry.accounts.get(self.sender.account or "") or self.sender.sasl
        user = target.user or (account.user if account else None)
        password = target.password or (account.password if account else None)
        if user is None or password is None:
            raise ConfigError(f"no user/password in the URL and none in the registry for "
                              f"{self.sender.her_id}")
        queues = self.sender.queues
        return Endpoints(
            url=f"{'amqps' if target.tls else 'amqp'}://{target.host}:{target.port}",
            user=user, password=password,
            ssl_domain=tls.client_domain(self.registry.ca_path) if target.tls else None,
            target=self.address(),
            sources=(f"/amq/queue/{queues.asynchronous}", f"/amq/queue/{queues.error}"),
            insecure=not target.tls, ca_path=str(self.registry.ca_path))

    def connect(self, *, retry: bool = False) -> None:
        """Open the connection (SASL PLAIN, TLS when the URL says amqps) and the receivers.

        With ``retry``, failed attempts are repeated as the retry policy allows. Raises
        :class:`~mockkpr.errors.EndpointError` when no connection could be made.
        """
        if self._bus is None:
            self._bus = BusConnection(self._endpoints(), policy=self.retry,
                                      connect_timeout=self.connect_timeout)
        self._bus.open(retry=retry)

    def close(self) -> None:
        if self._bus is not None:
            self._bus.close()

    @property
    def bus(self) -> BusConnection:
        """The connection to the service bus (reconnects on demand)."""
        if self._bus is None:
            raise EndpointError("not connected")
        return self._bus

    # ------------------------------------------------------------------ building a message
    def envelope(self, document: bytes, *, msg_type: str | None = None, ack: bool = True,
                 msg_id: str | None = None) -> tuple[bytes, str, str]:
        """The MsgHead around ``document``: (xml, MsgId, message function)."""
        if msg_type is None:
            # Most documents name their root in the first bytes: reading them is enough (what
            # is not well-formed further on is refused below, whatever the function).
            fmt = sniff_format(document[:_HEAD]) or sniff_format(document)
            msg_type = "KPR_IDE" if fmt is not None and fmt.kind is DocumentKind.IDENTITY \
                else "KPR_IPL"
        msg_id = msg_id or str(uuid.uuid4())
        sender = Organisation(self.sender.name, self.sender.her_id)
        receiver = Organisation(self.receiver.name, self.receiver.her_id)
        try:
            xml = build_msghead(document, msg_type=msg_type, msg_id=msg_id,
                                gen_date=datetime.now(UTC), sender=sender, receiver=receiver,
                                ack=ack)
        except (EnvelopeError, InputError) as exc:
            raise InputError(f"cannot wrap the document in a MsgHead: {exc}") from None
        return xml, msg_id, msg_type

    def protect(self, payload: bytes) -> bytes:
        """Sign with the sender's key, encrypt to the receiver's certificate (profile §5)."""
        signing = self.sender.signing
        assert signing is not None
        return protect(payload, signer_cert=signing.certificate, signer_key=signing.key,
                       recipient_cert=self.receiver.encryption_certificate,
                       cipher=self.cipher, digest=self.digest)

    def properties(self) -> dict[str, object]:
        """The application properties NHN's senders set (all strings)."""
        now = datetime.now(UTC)
        return {
            "fromHerId": str(self.sender.her_id),
            "toHerId": str(self.receiver.her_id),
            "applicationTimeStamp": now.strftime(APPLICATION_TIMESTAMP),
            "enqueuedTimeUtc": now.strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def chunks(self, body: bytes) -> list[bytes]:
        """The parts of a protected body: ``split_bytes`` each (one part when it fits)."""
        return [body[i:i + self.split_bytes]
                for i in range(0, len(body), self.split_bytes)] or [b""]

    def part_message(self, chunk: bytes, *, message_id: str, sequence: int, parts: int,
                     subject: str, properties: Mapping[str, object],
                     content_type: str) -> Message:
        """The AMQP message of one part (the whole message when ``parts`` is 1)."""
        part_props = dict(properties)
        if parts > 1:
            part_props[GROUP_SIZE] = str(parts)
        message = Message(
            id=message_id if parts == 1 else str(uuid.uuid4()),
            correlation_id=message_id, address=self.receiver.queues.asynchronous,
            reply_to=self.sender.queues.asynchronous, subject=subject,
            content_type=content_type, properties=part_props, body=chunk,
            inferred=True)  # one data section
        if parts > 1:
            message.group_id = message_id
            message.group_sequence = sequence
        return message

    def prepare(self, body: bytes, *, subject: str, msg_id: str = "",
                properties: Mapping[str, object] | None = None,
                content_type: str = CMS_CONTENT_TYPE) -> SentMessage:
        """The AMQP message(s) for an already protected body, split when it is large."""
        message_id = str(uuid.uuid4())
        props = properties if properties is not None else self.properties()
        chunks = self.chunks(body)
        messages = tuple(
            self.part_message(chunk, message_id=message_id, sequence=sequence,
                              parts=len(chunks), subject=subject, properties=props,
                              content_type=content_type)
            for sequence, chunk in enumerate(chunks))
        return SentMessage(message_id, msg_id, subject, len(chunks), len(body),
                           time.monotonic(), messages)

    # ------------------------------------------------------------------ sending
    def send_document(self, document: bytes, *, msg_type: str | None = None, ack: bool = True,
                      timeout: float = 60.0) -> SentMessage:
        """Wrap, protect and send one IPLOS or identity document.

        Raises :class:`~mockkpr.client.connection.DeliveryFailed` when the bus does not take
        it within ``timeout`` seconds.
        """
        xml, msg_id, function = self.envelope(document, msg_type=msg_type, ack=ack)
        body = self.protect(xml)
        return self.send_body(body, subject=function, msg_id=msg_id, timeout=timeout)

    def send_body(self, body: bytes, *, subject: str, msg_id: str = "",
                  properties: Mapping[str, object] | None = None,
                  content_type: str = CMS_CONTENT_TYPE, timeout: float = 60.0) -> SentMessage:
        """Send an already protected body, split into a group when it is large."""
        sent = self.prepare(body, subject=subject, msg_id=msg_id, properties=properties,
                            content_type=content_type)
        self.transmit(sent, time.monotonic() + timeout)
        return sent

    def transmit(self, sent: SentMessage, deadline: float) -> bool:
        """Deliver every part of ``sent`` (again, if it was sent before) by ``deadline``.

        True when its answer came before the last outcome did (the bus settled late).
        """
        for message in sent.messages:
            if self.transmit_part(message, sent, deadline) == ANSWERED:
                return True
        return False

    def transmit_part(self, message: Message, sent: SentMessage, deadline: float) -> str:
        """Deliver one part: ``accepted``, or ``answered`` when the answer came first."""
        return self.bus.transfer(message, deadline, answered=lambda: self._arrived(sent))

    def _arrived(self, sent: SentMessage) -> bool:
        self.mailbox.extend(self.bus.receive(0))
        return any(self._match(message, sent) is not None for message in self.mailbox)

    def messages_for(self, body: bytes, *, subject: str,
                     properties: Mapping[str, object] | None = None,
                     content_type: str = CMS_CONTENT_TYPE) -> tuple[str, list[Message]]:
        """The AMQP messages that carry ``body``: (message-id, messages in group order).

        Tests and odd senders may reorder or alter them before :meth:`send_messages`.
        """
        sent = self.prepare(body, subject=subject, properties=properties,
                            content_type=content_type)
        return sent.message_id, list(sent.messages)

    def send_messages(self, messages: list[Message], *, msg_id: str = "",
                      timeout: float = 60.0, address: str | None = None) -> SentMessage:
        """Send ``messages`` in the order given, as they are, to the receiver's queue (or
        ``address``), with the reference sender's retries.

        Raises :class:`~mockkpr.client.connection.DeliveryFailed` when the bus does not take
        one. The result names the first message's group-id (or message-id).
        """
        if not messages:
            raise ValueError("send_messages() needs at least one message")
        first = messages[0]
        sent = SentMessage(str(first.group_id or first.id), msg_id, first.subject or "",
                           len(messages), sum(len(_body_bytes(m)) for m in messages),
                           time.monotonic(), tuple(messages))
        deadline = time.monotonic() + timeout
        for message in messages:
            self.bus.transfer(message, deadline, answered=lambda: self._arrived(sent),
                              address=address)
        return sent

    # ------------------------------------------------------------------ answers
    def wait_answer(self, sent: SentMessage, timeout: float = 30.0) -> Answer:
        """Wait for the AppRec or transport error that answers ``sent``."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.mailbox):
                answer = self._match(message, sent)
                if answer is not None:
                    self.mailbox.remove(message)
                    return answer
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Answer("none", sent, time.monotonic() - sent.sent_at)
            try:
                self.mailbox.extend(self.bus.receive(min(0.5, remaining)))
            except EndpointError as exc:  # the connection went and did not come back
                return Answer("none", sent, time.monotonic() - sent.sent_at,
                              problem=f"no answer: {exc}")

    def _match(self, message: Message, sent: SentMessage) -> Answer | None:
        props = _props(message)
        elapsed = time.monotonic() - sent.sent_at
        if "errorCondition" in props:
            # the receiver's error (NHN's layout: fromHerId = the reporting receiver, KPR),
            # about this message; not another party's error naming the same id
            if props.get("originalMessageId") != sent.message_id \
                    or her_id_value(props.get("fromHerId")) != self.receiver.her_id:
                return None
            data = tuple(item for item in props.get("errorConditionData", "").split(";") if item)
            return Answer("transport-error", sent, elapsed, properties=props,
                          wire=Wire.of(message), error_condition=props["errorCondition"],
                          error_description=props.get("errorDescription"), error_data=data)
        correlated = str(message.correlation_id) == sent.message_id if message.correlation_id \
            else None
        try:
            apprec = self.open_apprec(_body_bytes(message))
        except (CmsError, RevocationStatusUnknown, EnvelopeError) as exc:
            if correlated:
                return Answer("invalid-apprec", sent, elapsed, properties=props,
                              wire=Wire.of(message), problem=str(exc))
            return None
        if correlated or apprec.original.msg_id == sent.msg_id:
            return Answer("apprec", sent, elapsed, apprec=apprec, properties=props,
                          wire=Wire.of(message))
        return None

    def open_apprec(self, body: bytes) -> AppRecInfo:
        """Decrypt an AppRec and verify that KPR's registered certificate signed it."""
        result = unprotect(body, own_keys=self.sender.own_keys(),
                           expected_signer=self.receiver.signing_certificate,
                           ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                           now=datetime.now(UTC))
        return parse_apprec(result.payload)

    def send_and_wait(self, document: bytes, *, timeout: float = 30.0,
                      msg_type: str | None = None) -> Answer:
        """Send one document and wait for its answer, all within ``timeout`` seconds.

        Never raises for what the bus or KPR did: a refused or undelivered message is an
        :class:`Answer` too.
        """
        deadline = time.monotonic() + timeout
        xml, msg_id, function = self.envelope(document, msg_type=msg_type)
        sent = self.prepare(self.protect(xml), subject=function, msg_id=msg_id)
        return self.deliver(sent, deadline)

    def deliver(self, sent: SentMessage, deadline: float) -> Answer:
        """Transmit ``sent`` and wait for its answer until ``deadline`` (``time.monotonic``)."""
        try:
            self.transmit(sent, deadline)
        except DeliveryFailed as failed:
            return Answer("refused" if failed.refused else "undelivered", sent,
                          time.monotonic() - sent.sent_at, error_condition=failed.condition,
                          error_description=failed.description, problem=str(failed))
        return self.wait_answer(sent, max(deadline - time.monotonic(), 0.0))

    def exit_code(self, answer: Answer) -> int:
        """The exit code of ``mockkpr send`` for ``answer`` (:func:`exit_code`)."""
        return exit_code(answer)


@contextmanager
def connected(url: str, registry: Registry, from_her_id: int, **options: Any
              ) -> Iterator[KprClient]:
    """``with connected(url, registry, 12345) as client: client.send_and_wait(xml)``."""
    client = KprClient(url, registry, from_her_id, **options)
    client.connect(retry=True)
    try:
        yield client
    finally:
        client.close()
