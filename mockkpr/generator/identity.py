"""Writing the identity message (``KPR_IDE``) that pairs with an annual IPLOS file.

It holds one ``PasientIdent`` per PERSON, joined on ``pePeID``: the synthetic national id
(``fid``) and its id type (9032: 1 fødselsnummer, 2 D-number).
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape

import numpy as np

from mockkpr.generator.annual import created_date
from mockkpr.generator.blocks import BLOCK, Population, identity_of
from mockkpr.generator.draw_care import Block
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import World
from mockkpr.generator.rows import IdentityRow, date8
from mockkpr.iplos.formats import NS_IDENTITY, DocumentKind

VERSION = "1.0"


def identity_header(world: World, hooks: Hooks, document: str) -> str:
    """Declaration, root and INNHINFO (same kommune, period, date and running number as the
    partner IPLOS file)."""
    edits = hooks.header(DocumentKind.IDENTITY, document)
    namespace = edits.namespace or NS_IDENTITY
    version = edits.root.get("versjon", VERSION)
    root = f' versjon="{escape(version)}"' if version is not None else ""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', edits.prolog,
             f'<IdentMelding xmlns="{namespace}"{root}>\n', "  <INNHINFO>\n"]
    for name, text in (("iiKomnr", world.kommune), ("iiBydelsnr", world.sending_bydel),
                       ("iiFraDato", date8(world.year_start)),
                       ("iiTilDato", date8(world.year_end)),
                       ("iiLagetDato", date8(created_date(world))),
                       ("iiLopenr", str(world.spec.running_number))):
        value = edits.fields.get(name, text)
        if value is not None:
            parts.append(f"    <{name}>{escape(value)}</{name}>\n")
    parts += [edits.extra, "  </INNHINFO>\n"]
    return "".join(parts)


def render_identity(row: IdentityRow) -> str:
    """One PasientIdent element (none when the row is left out, twice when repeated)."""
    if row.skip:
        return ""
    ident = row.identity
    values: dict[str, str | None] = {"fid": ident.national_id, "typeID": str(ident.id_type)}
    key: str | None = str(ident.key)
    if row.overrides:
        key = row.overrides.get("@pePeID", key)
        values.update((k, v) for k, v in row.overrides.items() if not k.startswith("@"))
    body = "".join(f"    <{name}>{text}</{name}>\n" for name, text in values.items()
                   if text is not None)
    start = f'  <PasientIdent pePeID="{key}">\n' if key is not None else "  <PasientIdent>\n"
    text = f'{start}{body}{row.extra or ""}  </PasientIdent>\n'
    if row.twice:
        text *= 2
    return text + (row.after or "")


class IdentityWriter:
    """Push-style writer of the identity document: :meth:`add_block` one block of persons at
    a time (it returns the block's text as a chunk), then :meth:`finish`. Lets the annual run
    write the IPLOS and identity files in one pass over the persons."""

    def __init__(self, world: World, hooks: Hooks, document: str) -> None:
        self.hooks = hooks
        self.document = document
        self.head: str | None = identity_header(world, hooks, document)

    def add_block(self, block: Block, size: int) -> bytes:
        """The PasientIdent rows of the first ``size`` persons of ``block``."""
        assert block.national_id is not None
        types = np.where(block.ident.d_number[:size], 2, 1).tolist()
        texts = [f'  <PasientIdent pePeID="{key}">\n'
                 f"    <fid>{national_id}</fid>\n"
                 f"    <typeID>{id_type}</typeID>\n"
                 "  </PasientIdent>\n"
                 for key, national_id, id_type in zip(
                     range(block.first + 1, block.first + size + 1), block.national_id,
                     types, strict=False)]
        for n in range(size):
            if self.hooks.edits_person(block.first + n):
                row = IdentityRow(identity_of(block, n))
                self.hooks.identity(row, self.document)
                texts[n] = render_identity(row)
        if self.head is not None:
            texts.insert(0, self.head)
            self.head = None
        return "".join(texts).encode()

    def finish(self) -> bytes:
        text = (self.head or "") + "</IdentMelding>\n"
        self.head = None
        return text.encode()


def identity_chunks(world: World, population: Population, hooks: Hooks, document: str
                    ) -> Iterator[bytes]:
    """The whole KPR_IDE document as UTF-8 chunks."""
    writer = IdentityWriter(world, hooks, document)
    persons = world.spec.persons
    for number in range((persons + BLOCK - 1) // BLOCK):
        block = population.block(number)
        yield writer.add_block(block, min(BLOCK, persons - block.first))
    yield writer.finish()
