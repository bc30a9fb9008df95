"""Rows: the parsed form of one element of a document, as rules see it.

A row is an element that carries attributes or child elements (``PERSON``, ``TJENESTE``,
``Notifikasjon``, ``Bruker``...). Its leaf children become ``fields`` (local name -> text),
its attributes ``attrs``. Every row knows its keyed XPath, for example
``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]``, so that findings point at it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

# The attribute that identifies a row of each kind in a location path.
KEY_ATTRIBUTES: dict[str, str] = {
    "PERSON": "pePeID",
    "PERSONOPPL": "poPoID",
    "FUNKSJON": "fnFnID",
    "TJENESTE": "tjTjID",
    "DIAGNOSE": "diDiID",
    "DOGNTILBUD": "dgDgID",
    "PasientIdent": "pePeID",
    "Notifikasjon": "notifikasjonGUID",
    "Kommune": "kommuneNr",
}

# Rows that are data rows for the kept/dropped counts (the rest are headers and parts of rows).
DATA_ROWS = frozenset(
    {"PERSON", "PERSONOPPL", "FUNKSJON", "TJENESTE", "DIAGNOSE", "DOGNTILBUD",
     "PasientIdent", "Notifikasjon"}
)


@dataclass(slots=True, eq=False)
class Row:
    """One element with its attributes, leaf values and child rows."""

    kind: str
    attrs: dict[str, str]
    fields: dict[str, str]
    children: list[Row]
    path: str
    line: int
    parent: Row | None = None
    dropped: bool = False
    field_lines: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """The value of a field (``tjTimerUke``) or an attribute (``@tjTjID``), or None."""
        if name.startswith("@"):
            return self.attrs.get(name[1:])
        return self.fields.get(name)

    def rows(self, kind: str) -> list[Row]:
        """The direct child rows of one kind."""
        return [child for child in self.children if child.kind == kind]

    def walk(self) -> list[Row]:
        """This row and all rows below it, parents before children."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def is_dropped(self) -> bool:
        """True when this row or one of its ancestors has been rejected."""
        row: Row | None = self
        while row is not None:
            if row.dropped:
                return True
            row = row.parent
        return False

    def location(self, name: str | None = None) -> str:
        """The keyed XPath of this row, or of one of its fields or attributes."""
        return self.path if name is None else f"{self.path}/{name}"


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]


def row_from_element(
    element: etree._Element, parent_path: str, parent: Row | None = None, position: int = 1
) -> Row:
    """Build the row for ``element`` and, recursively, its child rows."""
    kind = local_name(element.tag)
    attrs = {local_name(k): v for k, v in element.attrib.items()}
    key = KEY_ATTRIBUTES.get(kind)
    if key is not None and attrs.get(key):
        step = f"{kind}[@{key}={attrs[key]}]"
    else:
        step = f"{kind}[{position}]" if parent is not None else kind
    row = Row(kind, attrs, {}, [], f"{parent_path}/{step}", element.sourceline or 0, parent)
    positions: dict[str, int] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        name = local_name(child.tag)
        if len(child) or child.attrib:
            positions[name] = positions.get(name, 0) + 1
            row.children.append(row_from_element(child, row.path, row, positions[name]))
        elif name not in row.fields:
            row.fields[name] = (child.text or "").strip()
            row.field_lines[name] = child.sourceline or 0
    return row
