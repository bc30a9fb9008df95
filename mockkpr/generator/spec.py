"""What to generate: :class:`GenerationSpec`, checked once, with every error a user can make.

A spec names the kommune, the reporting year, the number of persons, the seed and the format
generation, plus options (sending bydel, share of D-numbers, defects to inject, how to split
56.0.0 messages). :func:`check_spec` raises :class:`~mockkpr.errors.ConfigError` with a message
naming the option for anything that cannot be generated; the command line turns it into exit
code 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mockkpr.errors import ConfigError
from mockkpr.iplos.formats import Generation
from mockkpr.refdata import kommuner

YEARS_BY_GENERATION: Mapping[Generation, tuple[int, int]] = MappingProxyType({
    Generation.ANNUAL_2018: (2018, 2018),
    Generation.ANNUAL_2019: (2019, kommuner.LAST_YEAR),
    Generation.EVENT_56: (2021, kommuner.LAST_YEAR),
})
"""Reporting years each generation can be generated for (inclusive).

The 2018 format is the one KPR received for reporting year 2018 (the first year reported to
KPR; earlier years went to SSB), the 2019 revision (3.7) from the 2019 report on - the
validator's II-YEAR-GENERATION rule judges the same way; the 56.0.0 event message exists from
2021. The upper bound is the last year of mockkpr's kommune table."""

MAX_PERSONS = 10_000_000
"""Row ids are derived from the person key (key x 32 + n) and must stay within 10 digits."""


@dataclass(frozen=True)
class GenerationSpec:
    """Everything that determines the output; equal specs give byte-identical documents.

    ``defects`` maps a validator rule id to how many violations of it to inject
    (:func:`mockkpr.generator.defects.parse_defects` reads the command-line form).
    ``bydel`` is the sending city district (two digits) for kommuner that have bydeler; None
    sends for the whole kommune (``iiBydelsnr`` ``00``) with persons spread over its bydeler.
    ``d_number_share`` is the share of persons identified by a synthetic D-number (day + 40,
    month + 80) instead of a synthetic fødselsnummer. For 56.0.0, ``messages`` splits the
    year's notifications into that many messages of near-equal size, or
    ``max_notifications`` caps each message; running numbers and chaining continue across them.
    """

    kommune: str
    year: int
    persons: int
    seed: int = 0
    generation: Generation = Generation.ANNUAL_2019
    defects: Mapping[str, int] = field(default_factory=dict)
    bydel: str | None = None
    d_number_share: float = 0.01
    messages: int | None = None
    max_notifications: int | None = None
    running_number: int = 1


def check_spec(spec: GenerationSpec) -> None:
    """Raise :class:`ConfigError` naming the option when ``spec`` cannot be generated.

    Defects are checked by :func:`mockkpr.generator.defects.check_defects` (it needs the rule
    registry); :func:`mockkpr.generator.api.generate` calls both.
    """
    low, high = YEARS_BY_GENERATION[spec.generation]
    if not low <= spec.year <= high:
        raise ConfigError(f"--year {spec.year}: generation {spec.generation.value} can be "
                          f"generated for {low}-{high}")
    if not kommuner.is_valid_kommune(spec.kommune, spec.year):
        valid = kommuner.valid_years(spec.kommune)
        hint = (f" (it is a kommune in {', '.join(map(str, valid))})" if valid
                else " (no such kommune number; it must be 4 digits, e.g. 0301)")
        raise ConfigError(f"--kommune {spec.kommune}: not a kommune in {spec.year}{hint}")
    if not 1 <= spec.persons <= MAX_PERSONS:
        raise ConfigError(f"--persons {spec.persons}: must be between 1 and {MAX_PERSONS}")
    if spec.seed < 0:
        raise ConfigError(f"--seed {spec.seed}: must be 0 or more")
    if spec.bydel is not None:
        districts = kommuner.bydeler(spec.kommune, spec.year, include_statistical=False)
        if not districts:
            raise ConfigError(f"--bydel {spec.bydel}: kommune {spec.kommune} has no bydeler "
                              f"in {spec.year}")
        if spec.bydel not in districts:
            raise ConfigError(f"--bydel {spec.bydel}: not a bydel of {spec.kommune} in "
                              f"{spec.year} (valid: {', '.join(sorted(districts))})")
    if not 0.0 <= spec.d_number_share <= 1.0:
        raise ConfigError(f"--d-number-share {spec.d_number_share}: must be between 0 and 1")
    if not 1 <= spec.running_number <= 2**31 - 1:
        raise ConfigError(f"--running-number {spec.running_number}: must be a positive int")
    _check_messages(spec)


def _check_messages(spec: GenerationSpec) -> None:
    given = [name for name, value in (("--messages", spec.messages),
                                      ("--max-notifications", spec.max_notifications))
             if value is not None]
    if given and spec.generation is not Generation.EVENT_56:
        raise ConfigError(f"{given[0]}: only for --generation 56 (annual generations write "
                          "one IPLOS file and one identity file)")
    if len(given) == 2:
        raise ConfigError("--messages and --max-notifications: give one of them, not both")
    if spec.messages is not None and spec.messages < 1:
        raise ConfigError(f"--messages {spec.messages}: must be 1 or more")
    if spec.max_notifications is not None and spec.max_notifications < 1:
        raise ConfigError(f"--max-notifications {spec.max_notifications}: must be 1 or more")
