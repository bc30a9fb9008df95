"""Rows: the parsed form of one element of a document, as rules see it.

A row is an element that carries attributes or child elements (``PERSON``, ``TJENESTE``,
``Notifikasjon``, ``Bruker``...). Its leaf children become ``fields`` (local name -> text),
its attributes ``attrs``. Every row knows its keyed XPath, for example
``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]``, so that findings point at it exactly,
and the source line of itself and of each of its fields (:meth:`Row.line_for`).

Rows are built for every element of a document, so building them is on the validator's hot
path: the class uses slots and computes its path, and the line of a field, only when a
finding needs it. For the lines a row keeps a reference to its element (``Row.element``) while
that element is alive: the engine sets it to None once the rules have judged the rows, before
it frees the element.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from mockkpr.xmlsafe import attributes_of, line_of

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
        "_field_lines",
        "_position",
        "_step",
        "attrs",
        "children",
        "dropped",
        "element",
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
        step: str | None = None,
        parent: Row | None = None,
        base: str = "",
        position: int = 0,
        element: etree._Element | None = None,
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
        self._position = position
        # The element this row was built from, while it is alive (see line_for).
        self.element = element
        self._field_lines: dict[str, int] | None = None

    def __repr__(self) -> str:
        return f"Row({self.path!r})"

    @property
    def step(self) -> str:
        """This row's own step of the path: ``TJENESTE[@tjTjID=3]``, ``iiKontakt[2]``, ``INNHINFO``.

        Keyed by the kind's key attribute when the row has one, else by ``position`` (1-based
        among its siblings of the kind) when that was given. Worked out on first use only:
        rows are built for every element, paths are needed for findings.
        """
        step = self._step
        if step is None:
            kind = self.kind
            key = KEY_ATTRIBUTES.get(kind)
            value = self.attrs.get(key) if key is not None else None
            if value:
                step = f"{kind}[@{key}={value}]"
            elif self._position:
                step = f"{kind}[{self._position}]"
            else:
                step = kind
            self._step = step
        return step

    @property
    def path(self) -> str:
        """The keyed XPath of this row, e.g. ``/IPLOS/PERSON[@pePeID=17]/TJENESTE[@tjTjID=3]``."""
        prefix = self.parent.path if self.parent is not None else self._base
        return f"{prefix}/{self.step}"

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

    def line_for(self, name: str | None = None, offset: int = 0) -> int:
        """The source line of what :meth:`location` names: of this row's element, or of its
        first child element named ``name`` (a field).

        An attribute (``@x``) is on its element's line; a field the row lacks, or any field
        once ``element`` is None (unless :meth:`keep_field_lines` noted them), gives the row's
        own line. Looked up in the element only when asked (for a finding):
        building rows costs nothing more than the reference. ``offset`` is taken from a line
        read in the element: one parsed inside a larger document (a MsgHead) lies that far
        down (``line`` is the document's already).
        """
        if name is None or name[0] == "@":
            return self.line
        element = self.element
        if element is not None:
            for child in element.iterchildren("{*}" + name):
                found = line_of(child)
                return found - offset if found else self.line
            return self.line
        lines = self._field_lines
        if lines is not None:
            return lines.get(name, self.line)
        return self.line

    def keep_field_lines(self, offset: int = 0) -> None:
        """Note the line of each field now, so that :meth:`line_for` still knows them when
        ``element`` is gone (for a row that outlives its element: a document's header);
        ``offset`` as for :meth:`line_for`."""
        element = self.element
        if element is None:
            return
        lines: dict[str, int] = {}
        for child in element:
            if isinstance(child.tag, str):
                found = line_of(child)
                lines.setdefault(_local(child.tag), found - offset if found else self.line)
        self._field_lines = lines


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]


# Local names by tag: a document uses few distinct tags, and slicing each one anew is a
# measurable part of building rows. Bounded, so that a hostile document cannot grow it.
_LOCAL_NAMES: dict[str, str] = {}
_LOCAL_NAMES_MAX = 4096
_NO_LEAVES: Mapping[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag[tag.find("}") + 1:]
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
            _LOCAL_NAMES[tag] = name
    return name


def row_from_element(
    element: etree._Element,
    base: str,
    parent: Row | None = None,
    position: int = 0,
    index: dict[etree._Element, Row] | None = None,
    *,
    leaves: Mapping[str, str] = _NO_LEAVES,
    out: list[Row] | None = None,
) -> Row:
    """Build the row for ``element`` and, recursively, its child rows.

    ``base`` is the path above a top-level row (``/IPLOS``); ``position`` (1-based) is used in
    the path when the row has no key attribute; 0 leaves the step without a predicate. When
    ``index`` is given, it receives the row built for each element (to place schema errors);
    ``out`` receives every row built, parents before children (what :meth:`Row.walk` gives).

    ``leaves`` maps tags (``{namespace}name``) to field names for elements that are certainly
    leaf fields: only for an element the schema has accepted, with the tags the schema declares
    with a simple type, and no ``xsi:`` attribute in the document (see
    :func:`~mockkpr.iplos.schemas.leaf_fields`). It spares the checks for children and
    attributes on each such field; without it, every child element is examined.
    """
    return _build(element, base, parent, position, index, leaves, [] if out is None else out)


def _build(
    element: etree._Element,
    base: str,
    parent: Row | None,
    position: int,
    index: dict[etree._Element, Row] | None,
    leaves: Mapping[str, str],
    out: list[Row],
) -> Row:
    """:func:`row_from_element` with positional arguments (it runs for every row)."""
    tag = element.tag  # only elements are passed: a str
    kind = _LOCAL_NAMES.get(tag) or _local(tag)
    # IPLOS attributes are unqualified: a plain copy, unless one carries a namespace.
    attrs: dict[str, str] = dict(element.items())  # type: ignore[arg-type]
    for key in attrs:
        if key[0] == "{":
            attrs = attributes_of(element)
            break
    fields: dict[str, str] = {}
    row = Row(kind, attrs, fields, line_of(element), None, parent, base, position, element)
    if index is not None:
        index[element] = row
    out.append(row)
    positions: dict[str, int] | None = None
    for child in element:
        ctag = child.tag
        name = leaves.get(ctag)
        if name is None:
            if not isinstance(ctag, str):
                continue  # comments and processing instructions
            name = _LOCAL_NAMES.get(ctag) or _local(ctag)
            if len(child) or child.keys():
                if positions is None:
                    positions = {}
                at = positions[name] = positions.get(name, 0) + 1
                row.children.append(_build(child, base, row, at, index, leaves, out))
                continue
        if name not in fields:
            text = child.text
            fields[name] = text.strip() if text else ""
    return row
