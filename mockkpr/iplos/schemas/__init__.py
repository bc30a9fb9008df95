"""mockkpr's own XML Schemas for the IPLOS formats and the identity message (package data).

``load_schema("iplos-2019.xsd")`` returns the compiled schema, once per process. The file names
are those of :data:`mockkpr.iplos.formats.FORMATS`. Each schema is self-contained: no
``xs:import``, ``xs:include``, ``xs:redefine`` or ``xs:override`` may name a location, so
compiling one never touches the file system beyond the package or the network. The source is
parsed with network access, DTD loading and entity resolution switched off.

Every direct child of a root element is also a global element, so a streaming validator can
check one top-level row alone with ``schema.validate(element)``; identity constraints
(``xs:unique`` in 56.0.0) only fire when a whole document is validated.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from lxml import etree

from mockkpr.errors import ConfigError

XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"

# Schema elements that pull in other schema documents.
_REFERENCING = ("import", "include", "redefine", "override")


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(
        no_network=True, load_dtd=False, resolve_entities=False, remove_comments=True
    )


def compile_schema(source: bytes, name: str) -> etree.XMLSchema:
    """Compile schema text ``source`` (``name`` says which in errors).

    Raises :class:`ConfigError` when the text is not well-formed XML, not a schema, refers to
    another schema document by location (which could need the network), or does not compile.
    """
    try:
        document = etree.fromstring(source, _schema_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"schema {name} is not well-formed XML: {exc}") from exc
    root = document.getroot()
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
        return etree.XMLSchema(document)
    except etree.XMLSchemaParseError as exc:
        raise ConfigError(f"schema {name} does not compile: {exc}") from exc


@cache
def load_schema(file_name: str) -> etree.XMLSchema:
    """The compiled schema shipped as ``mockkpr/iplos/schemas/<file_name>``, cached.

    Raises :class:`ConfigError` for a name that is not a schema file of this package or a
    schema that cannot be compiled.
    """
    if "/" in file_name or "\\" in file_name or not file_name.endswith(".xsd"):
        raise ConfigError(f"not a schema file name: {file_name!r}")
    resource = resources.files(__name__).joinpath(file_name)
    if not resource.is_file():
        raise ConfigError(f"no schema {file_name!r} in {__name__}")
    return compile_schema(resource.read_bytes(), file_name)
