"""The envelope corpus (fixtures/envelopes): its files and the marks in its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

CORPUS = Path(__file__).parents[2] / "fixtures" / "envelopes"


@dataclass(frozen=True)
class Case:
    """One file of the corpus with its marks (manifest.yaml explains the fields)."""

    kind: str  # "msghead" or "apprec"
    name: str
    official: str
    expected: dict[str, Any] = field(default_factory=dict)
    issue: str | None = None
    differs: str | None = None

    @property
    def path(self) -> Path:
        return CORPUS / self.kind / f"{self.name}.xml"

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    def tree(self) -> etree._ElementTree:
        """The file parsed as the official tools would (entities of a DOCTYPE expanded)."""
        parser = etree.XMLParser(resolve_entities=True, load_dtd=False, no_network=True)
        return etree.parse(str(self.path), parser)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def cases(kind: str) -> list[Case]:
    """The manifest's cases of ``kind``, in manifest order."""
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
    return [Case(kind, name, marks["official"], marks.get("answer") or marks.get("read") or {},
                 marks.get("issue"), marks.get("differs"))
            for name, marks in manifest[kind].items()]
