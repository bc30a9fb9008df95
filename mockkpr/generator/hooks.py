"""The points where a document writer lets defects in (no-ops here; see ``defects``).

Writers call these hooks while streaming; :class:`mockkpr.generator.defects.DefectPlan`
overrides them to change exactly one thing per injected defect and to record where.
"""

from __future__ import annotations

from mockkpr.generator.rows import IdentityRow, Notice, Person
from mockkpr.iplos.formats import DocumentKind


class Hooks:
    """Writer hooks; the base class changes nothing."""

    def prolog(self, kind: DocumentKind, document: str) -> str:
        """Markup between the XML declaration and the root element (a DOCTYPE, say)."""
        return ""

    def namespace(self, kind: DocumentKind, namespace: str, document: str) -> str:
        """The root element's namespace."""
        return namespace

    def header_extra(self, kind: DocumentKind, document: str, root: str) -> str:
        """Markup appended inside the header (INNHINFO, or the first Kontaktperson)."""
        return ""

    def person(self, person: Person, document: str) -> None:
        """Change a drawn annual person before it is written."""

    def identity(self, row: IdentityRow, document: str) -> None:
        """Change an identity row before it is written."""

    def notification(self, notice: Notice, position: int, document: str,
                     namespace: str) -> None:
        """Change a 56.0.0 notification (``position`` counts from 0 across messages)."""
