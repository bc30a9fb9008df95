"""Rows: the parsed form of one element of a document, as rules see it.

A row is an element that carries attributes or child elements (``PERSON``, ``TJENESTE``,
``Notifikasjon``, ``Bruker``...). Its leaf children become ``fields`` (local name -> text),
its attributes ``attrs``. Every row knows its keyed XPath, for example
``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]``, so that findings point at it exactly.

Rows are built for every element of a document, so building them is on the validator's hot
path: the class uses slots and computes its path only when a finding needs it.
"""

from __future__ import annotations

from lxml import etree

from mockkpr.xmlsafe import attributes_of, line_of, tag_of

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


class Row:
    """One element with its attributes, leaf values and child rows."""

    __slots__ = (
        "_base",
        "_step",
        "attrs",
        "children",
        "dropped",
        "fields",
        "kind",
        "line",
        "parent",
    )

    def __init__(
        self,
        kind: str,
        attrs: dict[str, str],
        fields: dict[str, str],
        line: int,
        step: str,
        parent: Row | None = None,
        base: str = "",
    ) -> None:
        self.kind = kind
        self.attrs = attrs
        self.fields = fields
        self.children: list[Row] = []
        self.line = line
        self.parent = parent
        self.dropped = False
        self._step = step
        self._base = base

    def __repr__(self) -> str:
        return f"Row({self.path!r})"

    @property
    def path(self) -> str:
        """The keyed XPath of this row, e.g. ``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]``."""
        prefix = self.parent.path if self.parent is not None else self._base
        return f"{prefix}/{self._step}"

    def get(self, name: str) -> str | None:
        """The value of a field (``tjTimerUke``) or an attribute (``@tjTjID``), or None."""
        if name[0] == "@":
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

    def ancestor(self, kind: str) -> Row | None:
        """This row or the nearest row above it of ``kind``."""
        row: Row | None = self
        while row is not None and row.kind != kind:
            row = row.parent
        return row

    def is_dropped(self) -> bool:
        """True when this row or one of its ancestors has been rejected."""
        row: Row | None = self
        while row is not None:
            if row.dropped:
                return True
            row = row.parent
        return False

    def location(self, name: str | None = None) -> str:
        """The keyed XPath of this row, or of one of its fields (``x``) or attributes (``@x``)."""
        return self.path if name is None else f"{self.path}/{name}"


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]


def row_from_element(
    element: etree._Element,
    base: str,
    parent: Row | None = None,
    position: int = 0,
    index: dict[etree._Element, Row] | None = None,
) -> Row:
    """Build the row for ``element`` and, recursively, its child rows.

    ``base`` is the path above a top-level row (``/IPLOS``); ``position`` (1-based) is used in
    the path when the row has no key attribute; 0 leaves the step without a predicate. When
    ``index`` is given, it receives the row built for each element (to place schema errors).
    """
    tag = tag_of(element)
    cut = tag.find("}") + 1
    kind = tag[cut:]
    attrib = element.attrib
    # IPLOS attributes are unqualified: a plain copy, unless one carries a namespace.
    attrs: dict[str, str] = dict(attrib) if attrib else {}  # type: ignore[arg-type]
    if attrs and any(key[0] == "{" for key in attrs):
        attrs = attributes_of(element)
    key = KEY_ATTRIBUTES.get(kind)
    if key is not None and attrs.get(key):
        step = f"{kind}[@{key}={attrs[key]}]"
    elif position:
        step = f"{kind}[{position}]"
    else:
        step = kind
    fields: dict[str, str] = {}
    row = Row(kind, attrs, fields, line_of(element), step, parent, base)
    if index is not None:
        index[element] = row
    positions: dict[str, int] = {}
    for child in element:
        ctag = child.tag
        if not isinstance(ctag, str):
            continue  # comments and processing instructions
        if len(child) or child.keys():
            name = ctag[ctag.find("}") + 1:]
            positions[name] = positions.get(name, 0) + 1
            row.children.append(row_from_element(child, base, row, positions[name], index))
        else:
            name = ctag[cut:] if ctag.startswith(tag[:cut]) else local_name(ctag)
            if name not in fields:
                text = child.text
                fields[name] = text.strip() if text else ""
    return row
