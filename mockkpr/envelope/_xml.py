"""XML plumbing shared by the envelopes: a safe parser, the cached schemas, small readers.

The parser never loads a DTD, never resolves entities and never touches the network; a
document with a DOCTYPE is refused outright (no XXE, no entity expansion). Schemas are read
from package data with :mod:`importlib.resources` and cached per thread, since an lxml schema
object keeps its error log on itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from typing import Protocol, cast

from lxml import etree

import mockkpr.xmlsafe  # also initialises libxml2's schema types before any thread
from mockkpr.envelope.codes import ErrorCode
from mockkpr.envelope.problems import EnvelopeError, EnvelopeProblem, problem

_local = threading.local()
# How far into a document that failed to parse a DOCTYPE is looked for.
_DOCTYPE_SCAN = 1 << 16


class _LogEntry(Protocol):
    """The part of lxml's log entry used here (the type stubs do not describe it)."""

    message: str
    line: int
    path: str | None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False,
    )


def parse_xml(xml: bytes, what: str) -> etree._Element:
    """Parse ``xml`` safely and return its root; raise EnvelopeError (T01) when it cannot be.

    ``what`` names the document in messages (``MsgHead``, ``AppRec``).
    """
    doctype = problem(ErrorCode.T01, f"{what} has a DOCTYPE; DTDs and entity declarations "
                      "are not allowed", "line 1")
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        # libxml2 may stop at a DOCTYPE's entities (amplification limit) before we see it.
        if b"<!DOCTYPE" in xml[:_DOCTYPE_SCAN]:
            raise EnvelopeError([doctype]) from None
        raise EnvelopeError([problem(ErrorCode.T01, f"{what} is not well-formed XML: {exc.msg}",
                                     f"line {exc.lineno}")]) from None
    # Any DOCTYPE, with or without an internal subset, gives the document an internal DTD.
    if root.getroottree().docinfo.internalDTD is not None:
        raise EnvelopeError([doctype])
    return root


class _PackageSchemas(etree.Resolver):
    """Resolves a schema's ``xs:import`` of a sibling file from package data, and nothing else.

    ``msghead-1.2.xsd`` imports ``xmldsig.xsd``; any other location is refused, so loading a
    schema never reads outside the package or touches the network.
    """

    # lxml calls resolve(url, public_id, context); its type stubs leave out the context
    def resolve(self, system_url: str | None, public_id: str | None,  # type: ignore[override]
                context: object) -> object:
        name = (system_url or "").rsplit("/", 1)[-1]
        if not name.endswith(".xsd") or name not in _schema_names():
            raise EnvelopeError([problem(ErrorCode.T99, f"schema location {system_url!r} is "
                                         "not one of mockkpr's schemas")])
        return self.resolve_string(_schema_bytes(name), context, base_url=system_url)


def _schema_names() -> set[str]:
    return {p.name for p in (resources.files("mockkpr.envelope") / "schemas").iterdir()}


def _schema_bytes(name: str) -> bytes:
    return (resources.files("mockkpr.envelope") / "schemas" / name).read_bytes()


def schema(name: str) -> etree.XMLSchema:
    """The schema file ``name`` of :mod:`mockkpr.envelope.schemas`, loaded once per thread."""
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    if name not in cache:
        parser = _parser()
        parser.resolvers.add(_PackageSchemas())
        # a base URL of the package's own kind, so relative imports reach the resolver
        with mockkpr.xmlsafe.SCHEMA_COMPILE_LOCK:
            document = etree.fromstring(_schema_bytes(name), parser,
                                        base_url=f"mockkpr-schemas:///{name}")
            cache[name] = etree.XMLSchema(document)
    return cache[name]


def validate(root: etree._Element, name: str) -> list[EnvelopeProblem]:
    """Validate ``root`` against schema ``name``; every error becomes a T02 problem."""
    xsd = schema(name)
    if xsd.validate(root):
        return []
    namespace = etree.QName(root).namespace
    problems = []
    for entry in cast("Iterable[_LogEntry]", xsd.error_log):
        message = entry.message.replace(f"{{{namespace}}}", "") if namespace else entry.message
        problems.append(problem(ErrorCode.T02, message, _where(root, entry.path, entry.line)))
    return problems


def _where(root: etree._Element, path: str | None, line: int) -> str:
    """A readable location (``/MsgHead/MsgInfo/GenDate (line 3)``) for a schema error.

    libxml2 gives the path with the document's own prefixes (``/mh:MsgHead/mh:MsgInfo``) or
    with ``*`` steps; it is resolved with the root's prefixes, else only the line is given.
    """
    prefixes = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    try:
        found = root.getroottree().xpath(path, namespaces=prefixes) if path else None
    except etree.XPathError:
        found = None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return f"{readable_path(found[0])} (line {line})"
    return f"line {line}"


def readable_path(element: etree._Element) -> str:
    """The element's path by local names, e.g. ``/MsgHead/MsgInfo/Sender/Organisation``."""
    names = [etree.QName(e).localname for e in (*reversed(list(element.iterancestors())), element)]
    return "/" + "/".join(names)


def child(parent: etree._Element, namespace: str, *names: str) -> etree._Element | None:
    """The first element at the path ``names`` below ``parent``, or None."""
    current: etree._Element | None = parent
    for name in names:
        if current is None:
            return None
        current = current.find(f"{{{namespace}}}{name}")
    return current


def text(parent: etree._Element, namespace: str, *names: str) -> str | None:
    """The stripped text of the element at ``names``, or None when absent or blank."""
    element = child(parent, namespace, *names)
    value = (element.text or "").strip() if element is not None else ""
    return value or None


def format_datetime(value: datetime) -> str:
    """An xs:dateTime: seconds, microseconds only when present, offset only when aware."""
    return value.isoformat()


_XS_DATETIME = re.compile(
    r"(?P<year>-?\d{4,})-(?P<month>\d\d)-(?P<day>\d\d)T(?P<hour>\d\d):(?P<minute>\d\d):"
    r"(?P<second>\d\d)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d\d:\d\d)?", re.ASCII)


def parse_datetime(value: str) -> datetime | None:
    """Read an xs:dateTime; None when it is not one or Python cannot hold it.

    Takes what the XSD type allows: any number of fraction digits (.NET writes seven; more
    than six are cut), ``Z``, an offset or no zone (a naive result), and ``24:00:00`` (the
    start of the next day). Years outside 1-9999 give None.
    """
    found = _XS_DATETIME.fullmatch(value.strip())
    if found is None:
        return None
    year = int(found["year"])
    zone = found["zone"]
    tzinfo = None
    if zone == "Z":
        tzinfo = UTC
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        tzinfo = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    fraction = int((found["fraction"] or "")[:6].ljust(6, "0"))
    hour, midnight = int(found["hour"]), False
    if hour == 24 and found["minute"] == "00" and found["second"] == "00" \
            and not fraction:
        hour, midnight = 0, True
    try:
        parsed = datetime(year, int(found["month"]), int(found["day"]), hour,
                          int(found["minute"]), int(found["second"]), fraction, tzinfo=tzinfo)
        return parsed + timedelta(days=1) if midnight else parsed
    except (ValueError, OverflowError):
        return None


def root_element(namespace: str, name: str) -> etree._Element:
    """A new root element ``name`` declaring ``namespace`` as the default namespace."""
    # lxml takes None as the default prefix; its type stubs only allow str keys.
    nsmap = cast("dict[str, str]", {None: namespace})
    return etree.Element(f"{{{namespace}}}{name}", nsmap=nsmap)


def sub(parent: etree._Element, namespace: str, name: str, value: str | None = None,
        **attributes: str) -> etree._Element:
    """Append element ``name`` with optional text and attributes (in the given order)."""
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    for key, attribute in attributes.items():
        element.set(key, attribute)
    if value is not None:
        element.text = value
    return element


def serialise(root: etree._Element) -> bytes:
    """UTF-8 bytes without an XML declaration, as the CMS layer signs them (profile §5)."""
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)
