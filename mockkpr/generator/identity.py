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


def identity_chunks(world: World, identities: Iterable[Identity], hooks: Hooks,
                    document: str) -> Iterator[bytes]:
    """The whole KPR_IDE document as UTF-8 chunks."""
    buffer = [identity_header(world, hooks, document)]
    size = 0
    for identity in identities:
        row = IdentityRow(identity)
        hooks.identity(row, document)
        text = render_identity(row)
        buffer.append(text)
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(buffer).encode()
            buffer.clear()
            size = 0
    buffer.append("</IdentMelding>\n")
    yield "".join(buffer).encode()
