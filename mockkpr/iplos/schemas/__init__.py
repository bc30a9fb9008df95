"""mockkpr's own XML Schemas for the IPLOS formats and the identity message (package data).

``load_schema("iplos-2019.xsd")`` returns the compiled schema, once per thread (an lxml schema
keeps the error log of its last validation on itself, so threads must not share one); the file
names are those of :data:`mockkpr.iplos.formats.FORMATS`. Each schema is self-contained: no
``xs:import``, ``xs:include``, ``xs:redefine`` or ``xs:override`` may name a location, so
compiling one never reads another file or the network. The schema text is parsed with network
access, DTD loading and entity resolution switched off.

Every direct child of a root element is also a global element, so a streaming validator can
check one top-level row alone: ``violations(schema, element)`` validates the element as if it
were the document root (attached to its document or detached) and returns typed results that
name the offending element. Identity constraints (``xs:unique`` in 56.0.0) fire only when a
whole document is validated. ``required_children(file_name)`` names the child elements a schema
always requires, so that an error can be blamed on the element that is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from lxml import etree

import mockkpr.xmlsafe  # also initialises libxml2's schema types before any thread
from mockkpr.errors import ConfigError

XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

# Schema elements that pull in other schema documents.
_REFERENCING = ("import", "include", "redefine", "override")

# libxml2 follows an invalid attribute that an xs:unique field selects with a second error on
# the same element saying only this; it repeats the first error and is dropped.
_KNOCK_ON = "No precomputed value available"


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema error.

    ``message`` is libxml2's text (element names in ``{namespace}name`` form), ``line`` the line
    in the source document, ``path`` libxml2's location path relative to the validated element
    (``/*/*[10]/*[5]`` for a default-namespace element still in its document), ``element`` the
    element that path points at (the element itself for content or attribute errors), or None
    when it cannot be resolved.
    """

    message: str
    line: int
    path: str
    element: etree._Element | None


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(
        no_network=True, load_dtd=False, resolve_entities=False, remove_comments=True
    )


def compile_schema(source: bytes, name: str) -> etree.XMLSchema:
    """Compile schema text ``source`` (``name`` says which schema in errors).

    Raises :class:`ConfigError` when the text is not well-formed XML, not an XML Schema,
    refers to another schema document by location (which could need the network), or does not
    compile.
    """
    try:
        root = etree.fromstring(source, _schema_parser())
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"schema {name} is not well-formed XML: {exc}") from exc
    if root.tag != f"{{{XSD_NAMESPACE}}}schema":
        raise ConfigError(f"schema {name} is not an XML Schema (root element {root.tag!r})")
    for kind in _REFERENCING:
        for ref in root.iter(f"{{{XSD_NAMESPACE}}}{kind}"):
            location = ref.get("schemaLocation")
            if location is not None:
                raise ConfigError(
                    f"schema {name} line {ref.sourceline}: xs:{kind} of {location!r} refused;"
                    " mockkpr's schemas must be self-contained (no network, no other files)"
                )
    try:
        with mockkpr.xmlsafe.SCHEMA_COMPILE_LOCK:
            return etree.XMLSchema(root)
    except etree.XMLSchemaParseError as exc:
        raise ConfigError(f"schema {name} does not compile: {exc}") from exc


_local = threading.local()


def load_schema(file_name: str) -> etree.XMLSchema:
    """The compiled schema shipped as ``mockkpr/iplos/schemas/<file_name>``, cached per thread.

    Per thread because :func:`violations` reads the schema's ``error_log`` after validating:
    with one schema object shared by the endpoint's workers, a validation in another thread
    clears or replaces that log in between, and an invalid file could be reported as valid.
    Raises :class:`ConfigError` for a name that is not a schema file of this package or a
    schema that cannot be compiled.
    """
    found: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if found is None:
        found = _local.schemas = {}
    schema = found.get(file_name)
    if schema is None:
        schema = found[file_name] = compile_schema(_schema_bytes(file_name), file_name)
    return schema


def _schema_bytes(file_name: str) -> bytes:
    if "/" in file_name or "\\" in file_name or not file_name.endswith(".xsd"):
        raise ConfigError(f"not a schema file name: {file_name!r}")
    resource = resources.files(__name__).joinpath(file_name)
    if not resource.is_file():
        raise ConfigError(f"no schema {file_name!r} in {__name__}")
    return resource.read_bytes()


@cache
def required_children(file_name: str) -> frozenset[str]:
    """Local names of the elements the schema ``file_name`` declares inside a complex type and
    requires (``minOccurs`` not 0) wherever it declares them.

    libxml2 reports a missing element as "This element is not expected" on the element that
    follows it; this set lets the validator blame the missing one instead. A name declared
    optional anywhere in the schema (or as one alternative of an ``xs:choice``) is left out, so
    the answer never depends on the parent.
    """
    root = etree.fromstring(_schema_bytes(file_name), _schema_parser())
    required: set[str] = set()
    optional: set[str] = set()
    for declaration in root.iterfind(f".//{{{XSD_NAMESPACE}}}complexType//"
                                     f"{{{XSD_NAMESPACE}}}element[@name]"):
        name = declaration.get("name")
        parent = declaration.getparent()
        assert name is not None
        assert parent is not None
        alternative = parent.tag == f"{{{XSD_NAMESPACE}}}choice"
        (optional if alternative or declaration.get("minOccurs") == "0" else required).add(name)
    return frozenset(required - optional)


@cache
def declared_elements(file_name: str) -> frozenset[str]:
    """The local names of all elements the shipped schema ``file_name`` declares.

    The engine uses them to tell a known field that comes where another, missing field was
    expected from an element the format does not have at all.
    """
    load_schema(file_name)  # checks the name and that the schema compiles
    data = resources.files(__name__).joinpath(file_name).read_bytes()
    root = etree.fromstring(data, _schema_parser())
    return frozenset(str(element.get("name"))
                     for element in root.iter(f"{{{XSD_NAMESPACE}}}element")
                     if element.get("name"))


@cache
def leaf_fields(file_name: str) -> Mapping[str, str]:
    """Tags (``{namespace}name``) of the elements the schema ``file_name`` declares with a
    simple type everywhere it declares them, mapped to their local names.

    In an element the schema has accepted, such an element has no child elements and no
    attributes other than ``xsi:`` ones (``xsi:type`` and ``xsi:nil`` are allowed anywhere):
    it is a leaf field. The validator uses this to build rows without examining every field.
    """
    root = etree.fromstring(_schema_bytes(file_name), _schema_parser())
    target = root.get("targetNamespace")
    qualified = root.get("elementFormDefault") == "qualified"
    xs = f"{{{XSD_NAMESPACE}}}"
    simple_types = {t.get("name") for t in root.iter(f"{xs}simpleType") if t.get("name")}
    simple: dict[str, str] = {}
    complex_: set[str] = set()
    for declaration in root.iter(f"{xs}element"):
        name = declaration.get("name")
        if name is None:
            continue  # a reference to a global declaration, seen on its own
        form = declaration.get("form")
        is_global = declaration.getparent() is root
        in_namespace = target is not None and (
            is_global or form == "qualified" or (form is None and qualified))
        tag = f"{{{target}}}{name}" if in_namespace else name
        if _is_simple(declaration, simple_types):
            simple[tag] = name
        else:
            complex_.add(tag)
    return {tag: name for tag, name in simple.items() if tag not in complex_}


def _is_simple(declaration: etree._Element, simple_types: set[str | None]) -> bool:
    """True when an ``xs:element`` declaration gives its element a simple type."""
    type_name = declaration.get("type")
    if type_name is None:
        return declaration.find(f"{{{XSD_NAMESPACE}}}simpleType") is not None
    prefix, _, local = type_name.rpartition(":")
    namespace = declaration.nsmap.get(prefix or None)
    if namespace == XSD_NAMESPACE:
        return local not in ("anyType",)
    return local in simple_types


def violations(
    schema: etree.XMLSchema, target: etree._Element | etree._ElementTree
) -> list[Violation]:
    """Validate ``target`` (a whole document, or one element as if it were the root).

    Returns the schema errors in document order, an empty list when the target is valid
    (libxml2's knock-on "No precomputed value available" after an invalid ``xs:unique`` field
    value is left out, since the error before it on the same element says what is wrong). An
    element to be validated alone must be declared globally in the schema (the root or one of
    its children); any other gives one violation "No matching global declaration".
    """
    root = target.getroot() if isinstance(target, etree._ElementTree) else target
    if schema.validate(target):
        return []
    found: list[Violation] = []
    for entry in cast(Iterable[Any], schema.error_log):
        message, line, path = str(entry.message), int(entry.line), str(entry.path)
        if _KNOCK_ON in message and any((v.line, v.path) == (line, path) for v in found):
            continue
        found.append(Violation(message, line, path, _resolve(root, path)))
    return found


def _resolve(root: etree._Element, path: str) -> etree._Element | None:
    """The element a libxml2 error path names, read relative to the validated ``root``.

    libxml2 writes ``*[n]`` (n-th element child) for unprefixed namespaced elements and
    ``prefix:name[n]`` otherwise; its first step is always the validated element itself.
    """
    if not path.startswith("/"):
        return None
    expression = "/".join([".", *path.split("/")[2:]])
    namespaces = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    try:
        found = root.xpath(expression, namespaces=namespaces)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None
