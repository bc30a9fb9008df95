"""Rules on PERSONOPPL, FUNKSJON, DIAGNOSE and DOGNTILBUD rows of the annual formats.

iplos-format.md §4: ``po*`` coded fields in their code lists (7), ``fnFunkType`` in 9111 (9),
``fnFunkVerdi`` on the variable's scale (7), ``dgInstOrgnr`` format (9). The diagnosis checks
and the ``YYYYMM`` assessment months are "format" checks the reference implies (9). Row ids
and dates are in :mod:`annual_ids` and :mod:`annual_dates`.
"""

from __future__ import annotations

import re

from mockkpr.iplos.findings import Consequence
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rows import Row
from mockkpr.iplos.rules.annual_common import SHORT, orgnr_problem, xs_integer
from mockkpr.iplos.rules.registry import Context, Violation, rule
from mockkpr.refdata.codelists import (
    COORDINATOR,
    FUNCTIONAL_SCORE,
    FUNCTIONAL_VARIABLE,
    HOUSEHOLD,
    INDIVIDUAL_PLAN,
    NEED,
    PRIVATE_HELP,
    RECEIVES_ASSISTANCE,
    RECEIVES_TRANSPORT,
    YES_NO,
    CodeList,
    scale_for_variable,
)

_REPORT = Consequence.REPORT_ONLY
_NULL = Consequence.SET_NULL

# ----------------------------------------------------------------------------- PERSONOPPL

# Each coded po* field and its list. iplos-format.md §3 names 9335, 9168, 9336, 9188, 1110,
# 9338 and 9340 for the living-situation fields; the rest are yes/no questions, for which the
# annual format uses 1101 (1 yes, 2 no): poOmsorgBarn (cares for children), poBoligTilr
# (adapted housing), poLegeMiddGj (medication review), poErnKartlagt/-Risiko/-Plan (nutrition
# assessed / at risk / plan), and 2019's poVenteliste (on a waiting list), poHeldg
# (round-the-clock need) and poHab (habilitation/rehabilitation).
PO_CODES_2018: dict[str, CodeList] = {
    "poHusstand": HOUSEHOLD,
    "poOmsorgBarn": YES_NO,
    "poPrivHjelp": PRIVATE_HELP,
    "poBoligTilr": YES_NO,
    "poIndPlan": INDIVIDUAL_PLAN,
    "poHarKoordinator": COORDINATOR,
    "poArbBistBehov": NEED,
    "poArbBistMottar": RECEIVES_ASSISTANCE,
    "poArbTranspBehov": NEED,
    "poArbTranspMottar": RECEIVES_TRANSPORT,
    "poFriBistBehov": NEED,
    "poFriBistMottar": RECEIVES_ASSISTANCE,
    "poFriTranspBehov": NEED,
    "poFriTranspMottar": RECEIVES_TRANSPORT,
    "poLegeMiddGj": YES_NO,
    "poErnKartlagt": YES_NO,
    "poErnRisiko": YES_NO,
    "poErnPlan": YES_NO,
}
PO_CODES_2019: dict[str, CodeList] = {
    **PO_CODES_2018, "poVenteliste": YES_NO, "poHeldg": YES_NO, "poHab": YES_NO,
}
_PO_CODES = {
    generation: {name: (codes, frozenset(codes.codes)) for name, codes in lists.items()}
    for generation, lists in ((Generation.ANNUAL_2018, PO_CODES_2018),
                              (Generation.ANNUAL_2019, PO_CODES_2019))
}
_PO_LISTS = ", ".join(f"{name} {cl.number}" for name, cl in PO_CODES_2019.items())


@rule(
    "PO-CODE", scope="PERSONOPPL", consequence=_NULL,
    requirement="iplos-format.md §3, §4: po* coded fields in their code lists (7): "
                f"{_PO_LISTS} (the 1101 fields are a reasoned choice: yes/no questions)",
    no="Feltet har en kode som ikke finnes i kodeverket for feltet.",
    en="The field has a code that is not in the field's code list.",
    xsd_fields=tuple(PO_CODES_2019),
)
def personal_codes(row: Row, ctx: Context) -> list[Violation] | None:
    assert ctx.generation is not None
    lists = _PO_CODES[ctx.generation]
    found: list[Violation] | None = None
    for name, value in row.fields.items():
        known = lists.get(name)
        if known is not None and value not in known[1]:
            found = found or []
            found.append(Violation(name, value, known[0].expected(ctx.year)))
    return found


@rule(
    "PO-VURD-FORMAT", scope="PERSONOPPL", consequence=_REPORT,
    requirement="iplos-format.md §1: poVurdTann/poVurdLege YYYYMM when assessed within the "
                "last 12 months; decision: a month of the reporting year (the 12 months up to "
                "iiTilDato), reported only (9)",
    no="Vurdert tannhelse/legetilsyn (poVurdTann/poVurdLege) må være ÅÅÅÅMM i "
       "rapporteringsåret.",
    en="The assessment month (poVurdTann/poVurdLege) must be YYYYMM in the reporting year.",
    xsd_fields=("poVurdTann", "poVurdLege"),
)
def assessment_month(row: Row, ctx: Context) -> list[Violation] | None:
    found: list[Violation] | None = None
    for name in ("poVurdTann", "poVurdLege"):
        value = row.fields.get(name)
        if value is None:
            continue
        if (len(value) == 6 and value.isdigit() and value.isascii()
                and int(value[:4]) == ctx.year and 1 <= int(value[4:]) <= 12):
            continue
        found = found or []
        found.append(Violation(name, value, f"YYYYMM from {ctx.year}01 to {ctx.year}12"))
    return found


# ----------------------------------------------------------------------------- FUNKSJON

_SCORES = frozenset(FUNCTIONAL_SCORE.codes)
_SCALES: dict[str, tuple[CodeList, frozenset[str]]] = {
    variable: (scale, frozenset(scale.codes))
    for variable in FUNCTIONAL_VARIABLE.codes
    for scale in (scale_for_variable(variable),)
}


@rule(
    "FN-FUNKTYPE", scope="FUNKSJON", consequence=_REPORT,
    requirement="iplos-format.md §3, §4: fnFunkType in 9111 (9); required (schema, xs:short)",
    no="Funksjonsvariabelen (fnFunkType) mangler eller er ikke i kodeverk 9111.",
    en="The functional variable (fnFunkType) is missing or not in code list 9111.",
    xsd_fields=("fnFunkType",),
)
def functional_variable(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("fnFunkType")
    if value is None or value in FUNCTIONAL_VARIABLE.codes or xs_integer(value, SHORT) is None:
        return None
    return [Violation("fnFunkType", value, FUNCTIONAL_VARIABLE.expected(ctx.year))]


@rule(
    "FN-FUNKVERDI", scope="FUNKSJON", consequence=_NULL,
    requirement="iplos-format.md §3, §4: fnFunkVerdi on the variable's scale (7): 9166 for 13 "
                "Syn, 9167 for 14 Hørsel, 9165 for the others (all three hold 1-5 and 9); "
                "required (schema)",
    no="Funksjonsverdien (fnFunkVerdi) mangler eller er ikke på skalaen for variabelen.",
    en="The score (fnFunkVerdi) is missing or not on the variable's scale.",
    xsd_fields=("fnFunkVerdi",),
)
def functional_score(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("fnFunkVerdi")
    if value is None:
        return None
    variable = row.fields.get("fnFunkType")
    known = _SCALES.get(variable) if variable is not None else None
    if known is not None:
        scale, codes = known
        if value in codes:
            return None
        return [Violation("fnFunkVerdi", value, scale.expected(ctx.year))]
    if value in _SCORES:
        return None
    return [Violation("fnFunkVerdi", value, "1, 2, 3, 4, 5 or 9 (9165, 9166, 9167)")]


# ----------------------------------------------------------------------------- DIAGNOSE

# Code shapes per code system. ICPC-2: a chapter letter (no C, E, G, I, J, M, O, Q, V) and two
# digits, e.g. T90; ICD-10: a letter, two digits and up to two more, with or without the point,
# e.g. F03, I63.9, I639. The reference gives the systems as free text ("ICPC-2", "ICD-10").
CODE_SHAPES: dict[str, re.Pattern[str]] = {
    "ICPC-2": re.compile(r"[ABDFHKLNPRSTUWXYZ][0-9]{2}"),
    "ICD-10": re.compile(r"[A-Z][0-9]{2}(\.?[0-9]{1,2})?"),
}


@rule(
    "DI-KODEVERSJON", scope="DIAGNOSE", consequence=_REPORT,
    requirement="iplos-format.md §1, §3: diKodeVersjon names the code system, ICPC-2 or ICD-10 "
                "(free text; decision: exactly these spellings, reported only)",
    no="Kodeverket (diKodeVersjon) må være ICPC-2 eller ICD-10.",
    en="The code system (diKodeVersjon) must be ICPC-2 or ICD-10.",
    xsd_fields=("diKodeVersjon",),
)
def code_system(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("diKodeVersjon")
    if value is None or value in CODE_SHAPES:
        return None
    return [Violation("diKodeVersjon", value, "ICPC-2 or ICD-10")]


@rule(
    "DI-DIAGKODE", scope="DIAGNOSE", consequence=_REPORT,
    requirement="iplos-format.md §1: diDiagKode, a code of the system in diKodeVersjon; "
                "decision: its shape (ICPC-2 like T90, ICD-10 like F03, I63.9 or I639), "
                "reported only; not judged when the system is unknown (DI-KODEVERSJON)",
    no="Diagnosekoden (diDiagKode) har ikke formen til en kode i kodeverket.",
    en="The diagnosis code (diDiagKode) does not have the shape of a code of its system.",
    xsd_fields=("diDiagKode",),
)
def diagnosis_code(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("diDiagKode")
    system = row.fields.get("diKodeVersjon")
    if value is None or system not in CODE_SHAPES:
        return None
    if CODE_SHAPES[system].fullmatch(value):
        return None
    example = "T90" if system == "ICPC-2" else "F03, I63.9"
    return [Violation("diDiagKode", value, f"an {system} code like {example}")]


# ----------------------------------------------------------------------------- DOGNTILBUD


@rule(
    "DG-INSTORGNR-FORMAT", scope="DOGNTILBUD", consequence=_REPORT,
    requirement="iplos-format.md §4, §5: dgInstOrgnr format \\d{9}0? and the orgnr check digit",
    no="Organisasjonsnummeret (dgInstOrgnr) er ikke et gyldig organisasjonsnummer.",
    en="The organisation number (dgInstOrgnr) is not a valid organisation number.",
    xsd_fields=("dgInstOrgnr",),
)
def offer_orgnr(row: Row, ctx: Context) -> list[Violation] | None:
    value = row.fields.get("dgInstOrgnr")
    if value is None:
        return None
    problem = orgnr_problem(value)
    if problem is None:
        return None
    return [Violation("dgInstOrgnr", value, f"an organisation number \\d{{9}}0? ({problem})")]


@rule(
    "DG-INSTORGNR-REQUIRED", scope="DOGNTILBUD", consequence=_REPORT,
    generations=frozenset({Generation.ANNUAL_2018}),
    requirement="iplos-format.md §4: 2018 marks dgInstOrgnr required (9); the 2018 schema "
                "keeps it optional so that this rule, not the schema, reports it",
    no="Organisasjonsnummer (dgInstOrgnr) mangler.",
    en="The organisation number (dgInstOrgnr) is missing.",
)
def offer_orgnr_required(row: Row, ctx: Context) -> list[Violation] | None:
    if "dgInstOrgnr" in row.fields:
        return None
    return [Violation("dgInstOrgnr", None, "dgInstOrgnr (required in the 2018 format)")]
