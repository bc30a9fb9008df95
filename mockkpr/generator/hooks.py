"""The points where a document writer lets defects in (no-ops here; see ``defects``).

Writers call these hooks while streaming; :class:`mockkpr.generator.defects.DefectPlan`
overrides them to change exactly one thing per injected defect and to record where. Without
defects the hooks cost one call per person (annual) or per notification (56.0.0) and change
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockkpr.generator.rows import IdentityRow, Notice, Person
from mockkpr.iplos.formats import DocumentKind


@dataclass
class HeaderEdits:
    """What defects change outside the data rows of one document. Texts are raw values: the
    writers escape them; ``extra``, ``prolog`` and ``contact_markup`` are markup, written as
    they are."""

    prolog: str = ""
    """Markup between the XML declaration and the root element (a DOCTYPE, say)."""
    namespace: str | None = None
    """The root element's namespace instead of the format's."""
    root: dict[str, str | None] = field(default_factory=dict)
    """Root attributes (``versjon``...) -> text, or None to leave the attribute out."""
    fields: dict[str, str | None] = field(default_factory=dict)
    """INNHINFO fields -> text, or None to leave the field out (annual and identity)."""
    contacts: dict[tuple[int, str], str | None] = field(default_factory=dict)
    """(contact position from 0, field or attribute name) -> text, or None to leave it out."""
    contact_markup: dict[int, str] = field(default_factory=dict)
    """Markup added to one contact (56.0.0: inside its start tag)."""
    extra: str = ""
    """Markup at the end of INNHINFO (annual, identity)."""
    kommune: str | None = None
    """56.0.0: kommuneNr of the message's Kommune instead of the generated one."""
    more_kommuner: list[str] = field(default_factory=list)
    """56.0.0: further Kommune elements, by kommuneNr (raw text)."""


NO_EDITS = HeaderEdits()
"""The edits of a document without header defects (never changed)."""


class Hooks:
    """Writer hooks; the base class changes nothing."""

    def header(self, kind: DocumentKind, document: str) -> HeaderEdits:
        """The edits of one document's prolog, root, header and (56.0.0) reporting unit."""
        return NO_EDITS

    def person(self, person: Person, document: str) -> None:
        """Change a drawn annual person before it is written."""

    def identity(self, row: IdentityRow, document: str) -> None:
        """Change an identity row before it is written."""

    def edits_person(self, index: int) -> bool:
        """True when :meth:`person` or :meth:`identity` may change person ``index`` (the
        writers skip building editable rows for the others)."""
        return False

    def notification(self, notice: Notice, position: int, document: str,
                     namespace: str) -> None:
        """Change a 56.0.0 notification (``position`` counts from 0 across messages)."""
