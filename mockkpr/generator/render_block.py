"""Writing the annual documents a block of persons at a time, from its columns (fast path).

Every PERSON no defect touches is written straight from the block's columns: the dates of
a column are turned into text by one table look-up, each row kind is rendered for the whole
block at once, and the rows are put in document order (PERSON, PERSONOPPL, FUNKSJON,
TJENESTE, DIAGNOSE, DOGNTILBUD) by one stable sort. A person a defect changes is made into
a :class:`~mockkpr.generator.rows.Person` and written by
:func:`mockkpr.generator.annual.render_person`, which writes the same text for an unchanged
person (``tests/generator/test_blocks.py`` checks it person by person). The identity
message's rows are written the same way (:class:`IdentityWriter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from mockkpr.generator import draw_care as C
from mockkpr.generator.annual import header, render_person
from mockkpr.generator.blocks import BLOCK, Population, identity_of, person_of
from mockkpr.generator.contacts import Contact
from mockkpr.generator.hooks import Hooks
from mockkpr.generator.identity import identity_header, render_identity
from mockkpr.generator.model import ROW_ID_FACTOR, World
from mockkpr.generator.rows import FIRST_DATE, OPEN, IdentityRow, date8
from mockkpr.generator.stats import Stats, age_group
from mockkpr.iplos.formats import Generation

IntArray = npt.NDArray[np.int64]

# Sort ranks of the parts of a PERSON.
_HEAD, _PO, _FN, _TJ, _DI, _DG, _END = range(7)


def _codes(values: IntArray) -> list[str]:
    """Each code as text, "" for 0 (none)."""
    return [str(value) if value else "" for value in values.tolist()]


def _hours(hundredths: IntArray) -> list[str]:
    """Hours per week as the schema's decimal with two places, "" for 0 (none)."""
    return [f"{h // 100}.{h % 100:02d}" if h else "" for h in hundredths.tolist()]


class BlockRenderer:
    """Renders blocks of one world (tables built once)."""

    def __init__(self, world: World) -> None:
        self.world = world
        last = world.year_end
        self._dates = np.array([date8(o) for o in range(FIRST_DATE, last + 1)]
                               + ["99991231", ""], dtype=object)
        self._open = last - FIRST_DATE + 1
        self._orgnrs = np.array((*world.providers.all(), ""), dtype=object)
        variables = world.variables
        self._middle = [
            {score: (f"      <fnFunkType>{variable}</fnFunkType>\n"
                     f"      <fnFunkVerdi>{score}</fnFunkVerdi>\n")
             for score in (1, 2, 3, 4, 5, 9)}
            for variable in variables]
        self._venteliste = ("      <poVenteliste>2</poVenteliste>\n"
                            if world.spec.generation is Generation.ANNUAL_2019 else "")

    def dates(self, ordinals: IntArray) -> list[str]:
        """``YYYYMMDD`` for each ordinal; ``99991231`` for the open end, "" for 0."""
        index = np.where(ordinals == OPEN, self._open,
                         np.where(ordinals == 0, self._open + 1, ordinals - FIRST_DATE))
        if len(index) and (index.min() < 0 or index.max() > self._open + 1):
            raise AssertionError("a date outside 2005-01-01 .. the end of the year")
        return self._dates[index].tolist()  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ the block
    def render(self, block: C.Block, size: int, hooks: Hooks, stats: Stats,
               document: str) -> str:
        """The PERSON elements of the first ``size`` persons of ``block``."""
        first = block.first
        edited = [n for n in range(size) if hooks.edits_person(first + n)]
        parts: list[str] = []
        persons: list[IntArray] = []
        counts: list[int] = []
        rank_of: list[int] = []

        def add(texts: Sequence[str], owners: IntArray, rank: int) -> None:
            parts.extend(texts)
            persons.append(owners)
            counts.append(len(texts))
            rank_of.append(rank)

        everyone = np.arange(size)
        add(self._heads(block, size), everyone, _HEAD)
        add(*self._situations(block, size), _PO)
        add(self._assessments(block, size), everyone, _FN)
        add(*self._services(block, size), _TJ)
        add(*self._diagnoses(block, size), _DI)
        add(*self._round_the_clock(block, size), _DG)
        add(["  </PERSON>\n"] * size, everyone, _END)
        owner = np.concatenate(persons)
        key = owner * 8 + np.repeat(np.array(rank_of), counts)
        for n in edited:  # the slow path: written from a Person, after its defects
            person = person_of(self.world, block, n)
            hooks.person(person, document)
            stats.add_person(person)
            parts.append(render_person(person))
            key = np.append(key, n * 8)
        order = np.argsort(key, kind="stable")
        if edited:
            drop = np.isin(owner, edited)
            keep = np.ones(len(key), dtype=bool)
            keep[:len(owner)] = ~drop
            order = order[keep[order]]
        self._count(block, size, edited, stats)
        texts = np.array(parts, dtype=object)[order]
        return "".join(texts.tolist())

    def _heads(self, block: C.Block, size: int) -> list[str]:
        ident = block.ident
        gender = np.where(ident.female[:size], "K", "M").tolist()
        death = block.death[:size]
        died = self.dates(death)
        deaths = [f"    <peDodDato>{d}</peDodDato>\n" if d else "" for d in died]
        return [f'  <PERSON pePeID="{key}">\n'
                f"    <peAlder>{age}</peAlder>\n"
                f"    <peKjonn>{g}</peKjonn>\n"
                f"    <peKomnr>{kommune}</peKomnr>\n"
                f"    <peBydelsnr>{bydel}</peBydelsnr>\n"
                f"    <peFraDato>{fra}</peFraDato>\n"
                f"{dod}"
                f"    <peEndrDato>{endr}</peEndrDato>\n"
                for key, age, g, kommune, bydel, fra, dod, endr in zip(
                    range(block.first + 1, block.first + size + 1),
                    ident.age[:size].tolist(), gender, block.home_kommune[:size],
                    block.bydel[:size], self.dates(block.first_date[:size]), deaths,
                    self.dates(block.changed[:size]), strict=True)]

    def _situations(self, block: C.Block, size: int) -> tuple[list[str], IntArray]:
        at = np.flatnonzero(block.situation[:size])
        keys = (at + block.first + 1).tolist()
        dentist = [f"      <poVurdTann>{d[:6]}</poVurdTann>\n" if d else ""
                   for d in self.dates(block.dentist[at])]
        doctor = [f"      <poVurdLege>{d[:6]}</poVurdLege>\n" if d else ""
                  for d in self.dates(block.doctor[at])]
        tail = self._venteliste
        texts = [f'    <PERSONOPPL poPeID="{key}" poPoID="{key * ROW_ID_FACTOR + 1}">\n'
                 f"      <poHusstand>{household}</poHusstand>\n"
                 f"      <poPrivHjelp>{help_}</poPrivHjelp>\n"
                 f"{tann}{lege}"
                 f"      <poIndPlan>{plan}</poIndPlan>\n"
                 f"      <poHarKoordinator>{plan}</poHarKoordinator>\n"
                 f"      <poFraDato>{fra}</poFraDato>\n"
                 f"      <poTilDato>{til}</poTilDato>\n"
                 f"{tail}    </PERSONOPPL>\n"
                 for key, household, help_, tann, lege, plan, fra, til in zip(
                     keys, block.household[at].tolist(), block.private_help[at].tolist(),
                     dentist, doctor, block.plan[at].tolist(),
                     self.dates(block.assessed_from[at]), self.dates(block.assessed_to[at]),
                     strict=True)]
        return texts, at

    def _assessments(self, block: C.Block, size: int) -> list[str]:
        middle = self._middle
        out = []
        for key, scores, fra, til in zip(
                range(block.first + 1, block.first + size + 1), block.scores[:size].tolist(),
                self.dates(block.assessed_from[:size]), self.dates(block.assessed_to[:size]),
                strict=True):
            head = f'    <FUNKSJON fnPeID="{key}" fnFnID="'
            tail = (f"      <fnFraDato>{fra}</fnFraDato>\n"
                    f"      <fnTilDato>{til}</fnTilDato>\n"
                    "    </FUNKSJON>\n")
            base = key * ROW_ID_FACTOR + 1
            out.append("".join([f'{head}{base + position}">\n{middle[position][score]}{tail}'
                                for position, score in enumerate(scores)]))
        return out

    def _ranks(self, owners: IntArray) -> IntArray:
        """1, 2, 3... within each person of ``owners`` (sorted by person)."""
        if not len(owners):
            return owners
        starts = np.r_[True, owners[1:] != owners[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(len(owners)), 0))
        return np.arange(len(owners)) - first + 1

    def _services(self, block: C.Block, size: int) -> tuple[list[str], IntArray]:
        s = block.services
        rows = np.flatnonzero(s.person < size)
        owner = s.person[rows]
        key = owner + block.first + 1
        row_id = key * ROW_ID_FACTOR + self._ranks(owner)
        series_no = s.series_no[rows]
        series = np.where(series_no > 0, row_id - series_no + 1, 0)
        starts = [f'    <TJENESTE tjPeID="{k}" tjTjID="{rid}"'
                  + (f' tjVeID="{ser}" tjVeNrID="{sno}">\n' if sno else ">\n")
                  + f"      <tjTjenType>{typ}</tjTjenType>\n"
                  for k, rid, ser, sno, typ in zip(
                      key.tolist(), row_id.tolist(), series.tolist(), series_no.tolist(),
                      s.type[rows].tolist(), strict=True)]
        dates = self.dates
        fields = [  # in schema order; "" where a row has no such field
            ("tjSoknadDato", dates(s.applied[rows])),
            ("tjVedtDato", dates(s.decided[rows])),
            ("tjVedtak", _codes(s.decision[rows])),
            ("tjTimerUke", _hours(s.hours[rows])),
            ("tjResTimerUke", _hours(s.two_staff[rows])),
            ("tjRullerende", _codes(s.rolling[rows])),
            ("tjInstOrgnr", self._orgnrs[s.orgnr[rows]].tolist()),  # -1 -> the last, ""
            ("tjFraDato", dates(s.start[rows])),
            ("tjTilDato", dates(s.end[rows])),
            ("tjKlageMottatt", dates(s.appeal_received[rows])),
            ("tjKlageBesvart", dates(s.appeal_answered[rows])),
        ]
        lines = [[f"      <{tag}>{text}</{tag}>\n" if text else "" for text in texts]
                 for tag, texts in fields]
        texts = ["".join(parts) + "    </TJENESTE>\n"
                 for parts in zip(starts, *lines, strict=True)]
        return texts, owner

    def _diagnoses(self, block: C.Block, size: int) -> tuple[list[str], IntArray]:
        rows = np.flatnonzero(block.diagnosis_person < size)
        owner = block.diagnosis_person[rows]
        key = owner + block.first + 1
        row_id = key * ROW_ID_FACTOR + self._ranks(owner)
        systems = np.array(C.SYSTEM_NAMES, dtype=object)[block.diagnosis_system[rows]].tolist()
        codes = np.array(C.CODES, dtype=object)[block.diagnosis_code[rows]].tolist()
        texts = [f'    <DIAGNOSE diPeID="{k}" diDiID="{rid}">\n'
                 f"      <diKodeVersjon>{system}</diKodeVersjon>\n"
                 f"      <diDiagKode>{code}</diDiagKode>\n"
                 f"      <diFraDato>{fra}</diFraDato>\n"
                 f"      <diTilDato>{til}</diTilDato>\n"
                 "    </DIAGNOSE>\n"
                 for k, rid, system, code, fra, til in zip(
                     key.tolist(), row_id.tolist(), systems, codes,
                     self.dates(block.diagnosis_start[rows]),
                     self.dates(block.assessed_to[owner]), strict=True)]
        return texts, owner

    def _round_the_clock(self, block: C.Block, size: int) -> tuple[list[str], IntArray]:
        s = block.services
        rows = np.flatnonzero(s.round_the_clock & (s.person < size))
        owner = s.person[rows]
        key = owner + block.first + 1
        row_id = key * ROW_ID_FACTOR + self._ranks(owner)
        texts = [f'    <DOGNTILBUD dgPeID="{k}" dgDgID="{rid}">\n'
                 f"      <dgInstOrgnr>{orgnr}</dgInstOrgnr>\n"
                 f"      <dgFraDato>{fra}</dgFraDato>\n"
                 f"      <dgTilDato>{til}</dgTilDato>\n"
                 "    </DOGNTILBUD>\n"
                 for k, rid, orgnr, fra, til in zip(
                     key.tolist(), row_id.tolist(), self._orgnrs[s.dg_orgnr[rows]].tolist(),
                     self.dates(s.start[rows]), self.dates(s.end[rows]), strict=True)]
        return texts, owner

    # ------------------------------------------------------------------ counts
    def _count(self, block: C.Block, size: int, edited: list[int], stats: Stats) -> None:
        """Add the persons no defect touched to ``stats`` (the edited ones are counted as
        written, by :meth:`Stats.add_person`)."""
        mask = np.ones(size, dtype=bool)
        mask[edited] = False
        ident = block.ident
        stats.persons += int(mask.sum())
        stats.women += int((ident.female[:size] & mask).sum())
        stats.d_numbers += int((ident.d_number[:size] & mask).sum())
        stats.deaths += int(((block.death[:size] > 0) & mask).sum())
        ages, counts = np.unique(ident.age[:size][mask], return_counts=True)
        for age, count in zip(ages.tolist(), counts.tolist(), strict=True):
            stats.age_groups[age_group(age)] += count
        s = block.services
        rows = (s.person < size) & mask[np.minimum(s.person, size - 1)]
        types, counts = np.unique(s.type[rows], return_counts=True)
        for service_type, count in zip(types.tolist(), counts.tolist(), strict=True):
            stats.services[service_type] += count
        stats.refusals += int((s.decision[rows] == 1).sum())
        stats.appeals += int((s.appeal_received[rows] > 0).sum())
        stats.decision_series_extended += int((s.series_no[rows] == 2).sum())
        stats.assessments += int(mask.sum()) * len(self.world.variables)
        d_rows = block.diagnosis_person < size
        stats.diagnoses += int(mask[block.diagnosis_person[d_rows]].sum())
        stats.situations += int((block.situation[:size] & mask).sum())
        stats.round_the_clock += int((s.round_the_clock & rows).sum())


def annual_chunks(world: World, population: Population, contacts: list[Contact],
                  hooks: Hooks, stats: Stats, document: str,
                  progress: Callable[[int], None] | None = None,
                  each_block: Callable[[C.Block, int], None] | None = None
                  ) -> Iterator[bytes]:
    """The whole KPR_IPL document as UTF-8 chunks, one per block of persons.
    ``each_block(block, size)`` sees every block before it is written (the identity file
    of :meth:`~mockkpr.generator.api.GenerationRun.write_annual` is written from it)."""
    yield header(world, contacts, hooks, document).encode()
    renderer = BlockRenderer(world)
    persons = world.spec.persons
    for number in range((persons + BLOCK - 1) // BLOCK):
        block = population.block(number)
        size = min(BLOCK, persons - block.first)
        if each_block is not None:
            each_block(block, size)
        yield renderer.render(block, size, hooks, stats, document).encode()
        if progress is not None:
            progress(size)
    yield b"</IPLOS>\n"


class IdentityWriter:
    """Push-style writer of the identity document: :meth:`add_block` one block of persons at
    a time (it returns the block's text as a chunk), then :meth:`finish`. Lets the annual run
    write the IPLOS and identity files in one pass over the persons."""

    def __init__(self, world: World, hooks: Hooks, document: str) -> None:
        self.hooks = hooks
        self.document = document
        self.head: str | None = identity_header(world, hooks, document)

    def add_block(self, block: C.Block, size: int) -> bytes:
        """The PasientIdent rows of the first ``size`` persons of ``block``."""
        assert block.national_id is not None
        types = np.where(block.ident.d_number[:size], 2, 1).tolist()
        texts = [f'  <PasientIdent pePeID="{key}">\n'
                 f"    <fid>{national_id}</fid>\n"
                 f"    <typeID>{id_type}</typeID>\n"
                 "  </PasientIdent>\n"
                 for key, national_id, id_type in zip(
                     range(block.first + 1, block.first + size + 1), block.national_id,
                     types, strict=True)]
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
