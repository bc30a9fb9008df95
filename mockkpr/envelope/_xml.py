"""XML plumbing shared by the envelopes: a safe parser, the cached schemas, small readers.

The parser never loads a DTD, never resolves entities and never touches the network; a
document with a DOCTYPE is refused outright (no XXE, no entity expansion). Schemas are read
from package data with :mod:`importlib.resources` and cached per thread, since an lxml schema
object keeps its error log on itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from typing import Protocol, cast

from lxml import etree

import mockkpr.xmlsafe  # noqa: F401  (initialises libxml2's schema types before any thread)
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


def schema(name: str) -> etree.XMLSchema:
    """The schema file ``name`` of :mod:`mockkpr.envelope.schemas`, loaded once per thread."""
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    if name not in cache:
        data = (resources.files("mockkpr.envelope") / "schemas" / name).read_bytes()
        cache[name] = etree.XMLSchema(etree.fromstring(data, _parser()))
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


def parse_datetime(value: str) -> datetime | None:
    """Read an xs:dateTime (``Z``, offsets and up to 7 fraction digits as .NET writes)."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
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
