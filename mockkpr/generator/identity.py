"""Writing the identity message (``KPR_IDE``) that pairs with an annual IPLOS file.

It holds one ``PasientIdent`` per PERSON, joined on ``pePeID``: the synthetic national id
(``fid``) and its id type (9032: 1 fødselsnummer, 2 D-number). Only the identity stream of each
person is drawn, so this document costs a fraction of the IPLOS file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from mockkpr.generator.annual import CHUNK_CHARS, created_date
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import World
from mockkpr.generator.rows import Identity, IdentityRow, date8
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
    """Push-style writer of the identity document: :meth:`add` one identity at a time (it
    returns a chunk when enough text has gathered), then :meth:`finish`. Lets the annual run
    write the IPLOS and identity files in one pass over the persons."""

    def __init__(self, world: World, hooks: Hooks, document: str) -> None:
        self.hooks = hooks
        self.document = document
        self.buffer = [identity_header(world, hooks, document)]
        self.size = 0

    def add(self, identity: Identity) -> bytes | None:
        if self.hooks.edits_person(identity.index):
            row = IdentityRow(identity)
            self.hooks.identity(row, self.document)
            text = render_identity(row)
        else:  # what render_identity writes for a row no defect touched
            text = (f'  <PasientIdent pePeID="{identity.key}">\n'
                    f"    <fid>{identity.national_id}</fid>\n"
                    f"    <typeID>{identity.id_type}</typeID>\n"
                    "  </PasientIdent>\n")
        self.buffer.append(text)
        self.size += len(text)
        if self.size < CHUNK_CHARS:
            return None
        chunk = "".join(self.buffer).encode()
        self.buffer.clear()
        self.size = 0
        return chunk

    def finish(self) -> bytes:
        self.buffer.append("</IdentMelding>\n")
        chunk = "".join(self.buffer).encode()
        self.buffer.clear()
        return chunk


def identity_chunks(world: World, identities: Iterable[Identity], hooks: Hooks,
                    document: str) -> Iterator[bytes]:
    """The whole KPR_IDE document as UTF-8 chunks."""
    writer = IdentityWriter(world, hooks, document)
    for identity in identities:
        chunk = writer.add(identity)
        if chunk is not None:
            yield chunk
    yield writer.finish()
