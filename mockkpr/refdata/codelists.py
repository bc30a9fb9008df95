"""The Volven code lists IPLOS uses, as data, with per-year validity where it changed.

Each list is a :class:`CodeList` (Volven number, OID ``2.16.578.1.12.4.1.1.<number>``, name and
codes). Codes are strings as they appear in a document (``"15"``, ``"M"``); ints are accepted
and turned into strings, but ``"015"`` is not ``"15"``. Texts are Norwegian, as in the code
lists; ``SOURCES.md`` beside this module says where each text and each validity year comes from
and which years are assumptions.

A code is *valid in year Y* when it is in force for reporting year Y (judged as of 1 January Y,
like kommune numbers). Validity intervals are open-ended, so a year after 2025 keeps the codes
in force in 2025.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType

VOLVEN_OID_PREFIX = "2.16.578.1.12.4.1.1."


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a list: its value, its current text and the years it is in force.

    ``first_year``/``last_year`` are inclusive reporting years; None means "before mockkpr's
    horizon (2017)" and "still in force". ``earlier_texts`` holds ``(last year, text)`` pairs,
    oldest first, for codes whose text changed.
    """

    value: str
    text: str
    first_year: int | None = None
    last_year: int | None = None
    earlier_texts: tuple[tuple[int, str], ...] = ()

    def valid_in(self, year: int) -> bool:
        """True when the code is in force in reporting year ``year``."""
        return ((self.first_year is None or year >= self.first_year)
                and (self.last_year is None or year <= self.last_year))

    def text_in(self, year: int) -> str:
        """The code's text as it read in ``year``."""
        for until, text in self.earlier_texts:
            if year <= until:
                return text
        return self.text


class CodeList:
    """A Volven code list: ``number``, ``name``, ``oid`` and its codes in list order.

    ``codes`` maps every code the list has ever had to its current text; iterating yields the
    :class:`Code` entries with their validity years.
    """

    __slots__ = ("_entries", "codes", "name", "number")

    def __init__(self, number: int, name: str, codes: Iterable[Code]) -> None:
        self.number = number
        self.name = name
        entries: dict[str, Code] = {}
        for code in codes:
            if code.value in entries:
                raise ValueError(f"code list {number}: code {code.value} defined twice")
            entries[code.value] = code
        self._entries: Mapping[str, Code] = MappingProxyType(entries)
        self.codes: Mapping[str, str] = MappingProxyType(
            {value: code.text for value, code in entries.items()}
        )

    @property
    def oid(self) -> str:
        """The Volven OID, ``2.16.578.1.12.4.1.1.<number>``."""
        return f"{VOLVEN_OID_PREFIX}{self.number}"

    def __repr__(self) -> str:
        return f"CodeList({self.number}, {self.name!r}, {len(self)} codes)"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Code]:
        return iter(self._entries.values())

    def __contains__(self, code: object) -> bool:
        """True when the list has (or had) ``code`` in any year."""
        return isinstance(code, str | int) and str(code) in self._entries

    def get(self, code: str | int) -> Code | None:
        """The :class:`Code` for ``code``, or None when the list never had it."""
        return self._entries.get(str(code))

    def valid(self, code: str | int, year: int) -> bool:
        """True when ``code`` is in the list and in force in reporting year ``year``."""
        entry = self.get(code)
        return entry is not None and entry.valid_in(year)

    def text(self, code: str | int, year: int | None = None) -> str | None:
        """The text of ``code`` (as it read in ``year`` when given), or None when unknown."""
        entry = self.get(code)
        if entry is None:
            return None
        return entry.text if year is None else entry.text_in(year)

    def codes_in(self, year: int) -> tuple[str, ...]:
        """The codes in force in ``year``, in list order."""
        return tuple(code.value for code in self if code.valid_in(year))

    def expected(self, year: int) -> str:
        """A short description of the valid values for a finding's "expected" field."""
        return f"code list {self.number} ({self.name}) in {year}: {', '.join(self.codes_in(year))}"


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(value, text) for value, text in pairs)


SERVICE_TYPE = CodeList(9151, "IPLOS tjenestetype", (
    Code("1", "Praktisk bistand: daglige gjøremål"),
    Code("2", "Praktisk bistand: opplæring i daglige gjøremål"),
    Code("3", "Praktisk bistand: brukerstyrt personlig assistanse (BPA)"),
    Code("4", "Dagaktivitetstilbud"),
    Code("5", "Matombringing"),
    Code("6", "Trygghetsalarm", last_year=2020),
    Code("7", "Avlastning utenfor institusjon"),
    Code("8", "Avlastning i institusjon"),
    Code("9", "Støttekontakt"),
    Code("11", "Omsorgsstønad", earlier_texts=((2018, "Omsorgslønn"),)),
    Code("12", "Omsorgsbolig", last_year=2018),
    Code("13", "Annen bolig", last_year=2018),
    Code("14", "Tvang: planlagte tiltak", last_year=2020),
    Code("15", "Helsetjenester i hjemmet (hjemmesykepleie)"),
    Code("16", "Re-/habilitering utenfor institusjon", last_year=2018),
    Code("17", "Dagopphold i institusjon"),
    Code("18", "Tidsbegrenset opphold: utredning/behandling"),
    Code("19", "Tidsbegrenset opphold: habilitering/rehabilitering"),
    Code("20", "Tidsbegrenset opphold: annet"),
    Code("21", "Langtidsopphold i institusjon"),
    Code("22", "Nattopphold i institusjon"),
    Code("23", "Tvang: skadeavvergende tiltak i nødssituasjoner", last_year=2020),
    Code("24", "Helsehjelp med tvang", last_year=2020),
    Code("25", "Kommunal øyeblikkelig hjelp døgnopphold"),
    Code("26", "Varslings- og lokaliseringsteknologi (GPS)", last_year=2020),
    Code("27", "Elektronisk medisineringsstøtte", first_year=2019, last_year=2020),
    Code("28", "Digitalt tilsyn", first_year=2019, last_year=2020),
    Code("29", "Bolig som kommunen disponerer for helse- og omsorgsformål", first_year=2019),
))

FUNCTIONAL_VARIABLE = CodeList(9111, "IPLOS funksjonsvariabel", _codes(
    ("1", "Sosial deltakelse"), ("2", "Skaffe seg varer og tjenester"),
    ("3", "Beslutninger i dagliglivet"), ("4", "Ivareta egen helse"),
    ("5", "Bevege seg innendørs"), ("6", "Alminnelig husarbeid"), ("7", "Personlig hygiene"),
    ("8", "På- og avkledning"), ("9", "Lage mat"), ("10", "Spise"), ("11", "Toalett"),
    ("12", "Bevege seg utendørs"), ("13", "Syn"), ("14", "Hørsel"), ("15", "Hukommelse"),
    ("16", "Kommunikasjon"), ("17", "Styre atferd"), ("18", "Ivareta egen økonomi"),
))

FUNCTIONAL_SCORE = CodeList(9165, "Funksjonsverdi", _codes(
    ("1", "Utgjør ingen problem/utfordring"),
    ("2", "Ikke behov for bistand/assistanse/helsehjelp"),
    ("3", "Middels behov for bistand/assistanse/helsehjelp"),
    ("4", "Store behov for bistand/assistanse/helsehjelp"),
    ("5", "Fullt bistands-/assistansebehov/helsehjelp"),
    ("9", "Ikke relevant"),
))

VISION_SCORE = CodeList(9166, "Funksjonsverdi syn", _codes(
    ("1", "Godt/ingen problemer"), ("2", "Noe redusert"), ("3", "Dårlig"),
    ("4", "Svært dårlig"), ("5", "Blind"), ("9", "Ikke relevant"),
))

HEARING_SCORE = CodeList(9167, "Funksjonsverdi hørsel", _codes(
    ("1", "Godt/ingen problemer"), ("2", "Noe redusert"), ("3", "Dårlig"),
    ("4", "Svært dårlig"), ("5", "Døv"), ("9", "Ikke relevant"),
))

MESSAGE_TYPE = CodeList(7371, "Meldingstype", _codes(
    ("B", "Satsvis melding"), ("K", "Melding for kontinuerlige oppdateringer"),
    ("E", "Endringsmelding"),
))

NOTIFICATION_STATUS = CodeList(7316, "Status notifikasjon", _codes(
    ("N", "Original"), ("M", "KorrigerErstatt"), ("T", "KorrigerSuppler"),
    ("C", "KorrigerAnnuller"),
))

CONTACT_TYPE = CodeList(8471, "Kontaktperson type", _codes(
    ("1", "Teknisk produksjon"), ("2", "Somatisk spesialisthelsetjeneste"),
    ("3", "Psykisk helsevern voksne"), ("4", "Barne og ungdomspsykiatri"),
    ("5", "Tverrfaglig spesialisert rusbehandling"), ("6", "Personskadestatistikk"),
    ("7", "Ventelistestatistikk"), ("8", "Ident-meldingen"), ("9", "RESH"),
    ("10", "Radiologi"), ("11", "Stråleterapi"), ("12", "Pakkeforløp kreft"),
    ("13", "Vedtak etter psykisk helsevernloven"), ("14", "Organisasjonsoppsett i EPJ"),
    ("15", "EPJ-leverandør/meldingsvalidering"), ("16", "IPLOS kontaktperson"),
    ("17", "IPLOS innsendingsansvarlig"), ("18", "Helsestasjons- og skolehelsetjeneste"),
    ("19", "Kostnad per pasient (KPP)"),
))

ID_TYPE = CodeList(9032, "Type personidentifikasjon", _codes(
    ("1", "Norsk fødselsnummer"), ("2", "D-nummer"), ("3", "H-nummer"), ("4", "Passnummer"),
    ("5", "Svensk personnummer"), ("6", "Dansk personnummer"), ("7", "Sosial security number"),
    ("8", "Forsikringspolise nummer"), ("9", "Annet"), ("10", "DUF-nummer"),
    ("12", "Felles hjelpenummer (FH-nummer)"),
))

GENDER = CodeList(3100, "Kjønn", _codes(("M", "Mann"), ("K", "Kvinne")))

DECISION = CodeList(9171, "Vedtak", _codes(("1", "Avslag"), ("2", "Innvilget")))

YES_NO = CodeList(1101, "Ja, nei", _codes(("1", "Ja"), ("2", "Nei")))

NEED = CodeList(1110, "Behov", _codes(("1", "Ja"), ("2", "Nei"), ("9", "Ikke relevant")))

HOUSEHOLD = CodeList(9335, "Husstand", _codes(
    ("1", "Bor alene"), ("2", "Bor sammen med andre"), ("3", "Bor sammen med foreldre"),
))

PRIVATE_HELP = CodeList(9168, "Grad av mottatt privat hjelp", _codes(
    ("1", "Ja, inntil 3 timer/uke"), ("2", "Ja, 3 inntil 9 timer/uke"),
    ("3", "Ja, 9 inntil 15 timer/uke"), ("4", "Ja, 15 timer/uke eller mer"),
    ("5", "Ja, ukjent omfang"), ("6", "Nei"),
))

INDIVIDUAL_PLAN = CodeList(9336, "Individuell plan", _codes(
    ("1", "Ja, virksom plan"), ("2", "Nei, individuell plan er ikke utarbeidet"),
    ("3", "Nei, ønsker ikke individuell plan"),
    ("4", "Nei, oppfyller ikke retten til individuell plan"),
))

COORDINATOR = CodeList(9188, "Koordinator individuell plan", _codes(
    ("1", "Ja, oppnevnt koordinator"), ("2", "Nei, koordinator er ikke oppnevnt"),
    ("3", "Nei, ønsker ikke koordinator"), ("4", "Nei, oppfyller ikke retten til koordinator"),
))

RECEIVES_ASSISTANCE = CodeList(9338, "Mottar bistand", _codes(
    ("1", "Ja, mottar bistand"), ("2", "Ja, mottar bistand, men udekket behov"),
    ("3", "Nei, mottar ikke bistand"),
))

RECEIVES_TRANSPORT = CodeList(9340, "Mottar transport", _codes(
    ("1", "Ja, mottar transport"), ("2", "Ja, mottar transport, men udekket behov"),
    ("3", "Nei, mottar ikke transport"),
))

CODE_LISTS: Mapping[int, CodeList] = MappingProxyType({
    cl.number: cl for cl in (
        SERVICE_TYPE, FUNCTIONAL_VARIABLE, FUNCTIONAL_SCORE, VISION_SCORE, HEARING_SCORE,
        MESSAGE_TYPE, NOTIFICATION_STATUS, CONTACT_TYPE, ID_TYPE, GENDER, DECISION, YES_NO,
        NEED, HOUSEHOLD, PRIVATE_HELP, INDIVIDUAL_PLAN, COORDINATOR, RECEIVES_ASSISTANCE,
        RECEIVES_TRANSPORT,
    )
})
"""Every list by its Volven number."""


def by_number(number: int) -> CodeList:
    """The code list with Volven number ``number``; KeyError names the numbers known."""
    try:
        return CODE_LISTS[number]
    except KeyError:
        raise KeyError(f"no code list {number}; known: {sorted(CODE_LISTS)}") from None


def scale_for_variable(fn_type: int | str) -> CodeList:
    """The score list for functional variable ``fn_type`` (9111): 13 Syn -> 9166,
    14 Hørsel -> 9167, every other variable -> 9165.

    Raises KeyError when ``fn_type`` is not a 9111 code: check ``fnFunkType`` first.
    """
    value = str(fn_type)
    if value not in FUNCTIONAL_VARIABLE:
        raise KeyError(f"{value!r} is not a functional variable (9111)")
    return {"13": VISION_SCORE, "14": HEARING_SCORE}.get(value, FUNCTIONAL_SCORE)


class ServiceType(IntEnum):
    """9151 IPLOS tjenestetype; values as in the code list (there is no 10)."""

    PRACTICAL_ASSISTANCE_DAILY_TASKS = 1
    PRACTICAL_ASSISTANCE_TRAINING = 2
    USER_CONTROLLED_PERSONAL_ASSISTANCE = 3
    DAY_ACTIVITY = 4
    MEAL_DELIVERY = 5
    SAFETY_ALARM = 6
    RESPITE_OUTSIDE_INSTITUTION = 7
    RESPITE_IN_INSTITUTION = 8
    SUPPORT_CONTACT = 9
    CARER_ALLOWANCE = 11
    CARE_HOUSING = 12
    OTHER_HOUSING = 13
    COERCION_PLANNED_MEASURES = 14
    HOME_HEALTH_CARE = 15
    REHABILITATION_OUTSIDE_INSTITUTION = 16
    DAY_STAY_IN_INSTITUTION = 17
    SHORT_STAY_ASSESSMENT_TREATMENT = 18
    SHORT_STAY_REHABILITATION = 19
    SHORT_STAY_OTHER = 20
    LONG_TERM_STAY = 21
    NIGHT_STAY_IN_INSTITUTION = 22
    COERCION_EMERGENCY_MEASURES = 23
    COERCIVE_HEALTH_CARE = 24
    MUNICIPAL_EMERGENCY_BED = 25
    LOCATION_TECHNOLOGY = 26
    ELECTRONIC_MEDICATION_SUPPORT = 27
    DIGITAL_SUPERVISION = 28
    MUNICIPAL_HEALTH_CARE_HOUSING = 29

    @property
    def text(self) -> str:
        """The Norwegian text of the code (current wording)."""
        return SERVICE_TYPE.codes[str(self.value)]


class FunctionalVariable(IntEnum):
    """9111 IPLOS funksjonsvariabel."""

    SOCIAL_PARTICIPATION = 1
    OBTAINING_GOODS_AND_SERVICES = 2
    DAILY_DECISIONS = 3
    LOOKING_AFTER_OWN_HEALTH = 4
    MOVING_INDOORS = 5
    HOUSEWORK = 6
    PERSONAL_HYGIENE = 7
    DRESSING = 8
    COOKING = 9
    EATING = 10
    TOILET = 11
    MOVING_OUTDOORS = 12
    VISION = 13
    HEARING = 14
    MEMORY = 15
    COMMUNICATION = 16
    CONTROLLING_BEHAVIOUR = 17
    MANAGING_OWN_FINANCES = 18


class IdType(IntEnum):
    """9032 Type personidentifikasjon (the 56.0.0 ``Bruker@typeID``)."""

    NATIONAL_ID = 1
    D_NUMBER = 2
    H_NUMBER = 3
    PASSPORT = 4
    SWEDISH_ID = 5
    DANISH_ID = 6
    SOCIAL_SECURITY_NUMBER = 7
    INSURANCE_POLICY = 8
    OTHER = 9
    DUF_NUMBER = 10
    FH_NUMBER = 12


class NotificationStatus(StrEnum):
    """7316 Status notifikasjon."""

    ORIGINAL = "N"
    CORRECT_REPLACE = "M"
    CORRECT_SUPPLEMENT = "T"
    CORRECT_ANNUL = "C"


class MessageType(StrEnum):
    """7371 Meldingstype."""

    BATCH = "B"
    CONTINUOUS = "K"
    CHANGE = "E"


class Decision(IntEnum):
    """9171 Vedtak."""

    REFUSED = 1
    GRANTED = 2
