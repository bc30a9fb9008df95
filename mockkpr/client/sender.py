"""The reference sender: sends an IPLOS document to KPR exactly as NHN's senders do.

It wraps the document in a MsgHead, signs and encrypts it (CMS), sends it over AMQP 1.0 with
the profile's properties (nhn-amqp-profile.md §3), splits it into a group when it is large,
and waits for the AppRec on its own ``_async`` queue or a transport error on its ``_error``
queue. ``mockkpr send`` is its command line; the conformance suite uses it as a library.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from proton import Delivery, Message, Timeout
from proton.utils import BlockingConnection, BlockingReceiver, BlockingSender

from mockkpr.cms import CmsError, RevocationStatusUnknown, protect, unprotect
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
from mockkpr.registry import Party, Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE
from mockkpr.service.pipeline import APPLICATION_TIMESTAMP, GROUP_SIZE


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
    since the endpoint settles a delivery only after it has processed it.
    """

    message_id: str
    msg_id: str
    msg_type: str
    parts: int
    size: int
    sent_at: float


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
                   text(message.content_type), message.address, _body_bytes(message))


@dataclass(frozen=True)
class Answer:
    """What came back for one sent message.

    ``kind`` is ``apprec`` (a verified receipt), ``transport-error`` (an error message on the
    error queue), ``invalid-apprec`` (a receipt that failed decryption, signature or parsing:
    ``problem`` says why) or ``none`` (nothing before the timeout). ``wire`` is the answer
    message as it arrived (properties and the raw body), for checks of its layout.
    """

    kind: str
    sent: SentMessage
    elapsed: float
    apprec: AppRecInfo | None = None
    properties: dict[str, str] = field(default_factory=dict)
    wire: Wire | None = None
    error_condition: str | None = None
    error_description: str | None = None
    error_data: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def status(self) -> Status | None:
        return self.apprec.status if self.apprec is not None else None


class DeliveryRefused(EndpointError):
    """The endpoint settled a delivery other than ``accepted`` (e.g. rejected, with a condition).

    ``state`` is ``rejected``, ``released``, ``modified`` or ``unsettled``; ``condition`` and
    ``description`` are the AMQP error the endpoint gave, if any.
    """

    def __init__(self, state: str, condition: str | None, description: str | None) -> None:
        text = f"the endpoint did not accept the message: {state}"
        if condition:
            text += f" {condition}" + (f" ({description})" if description else "")
        super().__init__(text)
        self.state = state
        self.condition = condition
        self.description = description

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryRefused:
        """The refusal a settled delivery carries."""
        states: dict[Any, str] = {Delivery.REJECTED: "rejected",
                                  Delivery.RELEASED: "released", Delivery.MODIFIED: "modified"}
        condition = delivery.remote.condition
        return cls(states.get(delivery.remote_state, "unsettled"),
                   condition.name if condition else None,
                   condition.description if condition else None)


def _body_bytes(message: Message) -> bytes:
    body = message.body
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return str(body or "").encode()


def _props(message: Message) -> dict[str, str]:
    raw: dict[Any, Any] = dict(message.properties or {})
    return {str(k): str(v) for k, v in raw.items()}


class KprClient:
    """One sender (``from_her_id``) connected to the endpoint; use as a context manager."""

    def __init__(
        self,
        url: str,
        registry: Registry,
        from_her_id: int,
        *,
        to_her_id: int = 131725,
        split_bytes: int = 1 << 20,
        connect_timeout: float = 10.0,
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
        self.mailbox: list[Message] = []
        self._connection: BlockingConnection | None = None
        self._receivers: list[BlockingReceiver] = []
        self._senders: dict[str, BlockingSender] = {}

    def _party(self, her_id: int, option: str) -> Party:
        party = self.registry.find(her_id)
        if party is None:
            raise ConfigError(f"{option} {her_id}: no such party in {self.registry.path}")
        return party

    # ------------------------------------------------------------------ connection
    def __enter__(self) -> KprClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection (SASL PLAIN, TLS when the URL says amqps); once only.

        Without a user in the URL the sender's account in the registry is used: its own, or
        the one it inherits from its parent (a level-2 service sends with its parent's).
        """
        if self._connection is not None:
            return
        target = self.target
        account = self.registry.accounts.get(self.sender.account or "") or self.sender.sasl
        user = target.user or (account.user if account else None)
        password = target.password or (account.password if account else None)
        if user is None or password is None:
            raise ConfigError(f"no user/password in the URL and none in the registry for "
                              f"{self.sender.her_id}")
        domain = tls.client_domain(self.registry.ca_path) if target.tls else None
        try:
            self._connection = BlockingConnection(
                f"{'amqps' if target.tls else 'amqp'}://{target.host}:{target.port}",
                timeout=self.connect_timeout, ssl_domain=domain, user=user, password=password,
                allowed_mechs="PLAIN", allow_insecure_mechs=not target.tls, reconnect=False,
                container_id=f"mockkpr-send-{uuid.uuid4()}")
        except Exception as exc:
            raise EndpointError(f"cannot connect to {target.host}:{target.port} as {user}: "
                                f"{exc}") from None
        queues = self.sender.queues
        self._receivers = [
            self._connection.create_receiver(f"/amq/queue/{queues.asynchronous}", credit=10),
            self._connection.create_receiver(f"/amq/queue/{queues.error}", credit=10),
        ]

    def close(self) -> None:
        self._senders.clear()
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    @property
    def connection(self) -> BlockingConnection:
        if self._connection is None:
            raise EndpointError("not connected")
        return self._connection

    # ------------------------------------------------------------------ sending
    def envelope(self, document: bytes, *, msg_type: str | None = None, ack: bool = True,
                 msg_id: str | None = None) -> tuple[bytes, str, str]:
        """The MsgHead around ``document``: (xml, MsgId, message function)."""
        if msg_type is None:
            fmt = sniff_format(document)
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
                       recipient_cert=self.receiver.encryption_certificate)

    def properties(self) -> dict[str, str]:
        """The application properties NHN's senders set (all strings)."""
        now = datetime.now(UTC)
        return {
            "fromHerId": str(self.sender.her_id),
            "toHerId": str(self.receiver.her_id),
            "applicationTimeStamp": now.strftime(APPLICATION_TIMESTAMP),
            "enqueuedTimeUtc": now.strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def send_document(self, document: bytes, *, msg_type: str | None = None,
                      ack: bool = True) -> SentMessage:
        """Wrap, protect and send one IPLOS or identity document."""
        xml, msg_id, function = self.envelope(document, msg_type=msg_type, ack=ack)
        body = self.protect(xml)
        return self.send_body(body, subject=function, msg_id=msg_id)

    def send_body(self, body: bytes, *, subject: str, msg_id: str = "",
                  properties: dict[str, str] | None = None,
                  content_type: str = CMS_CONTENT_TYPE) -> SentMessage:
        """Send an already protected body, split into a group when it is large.

        Raises :class:`DeliveryRefused` when the endpoint does not accept a delivery.
        """
        _, messages = self.messages_for(body, subject=subject, properties=properties,
                                        content_type=content_type)
        return self.send_messages(messages, msg_id=msg_id)

    def messages_for(self, body: bytes, *, subject: str,
                     properties: dict[str, str] | None = None,
                     content_type: str = CMS_CONTENT_TYPE) -> tuple[str, list[Message]]:
        """The AMQP messages that carry ``body``: (message-id, messages in group order).

        One message when ``body`` fits in ``split_bytes``; otherwise a group (docs/endpoint.md:
        ``group-id`` = the returned message-id, ``group-sequence`` 0..n-1, application property
        ``groupSize`` = n). Tests and odd senders may reorder or alter them before
        :meth:`send_messages`.
        """
        message_id = str(uuid.uuid4())
        props = properties if properties is not None else self.properties()
        chunks = [body[i:i + self.split_bytes]
                  for i in range(0, len(body), self.split_bytes)] or [b""]
        messages = []
        for sequence, chunk in enumerate(chunks):
            part_props = dict(props)
            if len(chunks) > 1:
                part_props[GROUP_SIZE] = str(len(chunks))
            message = Message(
                id=message_id if len(chunks) == 1 else str(uuid.uuid4()),
                correlation_id=message_id, address=self.receiver.queues.asynchronous,
                reply_to=self.sender.queues.asynchronous, subject=subject,
                content_type=content_type, properties=part_props, body=chunk,
                inferred=True)  # a data section, as NHN's senders use
            if len(chunks) > 1:
                message.group_id = message_id
                message.group_sequence = sequence
            messages.append(message)
        return message_id, messages

    def send_messages(self, messages: list[Message], *, msg_id: str = "",
                      address: str | None = None) -> SentMessage:
        """Send ``messages`` in order on one link to the receiver's queue (or ``address``).

        Each delivery waits for its settlement; :class:`DeliveryRefused` when the endpoint
        settles one other than accepted (with the condition it gave), :class:`EndpointError`
        when the link or connection fails. The result names the first message's group-id
        (or its message-id) and ``msg_id`` (the MsgHead MsgId, when the caller knows it).
        """
        if not messages:
            raise ValueError("send_messages() needs at least one message")
        started = time.monotonic()
        address = address or (f"/exchange/{self.target.exchange}/"
                              f"{self.receiver.queues.asynchronous}")
        sender = self._sender(address)
        for message in messages:
            try:
                delivery = sender.send(message, error_states=[])
            except Exception as exc:
                self._senders.pop(address, None)
                raise EndpointError(f"sending failed: {exc}") from None
            if delivery.remote_state != Delivery.ACCEPTED:
                raise DeliveryRefused.of(delivery)
        first = messages[0]
        size = sum(len(_body_bytes(m)) for m in messages)
        return SentMessage(str(first.group_id or first.id), msg_id, first.subject or "",
                           len(messages), size, started)

    def _sender(self, address: str) -> BlockingSender:
        """The link to ``address``, opened once and kept with the connection.

        NHN's senders keep their links open; RabbitMQ 3.x's AMQP 1.0 plugin never answers a
        sender link's detach, so a client waiting for one would hang.
        """
        sender = self._senders.get(address)
        if sender is None:
            try:
                sender = self._senders[address] = self.connection.create_sender(address)
            except Exception as exc:
                raise EndpointError(f"cannot attach to {address}: {exc}") from None
        return sender


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
            if time.monotonic() >= deadline:
                return Answer("none", sent, time.monotonic() - sent.sent_at)
            for message in self._poll(min(0.2, max(0.01, deadline - time.monotonic()))):
                self.mailbox.append(message)

    def _poll(self, timeout: float) -> Iterator[Message]:
        for receiver in self._receivers:
            try:
                message = receiver.receive(timeout=timeout / len(self._receivers))
            except Timeout:
                continue
            receiver.accept()
            yield message

    def _match(self, message: Message, sent: SentMessage) -> Answer | None:
        props = _props(message)
        elapsed = time.monotonic() - sent.sent_at
        if "errorCondition" in props:
            if props.get("originalMessageId") != sent.message_id:
                return None
            data = tuple(item for item in props.get("errorConditionData", "").split(";") if item)
            return Answer("transport-error", sent, elapsed, properties=props,
                          wire=Wire.of(message), error_condition=props["errorCondition"],
                          error_description=props.get("errorDescription"), error_data=data)
        correlated = str(message.correlation_id) == sent.message_id if message.correlation_id \
            else None
        try:
            apprec = self._open_apprec(_body_bytes(message))
        except (CmsError, RevocationStatusUnknown, EnvelopeError) as exc:
            if correlated:
                return Answer("invalid-apprec", sent, elapsed, properties=props,
                              wire=Wire.of(message), problem=str(exc))
            return None
        if correlated or apprec.original.msg_id == sent.msg_id:
            return Answer("apprec", sent, elapsed, apprec=apprec, properties=props,
                          wire=Wire.of(message))
        return None

    def _open_apprec(self, body: bytes) -> AppRecInfo:
        result = unprotect(body, own_keys=self.sender.own_keys(),
                           expected_signer=self.receiver.signing_certificate,
                           ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                           now=datetime.now(UTC))
        return parse_apprec(result.payload)

    def send_and_wait(self, document: bytes, *, timeout: float = 30.0,
                      msg_type: str | None = None) -> Answer:
        """Send one document and wait for its answer."""
        return self.wait_answer(self.send_document(document, msg_type=msg_type), timeout)


@contextmanager
def connected(url: str, registry: Registry, from_her_id: int, **options: Any
              ) -> Iterator[KprClient]:
    """``with connected(url, registry, 12345) as client: client.send_and_wait(xml)``."""
    client = KprClient(url, registry, from_her_id, **options)
    client.connect()
    try:
        yield client
    finally:
        client.close()
