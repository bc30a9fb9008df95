"""What NHN's messaging library checks before an application sees a message on its error queue.

Written from the public source of Helsenorge.Messaging (NHN's .NET library; facts in
nhn-amqp-profile.md §8), not from mockkpr's code, so that a transport error mockkpr sends is
judged the way a vendor's application built on that library would judge it:

- ``MessageListener.ValidateMessageHeader`` runs on every queue, the error queue included:
  ``toHerId`` and ``fromHerId`` are read with ``int.Parse`` (0 when absent counts as missing;
  an empty or non-numeric value throws and the message is never handled), the subject
  ("Label") must not be empty, ``applicationTimeStamp`` must parse as a date (else it is
  ``DateTime.MinValue``, i.e. missing), the content type must not be empty;
- ``AmqpMessage.MessageId``/``CorrelationId`` accept only string (or Guid) identifiers;
- ``MessageListener.HandlePayload``: a content type equal to ``text/plain`` or
  ``application/soap+xml`` (ignoring case) makes the body unprotected XML, loaded with
  ``XDocument.Load`` (a body that is not a data section gives no stream at all); any other
  content type is taken as CMS, which the error listener does not open;
- ``ErrorMessageListener`` then hands the raw message to the application, which reads the
  error properties (``errorCondition``, ``errorDescription``, ``originalMessageId``,
  ``receiverTimeStamp``; ``AmqpCore.SendErrorAsync`` writes them).

:func:`read_queue` receives the messages with Node's rhea (tests/endpoint/js/read_queue.js).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

READER = Path(__file__).parent / "endpoint" / "js" / "read_queue.js"
INT32 = range(-(2**31), 2**31)
# int.Parse with NumberStyles.Integer: surrounding white space, an optional sign, ASCII digits
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
# what DateTime.TryParse with the invariant culture reads among the forms senders use
_TIMESTAMPS = (
    re.compile(r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?", re.ASCII),
    re.compile(r"\d\d?/\d\d?/\d{4}( \d\d?:\d\d(:\d\d)?)?", re.ASCII),
)
PLAIN = ("text/plain", "application/soap+xml")
ERROR_PROPERTIES = ("errorCondition", "errorDescription", "originalMessageId",
                    "receiverTimeStamp")


@dataclass(frozen=True)
class Received:
    """One message as rhea received it."""

    message_id: str | None
    message_id_type: str
    correlation_id: str | None
    correlation_id_type: str
    subject: str | None
    content_type: str | None
    properties: dict[str, tuple[str, Any]]  # name -> (JavaScript type, value)
    body_section: str
    body: bytes

    def prop(self, name: str) -> Any:
        return self.properties[name][1] if name in self.properties else None


def _her_id(message: Received, name: str) -> tuple[int, str | None]:
    """``int.Parse`` of a HER-id property: (value, problem); 0 when absent."""
    if name not in message.properties:
        return 0, None
    kind, value = message.properties[name]
    text = str(value)
    if kind not in ("string", "number") or not _INTEGER.fullmatch(text) or \
            int(text) not in INT32:
        return 0, f"{name} {text!r}: int.Parse throws, the message is never handled"
    return int(text), None


def _timestamp_ok(message: Received) -> bool:
    value = message.prop("applicationTimeStamp")
    return isinstance(value, str) and any(p.fullmatch(value.strip()) for p in _TIMESTAMPS)


def listener_problems(message: Received) -> list[str]:
    """Why NHN's error listener would not hand ``message`` to the application (empty: it would)."""
    problems = [f"{name} of type {kind}: UnexpectedMessageIdentifierTypeException"
                for name, kind in (("message-id", message.message_id_type),
                                   ("correlation-id", message.correlation_id_type))
                if kind not in ("string", "undefined")]
    to_her_id, to_problem = _her_id(message, "toHerId")
    from_her_id, from_problem = _her_id(message, "fromHerId")
    problems += [p for p in (to_problem, from_problem) if p]
    missing = [name for name, absent in (
        ("toHerId", to_her_id == 0 and not to_problem),
        ("fromHerId", from_her_id == 0 and not from_problem),
        ("Label", not message.subject),
        ("applicationTimeStamp", not _timestamp_ok(message)),
        ("ContentType", not message.content_type),
    ) if absent]
    if missing:
        problems.append("header check: One or more fields are missing: " + ";".join(missing))
    content_type = message.content_type or ""
    if content_type.lower() in PLAIN:
        if message.body_section != "data":
            problems.append(f"{content_type} body in a {message.body_section} section: no "
                            "stream to read")
        elif not _loads_as_xml(message.body):
            problems.append(f"{content_type} body is not XML: Could not deserialize payload")
    for name in ERROR_PROPERTIES:
        if not isinstance(message.prop(name), str):
            problems.append(f"error property {name} missing or not a string")
    return problems


def _loads_as_xml(body: bytes) -> bool:
    try:
        etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True,
                                               load_dtd=False))
    except (etree.XMLSyntaxError, ValueError):
        return False
    return True


def read_queue(rhea_dir: Path, *, host: str, port: int, ca: Path, user: str, password: str,
               source: str, expect: int, timeout_s: float = 30) -> list[Received]:
    """The first ``expect`` messages on ``source``, received (and accepted) by rhea."""
    completed = subprocess.run(
        ["node", str(READER), host, str(port), str(ca), user, password, source, str(expect),
         str(int(timeout_s * 1000))],
        env={**os.environ, "NODE_PATH": str(rhea_dir / "node_modules")},
        capture_output=True, text=True, timeout=timeout_s + 30, check=False)
    assert completed.stdout, completed.stderr
    output: dict[str, Any] = json.loads(completed.stdout)
    assert output["error"] is None, output
    return [Received(m["message_id"], m["message_id_type"], m["correlation_id"],
                     m["correlation_id_type"], m["subject"], m["content_type"],
                     {k: (v["type"], v["value"]) for k, v in m["application_properties"].items()},
                     m["body_section"], base64.b64decode(m["body_base64"]))
            for m in output["messages"]]
