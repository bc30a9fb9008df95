"""Writing the identity message (``KPR_IDE``) that pairs with an annual IPLOS file.

It holds one ``PasientIdent`` per PERSON, joined on ``pePeID``: the synthetic national id
(``fid``) and its id type (9032: 1 fødselsnummer, 2 D-number). This module writes the header
and a row a defect changed; :mod:`mockkpr.generator.render_block` writes the rows of a block.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from mockkpr.generator.annual import created_date
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
