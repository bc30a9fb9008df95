"""Which identity message (KPR_IDE) belongs to an annual IPLOS file (KPR_IPL).

The two travel apart and are joined on the person key (iplos-format.md, introduction). An
annual IPLOS file is "one file per kommune per year" (§1) and the identity message carries the
same header (kpr-ide-1.xsd: "the same values as the partner IPLOS file"), so they belong
together when their headers say the same

- kommune (``iiKomnr``),
- reporting year (the year of ``iiFraDato``, else of ``iiTilDato``), and
- city district (``iiBydelsnr``) when both give one other than ``00`` ("no district"):
  a district's file is not joined with another district's identities.

``iiLopenr`` (the running number) and ``iiLagetDato`` are not compared: a kommune that sends a
corrected IPLOS file for the year (a new running number) still means the identities it sent
for that year. Of several matching identity messages the newest wins, as a newer submission
for a kommune and year replaces an older one (kpr-reporting.md, "Feedback").
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from lxml import etree

from mockkpr.iplos.validate import ParsedDocument
from mockkpr.iplos.values import as_date8
from mockkpr.xmlsafe import PARSER_OPTIONS

_FIELDS = frozenset({"iiKomnr", "iiBydelsnr", "iiFraDato", "iiTilDato"})
NO_DISTRICT = "00"


@dataclass(frozen=True, slots=True)
class PairKey:
    """What an annual file and its identity message must share."""

    kommune: str
    year: int
    bydel: str | None = None

    def matches(self, other: PairKey) -> bool:
        """True when the two headers name the same kommune, year and (where both say) bydel."""
        districts = {self.bydel, other.bydel} - {None, NO_DISTRICT}
        same_district = len(districts) <= 1 or self.bydel == other.bydel
        return self.kommune == other.kommune and self.year == other.year and same_district

    def as_json(self) -> dict[str, Any]:
        """The key as JSON (journal details, reports)."""
        return {"kommune": self.kommune, "year": self.year, "bydel": self.bydel}

    @classmethod
    def from_json(cls, value: Any) -> PairKey | None:
        """A key stored by :meth:`as_json`, or None when ``value`` is not one."""
        if not isinstance(value, dict):
            return None
        kommune, year, bydel = value.get("kommune"), value.get("year"), value.get("bydel")
        if not isinstance(kommune, str) or not isinstance(year, int) or \
                not isinstance(bydel, str | None):
            return None
        return cls(kommune, year, bydel)

    def __str__(self) -> str:
        district = f", bydel {self.bydel}" if self.bydel not in (None, NO_DISTRICT) else ""
        return f"kommune {self.kommune}, {self.year}{district}"


def pair_key(document: bytes | ParsedDocument) -> PairKey | None:
    """The key of an annual IPLOS file or identity message, read from its ``INNHINFO``.

    Reads no further than the header. None when there is no readable kommune and year (the
    document's own rules report that).
    """
    if isinstance(document, ParsedDocument):
        document = document.data
    fields: dict[str, str] = {}
    try:
        for _, element in etree.iterparse(io.BytesIO(document), events=("end",),
                                          **PARSER_OPTIONS):
            name = etree.QName(element).localname
            if name in _FIELDS:
                fields[name] = (element.text or "").strip()
            elif name == "INNHINFO":
                return _key(fields)
    except etree.XMLSyntaxError:
        return None
    return None


def _key(fields: dict[str, str]) -> PairKey | None:
    kommune = fields.get("iiKomnr")
    start, end = as_date8(fields.get("iiFraDato")), as_date8(fields.get("iiTilDato"))
    year = start.year if start else (end.year if end and end.year < 9999 else None)
    if not kommune or year is None:
        return None
    return PairKey(kommune, year, fields.get("iiBydelsnr") or None)
