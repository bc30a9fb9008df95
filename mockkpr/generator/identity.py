"""Writing the identity message (``KPR_IDE``) that pairs with an annual IPLOS file.

It holds one ``PasientIdent`` per PERSON, joined on ``pePeID``: the synthetic national id
(``fid``) and its id type (9032: 1 fødselsnummer, 2 D-number). Only the identity stream of each
person is drawn, so this document costs a fraction of the IPLOS file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mockkpr.generator.annual import CHUNK_CHARS, created_date
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import World
from mockkpr.generator.rows import Identity, IdentityRow, date8
from mockkpr.iplos.formats import NS_IDENTITY, DocumentKind


def identity_header(world: World, hooks: Hooks, document: str) -> str:
    """Declaration, root and INNHINFO (same kommune, period, date and running number as the
    partner IPLOS file)."""
    namespace = hooks.namespace(DocumentKind.IDENTITY, NS_IDENTITY, document)
    return "".join((
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        hooks.prolog(DocumentKind.IDENTITY, document),
        f'<IdentMelding xmlns="{namespace}" versjon="1.0">\n',
        "  <INNHINFO>\n",
        f"    <iiKomnr>{world.kommune}</iiKomnr>\n",
        f"    <iiBydelsnr>{world.sending_bydel}</iiBydelsnr>\n",
        f"    <iiFraDato>{date8(world.year_start)}</iiFraDato>\n",
        f"    <iiTilDato>{date8(world.year_end)}</iiTilDato>\n",
        f"    <iiLagetDato>{date8(created_date(world))}</iiLagetDato>\n",
        f"    <iiLopenr>{world.spec.running_number}</iiLopenr>\n",
        hooks.header_extra(DocumentKind.IDENTITY, document, "IdentMelding"),
        "  </INNHINFO>\n",
    ))


def render_identity(row: IdentityRow) -> str:
    """One PasientIdent element."""
    ident = row.identity
    values = {"fid": ident.national_id, "typeID": str(ident.id_type)}
    if row.overrides:
        values.update(row.overrides)
    body = "".join(f"    <{name}>{text}</{name}>\n" for name, text in values.items())
    return (f'  <PasientIdent pePeID="{ident.key}">\n{body}{row.extra or ""}'
            "  </PasientIdent>\n")


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
        row = IdentityRow(identity)
        self.hooks.identity(row, self.document)
        text = render_identity(row)
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
