"""The realism tables: who receives which services, how much, and what is recorded about them.

Every number here is documented in ``docs/generator.md`` with its source (SSB, KOSTRA,
Helsedirektoratet's KPR reports) or marked there as an assumption. The tables are plain data;
:mod:`mockkpr.generator.model` draws from them. Changing a number changes the output for a
given seed, so the tests pin structure and rules, not values.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# --------------------------------------------------------------------------- age and gender
AGE_GROUPS: tuple[tuple[int, int], ...] = (
    (1, 17), (18, 49), (50, 66), (67, 79), (80, 89), (90, 104),
)
"""Age groups (age at 31.12 of the reporting year), as in SSB's tables."""

AGE_GROUP_SHARES: tuple[float, ...] = (0.05, 0.20, 0.15, 0.18, 0.30, 0.12)
"""Share of service recipients per age group. SSB Rapport 2018/26: 5 % under 18, one in four
under 50, 40 % under 67; the split of the 60 % aged 67+ follows SSB's users of home services
by age (67-79 : 80-89 : 90+ about 3 : 5 : 2)."""

FEMALE_SHARE: tuple[float, ...] = (0.40, 0.48, 0.50, 0.56, 0.66, 0.76)
"""Share of women per age group: about 60 % overall, more boys than girls under 18, near
equal 18-66, a large majority of women among the oldest (SSB Rapport 2018/26)."""

OLDEST_AGE_DECAY = 0.8
"""Within 90-104 the weight of each year of age is 0.8 times the one before (assumption)."""

CHILD_NOT_RELEVANT_AGE = 12
"""Below this age variables 2, 6, 9 and 18 are scored 9 "ikke relevant" (assumption)."""

# --------------------------------------------------------------------------- service mix
# Probability that a recipient in each age group has a decision on the service type in the
# year (columns follow AGE_GROUPS). Sources and assumptions: docs/generator.md, "Service mix".
SERVICE_MIX: Mapping[int, tuple[float, ...]] = MappingProxyType({
    1: (0.02, 0.15, 0.25, 0.30, 0.35, 0.35),    # praktisk bistand: daglige gjøremål
    2: (0.05, 0.20, 0.08, 0.02, 0.01, 0.01),    # praktisk bistand: opplæring
    3: (0.06, 0.04, 0.03, 0.01, 0.005, 0.003),  # BPA
    4: (0.03, 0.12, 0.08, 0.06, 0.08, 0.06),    # dagaktivitetstilbud
    5: (0.00, 0.01, 0.03, 0.07, 0.10, 0.10),    # matombringing
    6: (0.00, 0.02, 0.08, 0.25, 0.40, 0.45),    # trygghetsalarm (until 2020)
    7: (0.35, 0.05, 0.01, 0.01, 0.01, 0.005),   # avlastning utenfor institusjon
    8: (0.25, 0.03, 0.01, 0.02, 0.03, 0.02),    # avlastning i institusjon
    9: (0.30, 0.25, 0.08, 0.02, 0.01, 0.005),   # støttekontakt
    11: (0.35, 0.04, 0.02, 0.01, 0.01, 0.01),   # omsorgsstønad
    12: (0.00, 0.05, 0.06, 0.05, 0.07, 0.07),   # omsorgsbolig (until 2018)
    13: (0.01, 0.05, 0.03, 0.01, 0.005, 0.005),  # annen bolig (until 2018)
    15: (0.05, 0.35, 0.50, 0.60, 0.65, 0.60),   # helsetjenester i hjemmet
    16: (0.02, 0.03, 0.04, 0.05, 0.04, 0.02),   # re-/habilitering utenfor institusjon (-2018)
    17: (0.00, 0.005, 0.01, 0.01, 0.01, 0.01),  # dagopphold i institusjon
    18: (0.00, 0.01, 0.05, 0.12, 0.18, 0.20),   # tidsbegrenset: utredning/behandling
    19: (0.00, 0.01, 0.04, 0.08, 0.10, 0.08),   # tidsbegrenset: habilitering/rehabilitering
    20: (0.01, 0.01, 0.03, 0.08, 0.12, 0.15),   # tidsbegrenset: annet
    21: (0.00, 0.003, 0.02, 0.06, 0.15, 0.30),  # langtidsopphold
    22: (0.00, 0.001, 0.001, 0.002, 0.002, 0.002),  # nattopphold
    25: (0.00, 0.005, 0.02, 0.04, 0.05, 0.05),  # kommunal øyeblikkelig hjelp
    29: (0.01, 0.10, 0.09, 0.06, 0.07, 0.07),   # bolig kommunen disponerer (from 2019)
})
"""Types not generated: 14, 23, 24 (coercion: rare, decided under special law) and 26-28
(welfare technology, whose orgnr and decision practice the reference leaves open)."""

EVENT_SERVICE_TYPES: tuple[int, ...] = (18, 19, 20, 21, 29)
"""Service types the 56.0.0 event message reports (iplos-format.md §2)."""

# --------------------------------------------------------------------------- field rules
# iplos-format.md §4: which fields each service type needs.
NEEDS_APPLICATION = frozenset({1, 2, 3, 4, 5, 7, 8, 9, 11, 15, 17, 18, 19, 20, 21, 22, 29})
NEEDS_DECISION_DATE = NEEDS_APPLICATION | {14, 23, 24}
NEEDS_DECISION = NEEDS_APPLICATION | {14, 23}
NEEDS_HOURS = frozenset({1, 2, 3, 4, 7, 9, 11, 15, 17, 22})
NEEDS_ROLLING = frozenset({8})
ORGNR_REQUIRED = frozenset({1, 2, 3, 4, 8, 15, 17, 18, 19, 20, 21, 22, 25})
ORGNR_OPTIONAL = frozenset({5, 6, 7, 9, 11, 16})
ORGNR_FORBIDDEN = frozenset({12, 13, 26, 29})
ORGNR_OPTIONAL_SHARE = 0.5
"""Where an orgnr is optional, half of the rows carry one (assumption)."""

INSTITUTION_TYPES = frozenset({8, 17, 18, 19, 20, 21, 22, 25})
"""Services given in an institution: their provider comes from the institution pool."""
SHORT_STAY_TYPES = frozenset({18, 19, 20, 25})
HOUSING_TYPES = frozenset({12, 13, 29})

SHORT_STAY_DAYS: Mapping[int, tuple[int, int]] = MappingProxyType({
    18: (3, 28), 19: (14, 42), 20: (3, 42), 25: (1, 3),
})
"""Length of a time-limited stay in days, uniform in the range (assumption)."""

# --------------------------------------------------------------------------- hours per week
# Median granted direct hours per week per type and age group (log-normal spread, see
# SPREAD). Home care and practical assistance are calibrated to SSB table 09933's averages
# (67-79: 5.7, 80-89: 4.3, 90+: 5.5, 50-66: 12.3, 18-49: 16.4, 0-17: 20.5 hours); the others
# are assumptions, see docs/generator.md.
HOURS_MEDIAN: Mapping[int, tuple[float, ...]] = MappingProxyType({
    1: (3.0, 4.0, 3.0, 2.0, 2.0, 2.0),
    2: (4.0, 8.0, 6.0, 3.0, 3.0, 3.0),
    3: (25.0, 35.0, 30.0, 20.0, 15.0, 15.0),
    4: (10.0, 15.0, 12.0, 8.0, 8.0, 8.0),
    7: (8.0, 8.0, 6.0, 6.0, 6.0, 6.0),
    9: (3.0, 3.0, 2.0, 2.0, 2.0, 2.0),
    11: (15.0, 12.0, 10.0, 10.0, 10.0, 10.0),
    15: (8.0, 6.0, 5.0, 3.5, 3.0, 3.5),
    17: (10.0, 12.0, 10.0, 8.0, 8.0, 8.0),
    22: (50.0, 56.0, 56.0, 56.0, 56.0, 56.0),
})
HOURS_SPREAD = 0.8
"""Standard deviation of log(hours) around the median (assumption; gives SSB's long tail)."""
MIN_HOURS = 0.25
MAX_HOURS = 168.0
HOURS_STEP = 0.25
"""Hours are quarter hours: EPJ systems grant time in 15-minute units (assumption)."""
TWO_STAFF_SHARE = 0.05
"""Share of BPA and home-care decisions with extra hours for two staff, tjResTimerUke."""

ROLLING_RESPITE_SHARE = 0.7
"""Share of institutional respite (8) that is rolling, tjRullerende = 1 (assumption)."""

# --------------------------------------------------------------------------- decisions
REFUSAL_SHARE: Mapping[int, float] = MappingProxyType({
    1: 0.015, 2: 0.014, 3: 0.142, 4: 0.032, 5: 0.006, 7: 0.050, 8: 0.023, 9: 0.069,
    11: 0.111, 15: 0.011, 17: 0.019, 18: 0.007, 19: 0.009, 20: 0.024, 21: 0.069, 29: 0.131,
})
"""Share of decisions that are refusals (tjVedtak = 1), from Helsedirektoratet, "Kommunale
helse- og omsorgstjenester 2022", table 2.9 (decisions with refusal, per cent)."""

APPEAL_SHARE_REFUSED: Mapping[int, float] = MappingProxyType({
    1: 0.03, 2: 0.12, 3: 0.15, 4: 0.02, 5: 0.02, 7: 0.14, 8: 0.06, 9: 0.03, 11: 0.10,
    15: 0.02, 17: 0.02, 18: 0.02, 19: 0.02, 20: 0.02, 21: 0.035, 29: 0.02,
})
"""Appeals per refusal: appeals received / refusals in the same table 2.9 (2022); "under 10"
cells are taken as 2 %."""
APPEAL_SHARE_GRANTED = 0.001
"""Appeals against a granted decision (too few hours, say): assumption."""
APPEAL_ANSWERED_SHARE = 0.8
"""Share of appeals answered within the year when time allows (assumption)."""

EXTENSION_SHARE = 0.10
"""Ongoing home services renewed during the year by a new decision in the same series
(tjVeNrID 2, same tjVeID): assumption."""
ONGOING_SHARE = 0.6
"""Share of home services and long-term stays that began before the reporting year
(assumption: most recipients are long-standing)."""
ENDED_IN_YEAR_SHARE = 0.15
"""Share of ongoing home services that end during the year other than by death (assumption)."""

# --------------------------------------------------------------------------- deaths
DEATH_SHARE: tuple[float, ...] = (0.002, 0.01, 0.02, 0.05, 0.12, 0.25)
"""Share of recipients per age group who die during the year (assumption, calibrated so that
about one recipient in ten dies: ~40 000 deaths a year in Norway, most of them among users of
care services, FHI Dødsårsaksregisteret)."""
DEATH_SHARE_LONG_TERM = 0.35
"""Annual mortality of long-term residents (assumption; FHI: more than half of all deaths in
Norway happen in nursing homes and similar institutions)."""

# --------------------------------------------------------------------------- functional scores
NEED_BASE: tuple[float, ...] = (0.45, 0.35, 0.35, 0.35, 0.45, 0.55)
"""Latent need (0..1) per age group before institution and noise (assumption; SSB: the share
with extensive need rises with age and is highest in long-term care)."""
NEED_INSTITUTION = 0.25
"""Added need for long-term residents (SSB 2007: 67 % of them had extensive need)."""
NEED_NOISE = 0.15
ITEM_NOISE = 0.12

VARIABLE_OFFSET: Mapping[int, float] = MappingProxyType({
    1: 0.0, 2: 0.10, 3: -0.05, 4: 0.05, 5: -0.15, 6: 0.15, 7: -0.05, 8: -0.05, 9: 0.10,
    10: -0.25, 11: -0.15, 12: 0.10, 13: 0.0, 14: 0.0, 15: 0.0, 16: -0.10, 17: -0.20,
    18: 0.05,
})
"""How much harder than the person's general need each variable tends to be: instrumental
activities (shopping, housework, cooking, getting about outdoors) before personal care, eating
and toilet last (assumption, in line with the ADL/IADL hierarchy)."""

SENSORY_REDUCED: tuple[float, ...] = (0.05, 0.08, 0.15, 0.30, 0.50, 0.70)
"""Probability per age group that sight (13) or hearing (14) is at least somewhat reduced
(assumption)."""

# --------------------------------------------------------------------------- diagnoses
DIAGNOSES: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "child": MappingProxyType({
        "ICPC-2": ("P85", "N88", "P22", "A90", "N99"),
        "ICD-10": ("F84", "G80", "Q90", "F71", "G40"),
    }),
    "adult": MappingProxyType({
        "ICPC-2": ("P76", "P72", "P15", "N86", "K90", "X76", "P85"),
        "ICD-10": ("F32", "F20", "F10", "G35", "I63", "C50", "F70"),
    }),
    "old": MappingProxyType({
        "ICPC-2": ("P70", "K77", "K90", "T90", "R95", "L89", "L75", "N87", "K86"),
        "ICD-10": ("F03", "G30", "I50", "I63", "E11", "J44", "M16", "S72", "G20"),
    }),
})
"""Common diagnoses among recipients by life stage, in ICPC-2 (primary care) and ICD-10
(specialist) codes: dementia, heart failure, stroke, diabetes, COPD, hip fracture and
osteoarthritis, Parkinson's for the old; mental illness, substance use, MS, cancer for adults;
autism, cerebral palsy, Down syndrome, intellectual disability, epilepsy for children
(assumption from the case mix of municipal care; codes from the public code systems)."""
ICPC2_SHARE = 0.6
"""Share of diagnoses coded in ICPC-2 rather than ICD-10 (assumption: GPs code in ICPC-2)."""
DIAGNOSIS_COUNT_WEIGHTS: tuple[float, ...] = (0.25, 0.40, 0.25, 0.10)
"""Weights of 0, 1, 2 and 3 diagnoses on a person (assumption)."""

# --------------------------------------------------------------------------- other rows
PERSONOPPL_SHARE = 0.7
"""Share of persons with a PERSONOPPL row (living situation) (assumption)."""
LIVES_ALONE_SHARE_OLD = 0.55
"""Share of recipients aged 67+ living alone (assumption)."""
STAFFED_HOUSING_SHARE = 0.3
"""Share of housing decisions (12, 29) with round-the-clock staffing, DOGNTILBUD (assumption)."""
OTHER_HOME_KOMMUNE_SHARE = 0.005
"""Share of persons whose home kommune (peKomnr) is another kommune, e.g. residents registered
elsewhere (assumption; the guidance records the home kommune)."""

# --------------------------------------------------------------------------- providers
INSTITUTION_POOL_SIZE = 6
HOME_CARE_POOL_SIZE = 4
OTHER_PROVIDER_POOL_SIZE = 3
"""A fixed pool of synthetic providers per kommune: institutions (nursing homes, respite
homes), home-care districts and other units (day centres, BPA companies). Sizes: assumption."""

# --------------------------------------------------------------------------- 56.0.0 events
EVENTS_PER_PERSON_WEIGHTS: tuple[float, ...] = (0.70, 0.25, 0.05)
"""Weights of 1, 2 and 3 in-scope services per person in a year of events (assumption)."""
PROVIDER_CHANGE_SHARE = 0.15
PAUSE_SHARE = 0.20
END_SHARE_LONG_TERM = 0.25
END_SHARE_HOUSING = 0.10
CORRECTION_SHARE = 0.08
"""Share of service starts later corrected by an M notification (assumption)."""
ANNULMENT_SHARE = 0.03
"""Share of persons with a start registered by mistake and annulled by a C (assumption)."""
