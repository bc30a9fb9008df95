"""Defects on request: the validator finds exactly the injected defects, no more, no fewer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkpr.errors import ConfigError
from mockkpr.generator import defects as D
from mockkpr.generator.api import GenerationRun
from mockkpr.generator.defects.units import REAL_LOOKING_LIMIT, real_looking_id
from mockkpr.generator.spec import YEARS_BY_GENERATION, GenerationSpec
from mockkpr.iplos import validate
from mockkpr.iplos.findings import Report
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.identifiers import Gender, IdKind, parse_national_id
from mockkpr.iplos.rules import REGISTRY
from mockkpr.iplos.rules.event_history import EventHistory
from mockkpr.refdata.kommuner import bydeler, is_valid_kommune
from tests.generator.helpers import Output, run

YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: 2019, Generation.EVENT_56: 2022}
KOMMUNER = ("0301", "1103", "5001", "4601", "1201", "3005")
"""Oslo and Stavanger (bydeler), and kommuner that began (5001 in 2018, 4601 and 3005 in
2020) or ended (1201 after 2019, 3005 after 2023) within the years the generator writes."""
EXCLUSIVE = ("XML-DOCTYPE", "XML-UNKNOWN-FORMAT", "XML-NOT-WELL-FORMED")


def _reports(out: Output, generation: Generation) -> list[Report]:
    """The validator's reports: the annual pair joined, the 56.0.0 messages in order with
    one event history (chaining and running numbers continue from message to message)."""
    if generation is Generation.EVENT_56:
        history = EventHistory()
        return [validate(data, name=name, history=history)
                for name, data in sorted(out.documents.items())]
    return [validate(out.only("KPR_IPL"), identity=out.only("KPR_IDE"))]


def _found(out: Output, generation: Generation) -> Counter[tuple[str, str, str | None]]:
    return Counter((f.rule_id, f.location, f.value) for r in _reports(out, generation)
                   for f in r.findings)


def _injected(out: Output) -> Counter[tuple[str, str, str | None]]:
    return Counter((d["rule"], d["location"], d["value"]) for d in out.manifest["defects"])


# ----------------------------------------------------------------------- the policy
def test_every_registered_rule_is_injectable_or_says_why_not() -> None:
    """The meta-test: each rule the validator knows has an injector in each generation it
    applies to, or a reason in NOT_INJECTABLE (all generations) or NOT_INJECTABLE_IN (that
    generation). Rules added later need an injector with them."""
    missing = sorted((r.id, g.value) for r in REGISTRY for g in r.generations
                     if D.injector_for(r.id, g) is None and r.id not in D.NOT_INJECTABLE
                     and (r.id, g) not in D.NOT_INJECTABLE_IN)
    assert missing == []
    assert set(D.NOT_INJECTABLE) <= {r.id for r in REGISTRY}
    assert set(D.INJECTORS) <= {r.id for r in REGISTRY}
    assert not set(D.NOT_INJECTABLE) & set(D.INJECTORS)
    for (rule_id, generation), reason in D.NOT_INJECTABLE_IN.items():
        assert generation in REGISTRY[rule_id].generations
        assert reason
        assert D.injector_for(rule_id, generation) is None
    for rule_id, injectors in D.INJECTORS.items():
        for found in injectors:
            assert found.generations <= REGISTRY[rule_id].generations, rule_id
            assert found.description, rule_id


def test_all_leaves_out_only_exclusive_rules_and_rules_sharing_a_slot() -> None:
    for generation in Generation:
        chosen = D.parse_defects("all", generation)
        assert set(chosen.values()) == {1}
        taken = [D.injector_for(rule_id, generation) for rule_id in chosen]
        slots = [slot for found in taken if found is not None for slot in found.slots]
        assert len(slots) == len(set(slots)), "two rules of 'all' share a slot"
        for rule_id, why in D.left_out(generation).items():
            found = D.injector_for(rule_id, generation)
            assert found is not None
            assert rule_id not in chosen
            assert found.exclusive or found.slots & set(slots), (rule_id, why)
        injectable = {r for r in D.INJECTORS if D.injector_for(r, generation) is not None}
        assert set(chosen) | set(D.left_out(generation)) == injectable
        assert not set(EXCLUSIVE) & set(chosen)
    assert "TJ-TIMERUKE-RANGE" in D.parse_defects("all", Generation.ANNUAL_2018)
    assert "TJ-TIMERUKE-RANGE" not in D.parse_defects("all", Generation.EVENT_56)
    assert "IDE-REAL-ID" not in D.parse_defects("all", Generation.ANNUAL_2018)
    assert "IDE-REAL-ID" in D.parse_defects("all", Generation.ANNUAL_2019)


# ----------------------------------------------------------------------- exactness
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("generation", "year", "kommune", "bydel", "messages"), [
    (Generation.ANNUAL_2018, 2018, "5001", None, None),  # 5001 begins in 2018
    (Generation.ANNUAL_2019, 2019, "0301", "03", None),
    (Generation.ANNUAL_2019, 2020, "4601", None, None),  # 4601 begins in 2020
    (Generation.EVENT_56, 2022, "0301", None, None),
    (Generation.EVENT_56, 2023, "3005", None, 3)])  # 3005 ends after 2023
def test_all_gives_one_finding_of_each_rule(generation: Generation, year: int, kommune: str,
                                            bydel: str | None, messages: int | None,
                                            seed: int) -> None:
    defects = D.parse_defects("all", generation)
    spec = GenerationSpec(kommune, year, 80, seed=seed, generation=generation,
                          defects=defects, messages=messages, bydel=bydel)
    out = run(spec)
    assert _found(out, generation) == _injected(out)
    assert Counter(d["rule"] for d in out.manifest["defects"]) == Counter(defects)


def _slot_free(rules: list[str], generation: Generation) -> list[str]:
    """``rules`` without those that take a slot an earlier one took."""
    taken: set[str] = set()
    kept = []
    for rule_id in rules:
        found = D.injector_for(rule_id, generation)
        assert found is not None
        if not found.slots & taken:
            taken |= found.slots
            kept.append(rule_id)
    return kept


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), generation=st.sampled_from(list(Generation)),
       data=st.data())
def test_validator_finds_exactly_the_injected_defects(seed: int, generation: Generation,
                                                      data: st.DataObject) -> None:
    """Random sets of defects drawn from every injectable, combinable rule: the validator
    reports exactly the injected (rule, location, value) multiset."""
    rules = sorted(r for r in D.INJECTORS if (found := D.injector_for(r, generation)) is not None
                   and not found.exclusive)
    order = data.draw(st.permutations(rules))
    share = data.draw(st.sampled_from((0.05, 0.3, 1.0)))  # few, some or all rules
    chosen = _slot_free([r for r in order if data.draw(st.floats(0, 1)) < share], generation)
    messages = data.draw(st.integers(1, 3)) if generation is Generation.EVENT_56 else None
    first, last = YEARS_BY_GENERATION[generation]
    year = data.draw(st.integers(first, last))
    kommune = data.draw(st.sampled_from([k for k in KOMMUNER if is_valid_kommune(k, year)]))
    districts = sorted(bydeler(kommune, year, include_statistical=False))
    bydel = data.draw(st.sampled_from([None, *districts[:2]]))
    defects = {}
    for rule_id in chosen:
        found = D.injector_for(rule_id, generation)
        assert found is not None
        most = 1 if found.last_only else (3 if found.repeatable else messages or 1)
        defects[rule_id] = data.draw(st.integers(1, most))
    spec = GenerationSpec(kommune, year, 100, seed=seed, generation=generation,
                          defects=defects, messages=messages, bydel=bydel)
    out = run(spec)
    assert _found(out, generation) == _injected(out)
    assert sum(_injected(out).values()) == sum(defects.values())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), generation=st.sampled_from(list(Generation)))
def test_without_defects_there_is_no_finding_at_all(seed: int, generation: Generation) -> None:
    out = run(GenerationSpec("1103", YEAR[generation], 40, seed=seed, generation=generation))
    assert _found(out, generation) == Counter()


@pytest.mark.parametrize("generation", list(Generation))
@pytest.mark.parametrize("rule_id", EXCLUSIVE)
def test_exclusive_defects_alone_give_exactly_their_finding(rule_id: str,
                                                            generation: Generation) -> None:
    spec = GenerationSpec("0301", YEAR[generation], 20, seed=1, generation=generation,
                          defects={rule_id: 1})
    out = run(spec)
    found = Counter((rule, location) for rule, location, _ in _found(out, generation).elements())
    assert found == Counter({(rule_id, "/"): 1})
    assert [(d["rule"], d["location"]) for d in out.manifest["defects"]] == [(rule_id, "/")]


def test_a_defect_changes_only_its_own_place() -> None:
    """One defect leaves every other line of the output as it was."""
    plain = run(GenerationSpec("0301", 2019, 30, seed=4))
    bad = run(GenerationSpec("0301", 2019, 30, seed=4, defects={"TJ-TIMERUKE-RANGE": 1}))
    before = plain.only("KPR_IPL").decode().splitlines()
    after = bad.only("KPR_IPL").decode().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    assert "<tjTimerUke>" in changed[0][1]
    assert plain.only("KPR_IDE") == bad.only("KPR_IDE")


def test_join_defects_are_recorded_in_the_document_they_point_at() -> None:
    spec = GenerationSpec("0301", 2019, 30, seed=5,
                          defects={"IDE-ORPHAN": 1, "PE-IDENT-MISSING": 1, "IDE-FID": 1})
    out = run(spec)
    documents = {d["rule"]: d["document"] for d in out.manifest["defects"]}
    assert documents == {"IDE-ORPHAN": "KPR_IDE_0301_2019.xml",
                         "PE-IDENT-MISSING": "KPR_IPL_0301_2019.xml",
                         "IDE-FID": "KPR_IDE_0301_2019.xml"}
    assert _found(out, Generation.ANNUAL_2019) == _injected(out)


# ----------------------------------------------------------------------- national ids
def test_real_looking_numbers_name_nobody() -> None:
    """The REAL-ID numbers have the form of an ordinary fødselsnummer with valid check
    digits, but a birth date in 2039: no person has one now."""
    seen = set()
    for gender in Gender:
        for n in (0, 1, 2, 500, REAL_LOOKING_LIMIT - 1):
            number = real_looking_id(n, gender)
            parsed = parse_national_id(number)
            assert parsed.valid, number
            assert parsed.kind is IdKind.ORDINARY
            assert parsed.birth_date is not None
            assert parsed.birth_date.year == 2039
            assert parsed.gender is gender
            seen.add(number)
    assert len(seen) == 10


@pytest.mark.parametrize(("generation", "rule_id"), [(Generation.ANNUAL_2019, "IDE-REAL-ID"),
                                                      (Generation.EVENT_56, "EV-REAL-ID")])
def test_only_the_real_id_defect_writes_a_number_that_is_not_synthetic(
        generation: Generation, rule_id: str) -> None:
    out = run(GenerationSpec("0301", YEAR[generation], 30, seed=6, generation=generation,
                             defects={rule_id: 2}))
    kinds: Counter[IdKind | None] = Counter()
    for data in out.documents.values():
        text = data.decode()
        for marker in ("<fid>", ' fid="'):
            for part in text.split(marker)[1:]:
                kinds[parse_national_id(part[:11]).kind] += 1
    assert {kind for kind in kinds if kind is not None and not kind.is_synthetic} \
        == {IdKind.ORDINARY}
    assert _found(out, generation) == _injected(out)


# ----------------------------------------------------------------------- refusals
@pytest.mark.parametrize(("defects", "message"), [
    ({"NO-SUCH-RULE": 1}, "--defects: unknown rule NO-SUCH-RULE (the validator knows "),
    ({"TJ-TIMERUKE-RANGE": 0}, "--defects: TJ-TIMERUKE-RANGE=0: N must be 1 or more"),
    ({"XML-EMPTY": 1}, "--defects: rule XML-EMPTY cannot be injected: an empty file has no "
                       "content to generate"),
    ({"XML-TOO-LARGE": 1}, "--defects: rule XML-TOO-LARGE cannot be injected: depends on the "
                           "receiver's max_payload_bytes setting"),
    ({"II-YEAR-GENERATION": 1}, "--defects: rule II-YEAR-GENERATION cannot be injected: the "
                                "reporting year is the one iiFraDato states"),
    ({"IDE-SYNTHETIC-ID": 1}, "--defects: rule IDE-SYNTHETIC-ID cannot be injected: it fires "
                              "only when the receiver refuses synthetic ids"),
    ({"XML-DOCTYPE": 2}, "--defects: XML-DOCTYPE makes the document unreadable and hides every "
                         "other finding: request it alone, as XML-DOCTYPE=1"),
    ({"XML-DOCTYPE": 1, "XSD-ROW": 1}, "--defects: XML-DOCTYPE makes the document unreadable"),
    ({"XSD-HEADER": 2}, "--defects: XSD-HEADER=2: at most 1 in this output (1 per document)"),
    ({"II-KOMNR-FORMAT": 1, "II-KOMNR-VALID": 1},
     "--defects: II-KOMNR-FORMAT and II-KOMNR-VALID both take KPR_IPL:iiKomnr and cannot go "
     "in one document (1 in this output)"),
    ({"IDE-ORPHAN": 1, "PE-PEID-FORMAT": 2},
     "--defects: IDE-ORPHAN and PE-PEID-FORMAT both take person keys"),
])
def test_bad_defect_requests_are_refused_with_a_clear_message(defects: dict[str, int],
                                                              message: str) -> None:
    spec = GenerationSpec("0301", 2019, 10, defects=defects)
    with pytest.raises(ConfigError) as caught:
        GenerationRun(spec)
    assert str(caught.value).startswith(message)


def test_a_rule_not_injectable_in_one_generation_says_why() -> None:
    spec = GenerationSpec("0301", 2018, 10, generation=Generation.ANNUAL_2018,
                          defects={"IDE-REAL-ID": 1})
    with pytest.raises(ConfigError, match=r"rule IDE-REAL-ID cannot be injected in generation "
                                          r"2018: the real-looking number must be born in the "
                                          r"future"):
        GenerationRun(spec)


def test_a_rule_for_another_generation_is_refused() -> None:
    spec = GenerationSpec("0301", 2022, 10, generation=Generation.EVENT_56,
                          defects={"TJ-TIMERUKE-RANGE": 1})
    with pytest.raises(ConfigError, match=r"rule TJ-TIMERUKE-RANGE has no injector for "
                                          r"generation 56 \(it applies to 2018, 2019\)"):
        GenerationRun(spec)


def test_header_defects_spread_over_the_messages_and_no_further() -> None:
    spec = GenerationSpec("0301", 2022, 40, seed=2, generation=Generation.EVENT_56,
                          messages=2, defects={"XSD-HEADER": 2, "EV-KOMMUNENR": 1,
                                               "EV-KOMMUNE-VALID": 1})
    out = run(spec)
    per_document = Counter(d["document"] for d in out.manifest["defects"])
    assert sorted(per_document.values()) == [2, 2]
    assert _found(out, Generation.EVENT_56) == _injected(out)
    with pytest.raises(ConfigError, match=r"XSD-HEADER=3: at most 2 in this output"):
        GenerationRun(GenerationSpec("0301", 2022, 40, seed=2, generation=Generation.EVENT_56,
                                     messages=2, defects={"XSD-HEADER": 3}))
    with pytest.raises(ConfigError, match="EV-KOMMUNE-DUPLICATE and EV-KOMMUNENR both take "
                                          "kommuneNr and cannot go in one document"):
        GenerationRun(GenerationSpec("0301", 2022, 40, seed=2, generation=Generation.EVENT_56,
                                     defects={"EV-KOMMUNENR": 1, "EV-KOMMUNE-DUPLICATE": 1}))


def test_the_last_notification_takes_one_defect_of_its_kind() -> None:
    with pytest.raises(ConfigError, match=r"EV-GUID-DUPLICATE=2: at most 1 \(it goes on the "
                                          r"last notification"):
        GenerationRun(GenerationSpec("0301", 2022, 10, generation=Generation.EVENT_56,
                                     defects={"EV-GUID-DUPLICATE": 2}))


def test_a_registered_rule_without_injector_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(D.INJECTORS, "XSD-ROW")
    with pytest.raises(ConfigError, match="rule XSD-ROW has no defect injector yet"):
        GenerationRun(GenerationSpec("0301", 2019, 10, defects={"XSD-ROW": 1}))


def test_too_few_hosts_is_an_error_not_a_silent_shortfall() -> None:
    spec = GenerationSpec("0301", 2019, 2, seed=3, defects={"XML-STRUCTURE": 3})
    with pytest.raises(ConfigError, match="not enough places for XML-STRUCTURE in 2 persons"):
        GenerationRun(spec)
    # The first person and its identity stay, so that neither file is left without rows.
    for rule_id in ("PE-IDENT-MISSING", "IDE-ORPHAN"):
        spec = GenerationSpec("0301", 2019, 2, seed=3, defects={rule_id: 2})
        with pytest.raises(ConfigError, match=f"not enough places for {rule_id} in 2 persons"):
            GenerationRun(spec)
    spec = GenerationSpec("0301", 2022, 3, seed=3, generation=Generation.EVENT_56,
                          defects={"EV-CHAIN": 40})
    with pytest.raises(ConfigError, match="not enough places for EV-CHAIN in the "
                                          "notifications of 3 persons"):
        GenerationRun(spec)


@pytest.mark.parametrize(("text", "message"), [
    ("TJ-TIMERUKE-RANGE", "'TJ-TIMERUKE-RANGE' is not RULE_ID=N"),
    ("TJ-TIMERUKE-RANGE=x", "TJ-TIMERUKE-RANGE='x': N must be a whole number"),
    ("XSD-ROW=1,XSD-ROW=2", "XSD-ROW given twice"),
    (" , ", "empty"),
])
def test_defect_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        D.parse_defects(text, Generation.ANNUAL_2019)


def test_the_documentation_names_every_rule_and_how_it_is_injected() -> None:
    """docs/generator.md has a row for each injector and names each non-injectable rule."""
    text = (Path(__file__).parents[2] / "docs" / "generator.md").read_text(encoding="utf-8")
    section = text[text.index("## Defects"):text.index("## Speed and memory")]
    for rule_id, injectors in D.INJECTORS.items():
        for found in injectors:
            assert f"| {rule_id} |" in section, rule_id
            assert found.description in section, rule_id
    for rule_id in [*D.NOT_INJECTABLE, *(rule for rule, _ in D.NOT_INJECTABLE_IN)]:
        assert rule_id in section, rule_id
