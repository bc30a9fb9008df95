"""The IPLOS document formats mockkpr knows, told apart by the root element's namespace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Generation(StrEnum):
    """A generation of the IPLOS format (iplos-format.md, the table at the top)."""

    ANNUAL_2018 = "2018"
    ANNUAL_2019 = "2019"
    EVENT_56 = "56"

    @property
    def is_annual(self) -> bool:
        return self is not Generation.EVENT_56


class DocumentKind(StrEnum):
    """What a document carries: IPLOS data (``KPR_IPL``) or identities (``KPR_IDE``)."""

    IPLOS = "KPR_IPL"
    IDENTITY = "KPR_IDE"


@dataclass(frozen=True)
class DocumentFormat:
    """One root element in one namespace, with the schema file that describes it."""

    kind: DocumentKind
    generation: Generation | None
    namespace: str
    root: str
    schema: str
    version: str | None
    # The root's children in order: (element, minimum, maximum or None for unbounded).
    top_level: tuple[tuple[str, int, int | None], ...]

    @property
    def top_level_names(self) -> frozenset[str]:
        return frozenset(name for name, _, _ in self.top_level)

    @property
    def label(self) -> str:
        if self.kind is DocumentKind.IDENTITY:
            return "identity message (KPR_IDE) 1.0"
        assert self.generation is not None
        return {
            Generation.ANNUAL_2018: "IPLOS annual 2018",
            Generation.ANNUAL_2019: "IPLOS annual 2019 (3.7)",
            Generation.EVENT_56: "IPLOS event message 56.0.0",
        }[self.generation]


NS_2018 = "http://www.npr.no/xmlstds/iplos/2018"
NS_2019 = "http://www.npr.no/xmlstds/iplos/2019"
NS_56 = "http://www.npr.no/xmlstds/56_0_0_ipl"
# The real identity message layout is not public; this namespace is mockkpr's own (docs/formats.md).
NS_IDENTITY = "urn:mockkpr:xmlstds:kpr-ide:1"

_ANNUAL_TOP = (("INNHINFO", 1, 1), ("PERSON", 1, None))

FORMATS: dict[str, DocumentFormat] = {
    f.namespace: f
    for f in (
        DocumentFormat(DocumentKind.IPLOS, Generation.ANNUAL_2018, NS_2018, "IPLOS",
                       "iplos-2018.xsd", "3.5", _ANNUAL_TOP),
        DocumentFormat(DocumentKind.IPLOS, Generation.ANNUAL_2019, NS_2019, "IPLOS",
                       "iplos-2019.xsd", "3.7", _ANNUAL_TOP),
        DocumentFormat(DocumentKind.IPLOS, Generation.EVENT_56, NS_56, "Melding",
                       "iplos-56.xsd", "56.0.0",
                       (("Notifikasjon", 0, None), ("Kontaktperson", 1, None),
                        ("Kommune", 1, None))),
        DocumentFormat(DocumentKind.IDENTITY, None, NS_IDENTITY, "IdentMelding",
                       "kpr-ide-1.xsd", "1.0", (("INNHINFO", 1, 1), ("PasientIdent", 1, None))),
    )
}
