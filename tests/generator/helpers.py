"""Helpers for the generator tests: generate small outputs in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from mockkpr.generator.api import GenerationRun
from mockkpr.generator.spec import GenerationSpec


@dataclass
class Output:
    """The documents of one run (name -> bytes) and its manifest."""

    documents: dict[str, bytes]
    manifest: dict[str, Any]

    def only(self, prefix: str) -> bytes:
        found = [data for name, data in self.documents.items() if name.startswith(prefix)]
        assert len(found) == 1, list(self.documents)
        return found[0]

    def tree(self, prefix: str) -> etree._Element:
        return etree.fromstring(self.only(prefix))


def run(spec: GenerationSpec) -> Output:
    """Generate ``spec`` in memory."""
    generation = GenerationRun(spec)
    documents = {doc.name: doc.read() for doc in generation.documents()}
    return Output(documents, generation.manifest())
