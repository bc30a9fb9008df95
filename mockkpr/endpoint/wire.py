"""What a sender put on the wire, as the embedded broker saw it (the conformance observations).

The journal records, for every message, how it travelled (``JournalEntry.details``,
``wire.*`` keys; docs/observations.md): the link and connection it came on, TLS and SASL, the
message's sections, header fields and the AMQP types of its properties. Most of that is lost
by :meth:`proton.Message.decode` (it keeps only the last ``data`` section, turns types into
Python values and drops the header's absence), so the broker keeps each message's encoded
bytes (:class:`KeepEncoded`) and :func:`sections` reads them again with :class:`proton.Data`.

Keys of :func:`observe`, each prefixed ``wire.`` (all present, ``None`` when not known):

``target``, ``link_name``, ``connection_id``, ``container_id``, ``user``, ``tls_protocol``,
``sasl_mechanism``, ``presettled``, ``delivery_tag_binary``, ``sections``, ``body_sections``,
``data_sections``, ``durable``, ``ttl``, ``message_id_type``, ``correlation_id_type``,
``property_types``.

Type names are AMQP's (:meth:`proton.Data.type_name`): ``string``, ``symbol``, ``int``,
``long``, ``ulong``, ``uuid``, ``binary``, ``bool``, ``timestamp``, ``null``, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import cproton
from proton import Data, DataException, Endpoint, Message
from proton.handlers import IncomingMessageHandler, MessagingHandler

# Section descriptors (AMQP 1.0 part 3, 3.2): code and symbolic name -> section kind.
_SECTIONS: dict[int, str] = {
    0x70: "header", 0x71: "delivery-annotations", 0x72: "message-annotations",
    0x73: "properties", 0x74: "application-properties", 0x75: "data",
    0x76: "amqp-sequence", 0x77: "amqp-value", 0x78: "footer",
}
_SYMBOLS: dict[str, str] = {
    "amqp:header:list": "header", "amqp:delivery-annotations:map": "delivery-annotations",
    "amqp:message-annotations:map": "message-annotations", "amqp:properties:list": "properties",
    "amqp:application-properties:map": "application-properties",
    "amqp:data:binary": "data", "amqp:amqp-sequence:list": "amqp-sequence",
    "amqp:amqp-value:*": "amqp-value", "amqp:footer:map": "footer",
}
BODY_SECTIONS = frozenset({"data", "amqp-sequence", "amqp-value"})

# Field positions in the header and properties lists.
_DURABLE, _TTL = 0, 2
_MESSAGE_ID, _CORRELATION_ID = 0, 5


class KeepEncoded(IncomingMessageHandler):
    """proton's incoming-message handler that also keeps the message's encoded bytes.

    A complete message is read and decoded as proton does it, and ``event.encoded`` holds the
    bytes for :func:`sections`. Everything else (aborted deliveries, settlement) is proton's.
    """

    def on_delivery(self, event: Any) -> None:
        delivery = event.delivery
        if (delivery.link.is_receiver and not delivery.aborted and delivery.readable
                and not delivery.partial):
            encoded = delivery.link.recv(delivery.pending) or b""
            delivery.link.advance()
            message = Message()
            message.decode(encoded)
            event.encoded = encoded
            event.message = message
            if not event.link.state & Endpoint.LOCAL_CLOSED:
                self.on_message(event)
            return
        super().on_delivery(event)


def keep_encoded(handler: MessagingHandler) -> None:
    """Replace ``handler``'s incoming-message child with :class:`KeepEncoded`."""
    children: list[Any] = cast(list[Any], handler.handlers)  # a plain list on a handler
    children[:] = [
        KeepEncoded(child.auto_accept, child.delegate)
        if type(child) is IncomingMessageHandler else child
        for child in list(children)]


@dataclass
class Sections:
    """What :func:`sections` found in an encoded message."""

    kinds: list[str] = field(default_factory=list)
    durable: bool | None = None
    ttl: int | None = None
    message_id_type: str | None = None
    correlation_id_type: str | None = None
    property_types: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> list[str]:
        """The body sections in order (``data``, ``amqp-value``, ``amqp-sequence``)."""
        return [kind for kind in self.kinds if kind in BODY_SECTIONS]


def _kind(data: Data) -> str | None:
    """The section kind of the described value ``data`` is in (entered), or None."""
    if not data.next():
        return None
    descriptor = data.get_object()
    if isinstance(descriptor, int):
        return _SECTIONS.get(int(descriptor))
    return _SYMBOLS.get(str(descriptor))


def _type_name(data: Data) -> str:
    kind = data.type()
    return Data.type_name(kind) if kind is not None else "unknown"


def _list_field_types(data: Data, positions: tuple[int, ...]) -> dict[int, str | None]:
    """Types of some fields of the list ``data`` is at (None: absent or null)."""
    found: dict[int, str | None] = dict.fromkeys(positions)
    if data.type() != Data.LIST:
        return found
    data.enter()
    index = 0
    while data.next():
        if index in found and data.type() != Data.NULL:
            found[index] = _type_name(data)
        index += 1
    data.exit()
    return found


def _header(data: Data, into: Sections) -> None:
    into.durable = False  # a header is present: an absent field takes the default
    if data.type() != Data.LIST:
        return
    data.enter()
    index = 0
    while data.next():
        if index == _DURABLE and data.type() == Data.BOOL:
            into.durable = bool(data.get_bool())
        elif index == _TTL and data.type() == Data.UINT:
            into.ttl = int(data.get_uint())
        index += 1
    data.exit()


def _property_types(data: Data) -> dict[str, str]:
    types: dict[str, str] = {}
    if data.type() != Data.MAP:
        return types
    data.enter()
    while data.next():
        key = data.get_object()
        if not data.next():
            break
        types[str(key)] = _type_name(data)
    data.exit()
    return types


def sections(encoded: bytes) -> Sections:
    """The sections of an encoded AMQP message and the types of some of their fields.

    Unreadable trailing bytes end the scan; what was read so far is returned.
    """
    found = Sections()
    view = memoryview(encoded)
    offset = 0
    while offset < len(view):
        data = Data()
        try:
            used = data.decode(cast(bytes, view[offset:]))  # proton takes any buffer
        except DataException:
            break
        if used <= 0:
            break
        offset += used
        data.rewind()
        if not data.next() or data.type() != Data.DESCRIBED:
            found.kinds.append("unknown")
            continue
        data.enter()
        kind = _kind(data) or "unknown"
        found.kinds.append(kind)
        if not data.next():
            continue
        if kind == "header":
            _header(data, found)
        elif kind == "properties":
            types = _list_field_types(data, (_MESSAGE_ID, _CORRELATION_ID))
            found.message_id_type = types[_MESSAGE_ID]
            found.correlation_id_type = types[_CORRELATION_ID]
        elif kind == "application-properties":
            found.property_types = _property_types(data)
    return found


def delivery_tag(delivery: Any) -> bytes:
    """The delivery tag's bytes (``Delivery.tag`` decodes them as UTF-8 and fails on others)."""
    return bytes(cproton.bytes2pybytes(cproton.lib.pn_delivery_tag(delivery._impl)))


def _tls_protocol(transport: Any) -> str | None:
    # proton keeps the SSL layer of an accepted transport in ``_ssl`` (0.40.0); calling
    # ``transport.ssl()`` would create one on a plain connection.
    ssl = getattr(transport, "_ssl", None) if transport is not None else None
    if ssl is None:
        return None
    protocol = ssl.protocol_name()
    return str(protocol) if protocol else None


def _sasl_mechanism(transport: Any) -> str | None:
    if transport is None:
        return None
    # The endpoint requires SASL on every connection, so the layer exists already.
    mechanism = transport.sasl().mech
    return str(mechanism) if mechanism else None


def _text_tag(tag: bytes) -> bool:
    try:
        tag.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def observe(event: Any, connection_id: int | None) -> dict[str, Any]:
    """The wire facts of the message of an ``on_message`` event (keys: module docstring)."""
    delivery, link, transport = event.delivery, event.link, event.transport
    connection = event.connection
    encoded = getattr(event, "encoded", None)
    found = sections(encoded) if encoded is not None else Sections()
    body = found.body
    facts = {
        "target": link.remote_target.address if link is not None else None,
        "link_name": link.name if link is not None else None,
        "connection_id": connection_id,
        "container_id": connection.remote_container if connection is not None else None,
        "user": transport.user if transport is not None else None,
        "tls_protocol": _tls_protocol(transport),
        "sasl_mechanism": _sasl_mechanism(transport),
        "presettled": bool(delivery.settled),
        "delivery_tag_binary": not _text_tag(delivery_tag(delivery)),
        "sections": list(found.kinds),
        "body_sections": body,
        "data_sections": body.count("data"),
        "durable": found.durable,
        "ttl": found.ttl,
        "message_id_type": found.message_id_type,
        "correlation_id_type": found.correlation_id_type,
        "property_types": dict(found.property_types),
    }
    return {f"wire.{key}": value for key, value in facts.items()}
