"""Safe XML parsing settings and typed accessors for lxml, shared by every XML reader.

All XML in mockkpr is parsed with entity resolution, DTD loading and network access off
(:data:`PARSER_OPTIONS`). The accessors give precise types where lxml's stubs do not.

Importing this module also makes libxml2 build its table of built-in XML Schema types (see
:func:`_initialise_schema_types`); every module that compiles schemas imports it first.
"""

from __future__ import annotations

import threading
from typing import Final, cast

from lxml import etree

PARSER_OPTIONS: Final = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


_TINY_SCHEMA = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                b'<xs:element name="a" type="xs:string"/></xs:schema>')


def _initialise_schema_types() -> None:
    """Have libxml2 build its built-in XML Schema types now, in one thread.

    libxml2 (2.14, as bundled with lxml 6) builds that table lazily, without a lock, when the
    first schema is compiled. Two threads compiling their first schemas at the same moment (the
    endpoint's workers on their first messages) can corrupt it, after which every schema
    compilation in the process fails ("xmlSchemaPValAttrNodeValue, the given type is not a
    built-in type") until it is restarted. Module import runs once, under Python's import
    lock, so doing it here happens before any thread can race.
    """
    etree.XMLSchema(etree.fromstring(_TINY_SCHEMA))


_initialise_schema_types()

#: Held while a schema is compiled: libxml2's schema parser keeps global state (two workers
#: compiling at once failed with "QName ... does not resolve" under load). Compiling happens
#: once per schema and thread, so holding it costs nothing afterwards.
SCHEMA_COMPILE_LOCK: Final = threading.Lock()


def line_of(element: etree._Element) -> int:
    """The source line of ``element`` (0 when unknown)."""
    return cast(int | None, element.sourceline) or 0


def doctype_of(tree: etree._ElementTree) -> str:
    """The DOCTYPE declaration of a parsed document, or an empty string."""
    return cast(str, getattr(tree.docinfo, "doctype", "") or "")


def tag_of(element: etree._Element) -> str:
    """The ``{namespace}name`` tag of an element (comments and PIs give an empty string)."""
    tag = element.tag
    return tag if isinstance(tag, str) else ""


def attributes_of(element: etree._Element) -> dict[str, str]:
    """Attributes by local name, as strings."""
    out: dict[str, str] = {}
    for key, value in element.attrib.items():
        name = key.decode() if isinstance(key, bytes) else key
        out[name[name.find("}") + 1:]] = value.decode() if isinstance(value, bytes) else value
    return out


def pull_parser() -> etree.XMLPullParser:
    """An incremental parser reporting element starts, with the safe options."""
    return etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )
