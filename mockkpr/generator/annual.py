"""Writing the annual IPLOS file (``KPR_IPL``, 2018 or 2019 format) as a stream of bytes.

This module writes the header and, for a person a defect changed, the PERSON from its
:class:`~mockkpr.generator.rows.Person` (the slow path);
:mod:`mockkpr.generator.render_block` writes everything else from a block's columns and hands
the document out one block at a time, so memory stays flat whatever the number of persons.
Element order follows the schemas in :mod:`mockkpr.iplos.schemas`. Every value that is not
produced by the generator from digits (names, phone numbers, e-mail addresses, injected defect
values) goes through :func:`xml.sax.saxutils.escape`; numbers and dates are written from ints.
A test checks each generated document against the schema as a whole with lxml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape

from mockkpr import __version__
from mockkpr.generator.contacts import Contact
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.model import World
from mockkpr.generator.rows import Editable, Person, Service, date8, hours_text
from mockkpr.iplos.formats import NS_2018, NS_2019, DocumentKind, Generation

SYSTEM_ID = "MOCKKPR"
"""``iiSysID``: the "EPJ system" that made the file."""

_VERSION = {Generation.ANNUAL_2018: "3.5", Generation.ANNUAL_2019: "3.7"}
_NAMESPACE = {Generation.ANNUAL_2018: NS_2018, Generation.ANNUAL_2019: NS_2019}


def created_date(world: World) -> int:
    """``iiLagetDato``: a working day early in January after the year, from the seed (never
    the clock, so that output is reproducible)."""
    return world.year_end + 2 + world.spec.seed % 12


def _leaves(pairs: Iterable[tuple[str, str | None]], row: Editable, indent: str) -> str:
    overrides = row.overrides
    out = []
    for name, text in pairs:
        if overrides is not None and name in overrides:
            text = overrides[name]
        if text is not None:
            out.append(f"{indent}<{name}>{text}</{name}>\n")
    if row.extra:
        out.append(row.extra)
    return "".join(out)


def _start(tag: str, attributes: Iterable[tuple[str, str | None]], row: Editable,
           indent: str) -> str:
    """A row's start tag with its attributes (``@name`` overrides apply)."""
    overrides = row.overrides or {}
    parts = []
    for name, text in attributes:
        text = overrides.get(f"@{name}", text)
        if text is not None:
            parts.append(f' {name}="{text}"')
    return f"{indent}<{tag}{''.join(parts)}>\n"


def _edited_row(tag: str, attributes: Iterable[tuple[str, str | None]],
                pairs: Iterable[tuple[str, str | None]], row: Editable) -> str:
    """A child row a defect changed (the slow path): overrides, extra markup, written twice."""
    text = (f"{_start(tag, attributes, row, '    ')}{_leaves(pairs, row, '      ')}"
            f"    </{tag}>\n")
    return text * 2 if row.twice else text


def _score_lines(variable: int, score: str) -> str:
    return (f"      <fnFunkType>{variable}</fnFunkType>\n"
            f"      <fnFunkVerdi>{escape(score)}</fnFunkVerdi>\n")


_SCORE_LINES = {(variable, score): _score_lines(variable, score)
                for variable in range(1, 19) for score in ("1", "2", "3", "4", "5", "9")}


def _d(ordinal: int | None) -> str | None:
    return None if ordinal is None else date8(ordinal)


def header(world: World, contacts: list[Contact], hooks: Hooks, document: str) -> str:
    """The XML declaration, the root start tag and INNHINFO."""
    generation = world.spec.generation
    edits = hooks.header(DocumentKind.IPLOS, document)
    namespace = edits.namespace or _NAMESPACE[generation]
    version = edits.root.get("versjon", _VERSION[generation])
    root = f' versjon="{escape(version)}"' if version is not None else ""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        edits.prolog,
        f'<IPLOS xmlns="{namespace}"{root}>\n',
        "  <INNHINFO>\n",
    ]
    fields = edits.fields
    put = _header_field_writer(parts, fields)
    put("iiInnhType", "P")
    put("iiKomnr", world.kommune)
    put("iiBydelsnr", world.sending_bydel)
    for n, contact in enumerate(contacts):
        values = (("Type", str(contact.type)), ("Navn", contact.name),
                  ("Telefon", contact.phone), ("Epost", contact.email))
        inner = "".join(f"<{name}>{escape(text)}</{name}>" for name, text in
                        ((name, edits.contacts.get((n, name), text)) for name, text in values)
                        if text is not None)
        parts.append(f"    <iiKontakt>{inner}</iiKontakt>\n")
    put("iiFraDato", date8(world.year_start))
    put("iiTilDato", date8(world.year_end))
    put("iiLagetDato", date8(created_date(world)))
    put("iiSysID", SYSTEM_ID)
    put("iiSysVersjon", __version__[:15])
    put("iiLopenr", str(world.spec.running_number))
    parts += [edits.extra, "  </INNHINFO>\n"]
    return "".join(parts)


def _header_field_writer(parts: list[str], fields: dict[str, str | None]
                         ) -> Callable[[str, str], None]:
    """``put(name, text)`` appends one INNHINFO leaf, as a defect may have changed it."""

    def put(name: str, text: str) -> None:
        value = fields.get(name, text)
        if value is not None:
            parts.append(f"    <{name}>{escape(value)}</{name}>\n")

    return put


def _service_fields(tj: Service) -> tuple[tuple[str, str | None], ...]:
    return (
        ("tjTjenType", str(tj.type)),
        ("tjSoknadDato", _d(tj.applied)),
        ("tjVedtDato", _d(tj.decided)),
        ("tjVedtak", None if tj.decision is None else str(tj.decision)),
        ("tjTimerUke", None if tj.hours is None else hours_text(tj.hours)),
        ("tjResTimerUke", None if tj.two_staff_hours is None
         else hours_text(tj.two_staff_hours)),
        ("tjRullerende", None if tj.rolling is None else str(tj.rolling)),
        ("tjInstOrgnr", tj.orgnr),
        ("tjFraDato", _d(tj.start)),
        ("tjTilDato", _d(tj.end)),
        ("tjKlageMottatt", _d(tj.appeal_received)),
        ("tjKlageBesvart", _d(tj.appeal_answered)),
    )


def _service(key: int, tj: Service) -> str:
    """One TJENESTE; the common case without defects is built directly (hot path)."""
    series = (f' tjVeID="{tj.series}" tjVeNrID="{tj.series_no}"'
              if tj.series is not None else "")
    if tj.edited:
        return _edited_row("TJENESTE", (
            ("tjPeID", str(key)), ("tjTjID", str(tj.row_id)),
            ("tjVeID", None if tj.series is None else str(tj.series)),
            ("tjVeNrID", None if tj.series_no is None else str(tj.series_no))),
            _service_fields(tj), tj)
    start = f'    <TJENESTE tjPeID="{key}" tjTjID="{tj.row_id}"{series}>\n'
    out = [start, f"      <tjTjenType>{tj.type}</tjTjenType>\n"]
    if tj.applied is not None:
        out.append(f"      <tjSoknadDato>{date8(tj.applied)}</tjSoknadDato>\n")
    if tj.decided is not None:
        out.append(f"      <tjVedtDato>{date8(tj.decided)}</tjVedtDato>\n")
    if tj.decision is not None:
        out.append(f"      <tjVedtak>{tj.decision}</tjVedtak>\n")
    if tj.hours is not None:
        out.append(f"      <tjTimerUke>{hours_text(tj.hours)}</tjTimerUke>\n")
    if tj.two_staff_hours is not None:
        out.append(f"      <tjResTimerUke>{hours_text(tj.two_staff_hours)}</tjResTimerUke>\n")
    if tj.rolling is not None:
        out.append(f"      <tjRullerende>{tj.rolling}</tjRullerende>\n")
    if tj.orgnr is not None:
        out.append(f"      <tjInstOrgnr>{tj.orgnr}</tjInstOrgnr>\n")
    if tj.start is not None:
        out.append(f"      <tjFraDato>{date8(tj.start)}</tjFraDato>\n")
    if tj.end is not None:
        out.append(f"      <tjTilDato>{date8(tj.end)}</tjTilDato>\n")
    if tj.appeal_received is not None:
        out.append(f"      <tjKlageMottatt>{date8(tj.appeal_received)}</tjKlageMottatt>\n")
    if tj.appeal_answered is not None:
        out.append(f"      <tjKlageBesvart>{date8(tj.appeal_answered)}</tjKlageBesvart>\n")
    out.append("    </TJENESTE>\n")
    return "".join(out)


def _assessments(person: Person) -> str:
    key = person.identity.key
    head = f'    <FUNKSJON fnPeID="{key}" fnFnID="'
    tail = (f"      <fnFraDato>{date8(person.assessed_from)}</fnFraDato>\n"
            f"      <fnTilDato>{date8(person.assessed_to)}</fnTilDato>\n"
            "    </FUNKSJON>\n")
    lines = _SCORE_LINES
    out = []
    for fn in person.assessments:
        if isinstance(fn, tuple):
            middle = lines.get((fn[1], fn[2])) or _score_lines(fn[1], fn[2])
            out.append(f'{head}{fn[0]}">\n{middle}{tail}')
            continue
        out.append(_edited_row(
            "FUNKSJON", (("fnPeID", str(key)), ("fnFnID", str(fn.row_id))),
            (("fnFunkType", str(fn.variable)), ("fnFunkVerdi", escape(fn.score)),
             ("fnFraDato", date8(fn.start)), ("fnTilDato", date8(fn.end))), fn))
    return "".join(out)


def render_person(person: Person) -> str:
    """One PERSON element with its rows, indented like the fixtures."""
    if person.skip:
        return ""
    ident = person.identity
    key = ident.key
    if person.overrides is None and person.extra is None:
        death = (f"    <peDodDato>{date8(person.death)}</peDodDato>\n"
                 if person.death is not None else "")
        out = [f'  <PERSON pePeID="{key}">\n'
               f"    <peAlder>{ident.age}</peAlder>\n"
               f"    <peKjonn>{ident.gender.value}</peKjonn>\n"
               f"    <peKomnr>{person.home_kommune}</peKomnr>\n"
               f"    <peBydelsnr>{person.bydel}</peBydelsnr>\n"
               f"    <peFraDato>{date8(person.first_date)}</peFraDato>\n"
               f"{death}"
               f"    <peEndrDato>{date8(person.changed)}</peEndrDato>\n"]
    else:
        out = [_start("PERSON", (("pePeID", str(key)),), person, "  "), _leaves((
            ("peAlder", str(ident.age)),
            ("peKjonn", ident.gender.value),
            ("peKomnr", person.home_kommune),
            ("peBydelsnr", person.bydel),
            ("peFraDato", date8(person.first_date)),
            ("peDodDato", _d(person.death)),
            ("peEndrDato", date8(person.changed)),
        ), person, "    ")]
    for po in person.situations:
        if po.edited:
            out.append(_edited_row("PERSONOPPL", (("poPeID", str(key)),
                                                  ("poPoID", str(po.row_id))), po.values, po))
            continue
        out.append(f'    <PERSONOPPL poPeID="{key}" poPoID="{po.row_id}">\n')
        out.append(_leaves(po.values, po, "      "))
        out.append("    </PERSONOPPL>\n")
    if person.assessments:
        out.append(_assessments(person))
    for tj in person.services:
        out.append(_service(key, tj))
    for di in person.diagnoses:
        leaves: tuple[tuple[str, str | None], ...] = (
            ("diKodeVersjon", di.system), ("diDiagKode", di.code),
            ("diFraDato", date8(di.start)), ("diTilDato", date8(di.end)))
        if di.edited:
            out.append(_edited_row("DIAGNOSE", (("diPeID", str(key)),
                                                ("diDiID", str(di.row_id))), leaves, di))
            continue
        out.append(f'    <DIAGNOSE diPeID="{key}" diDiID="{di.row_id}">\n')
        out.append(_leaves(leaves, di, "      "))
        out.append("    </DIAGNOSE>\n")
    for dg in person.round_the_clock:
        leaves = (("dgInstOrgnr", dg.orgnr), ("dgFraDato", date8(dg.start)),
                  ("dgTilDato", date8(dg.end)))
        if dg.edited:
            out.append(_edited_row("DOGNTILBUD", (("dgPeID", str(key)),
                                                  ("dgDgID", str(dg.row_id))), leaves, dg))
            continue
        out.append(f'    <DOGNTILBUD dgPeID="{key}" dgDgID="{dg.row_id}">\n')
        out.append(_leaves(leaves, dg, "      "))
        out.append("    </DOGNTILBUD>\n")
    out.append("  </PERSON>\n")
    text = "".join(out)
    if person.twice:
        text *= 2
    if person.after:
        text += person.after
    return text
