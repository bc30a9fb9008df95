"""Defects on request: the validator finds exactly the injected defects, no more, no fewer."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkpr.errors import ConfigError
from mockkpr.generator import defects as D
from mockkpr.generator.api import GenerationRun
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos import validate
from mockkpr.iplos.findings import Report
from mockkpr.iplos.formats import Generation
from mockkpr.iplos.rules import REGISTRY
from tests.generator.helpers import Output, run

YEAR = {Generation.ANNUAL_2018: 2018, Generation.ANNUAL_2019: 2019, Generation.EVENT_56: 2022}


def _reports(out: Output, generation: Generation) -> list[Report]:
    if generation is Generation.EVENT_56:
        return [validate(data, name=name) for name, data in sorted(out.documents.items())]
    return [validate(out.only("KPR_IPL"), identity=out.only("KPR_IDE"))]


def _found(out: Output, generation: Generation) -> Counter[tuple[str, str]]:
    return Counter((f.rule_id, f.location) for r in _reports(out, generation)
                   for f in r.findings)


def _injected(out: Output) -> Counter[tuple[str, str]]:
    return Counter((d["rule"], d["location"]) for d in out.manifest["defects"])


def test_every_registered_rule_is_injectable_or_says_why_not() -> None:
    """The meta-test: a rule the validator knows has an injector, or is listed in
    NOT_INJECTABLE with its reason. (Rules added later need an injector with them.)"""
    missing = sorted(r.id for r in REGISTRY if r.id not in D.INJECTORS
                     and r.id not in D.NOT_INJECTABLE)
    assert missing == []
    assert set(D.NOT_INJECTABLE) <= {r.id for r in REGISTRY}
    assert set(D.INJECTORS) <= {r.id for r in REGISTRY}
    for rule_id, injectors in D.INJECTORS.items():
        applies = REGISTRY[rule_id].generations
        for found in injectors:
            assert found.generations <= applies, rule_id


def _combinable(generation: Generation) -> list[str]:
    return sorted(D.parse_defects("all", generation))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), generation=st.sampled_from(list(Generation)),
       data=st.data())
def test_validator_finds_exactly_the_injected_defects(seed: int, generation: Generation,
                                                      data: st.DataObject) -> None:
    rules = _combinable(generation)
    chosen = data.draw(st.lists(st.sampled_from(rules), min_size=0, max_size=len(rules),
                                unique=True))
    defects = {}
    for rule_id in chosen:
        found = D.injector_for(rule_id, generation)
        assert found is not None
        most = 1 if (found.per_document or found.last_only) else 3
        defects[rule_id] = data.draw(st.integers(1, most))
    spec = GenerationSpec("0301", YEAR[generation], 25, seed=seed, generation=generation,
                          defects=defects)
    out = run(spec)
    assert _found(out, generation) == _injected(out)
    assert sum(_injected(out).values()) == sum(defects.values())
    values = {(d["rule"], d["location"]): d["value"] for d in out.manifest["defects"]}
    for report in _reports(out, generation):
        for finding in report.findings:
            if values[(finding.rule_id, finding.location)] is not None:
                assert finding.value == values[(finding.rule_id, finding.location)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), generation=st.sampled_from(list(Generation)))
def test_without_defects_there_is_no_finding_at_all(seed: int, generation: Generation) -> None:
    out = run(GenerationSpec("1103", YEAR[generation], 40, seed=seed, generation=generation))
    assert _found(out, generation) == Counter()


@pytest.mark.parametrize("generation", list(Generation))
@pytest.mark.parametrize("rule_id", ["XML-DOCTYPE", "XML-UNKNOWN-FORMAT", "XML-NOT-WELL-FORMED"])
def test_exclusive_defects_alone_give_exactly_their_finding(rule_id: str,
                                                            generation: Generation) -> None:
    spec = GenerationSpec("0301", YEAR[generation], 20, seed=1, generation=generation,
                          defects={rule_id: 1})
    out = run(spec)
    assert _found(out, generation) == _injected(out) == Counter({(rule_id, "/"): 1})


@pytest.mark.parametrize(("defects", "message"), [
    ({"NO-SUCH-RULE": 1}, "--defects: unknown rule NO-SUCH-RULE (the validator knows "),
    ({"TJ-TIMERUKE-RANGE": 0}, "--defects: TJ-TIMERUKE-RANGE=0: N must be 1 or more"),
    ({"XML-EMPTY": 1}, "--defects: rule XML-EMPTY cannot be injected: an empty file has no "
                       "content to generate"),
    ({"XML-TOO-LARGE": 1}, "--defects: rule XML-TOO-LARGE cannot be injected: depends on the "
                           "receiver's max_payload_bytes setting"),
    ({"XML-DOCTYPE": 2}, "--defects: XML-DOCTYPE makes the document unreadable and hides every "
                         "other finding: request it alone, as XML-DOCTYPE=1"),
    ({"XML-DOCTYPE": 1, "XSD-ROW": 1}, "--defects: XML-DOCTYPE makes the document unreadable"),
    ({"XSD-HEADER": 2}, "--defects: XSD-HEADER=2: at most 1 in this output (1 per document)"),
])
def test_bad_defect_requests_are_refused_with_a_clear_message(defects: dict[str, int],
                                                              message: str) -> None:
    spec = GenerationSpec("0301", 2019, 10, defects=defects)
    with pytest.raises(ConfigError) as caught:
        GenerationRun(spec)
    assert str(caught.value).startswith(message)


def test_a_rule_for_another_generation_is_refused() -> None:
    spec = GenerationSpec("0301", 2022, 10, generation=Generation.EVENT_56,
                          defects={"TJ-TIMERUKE-RANGE": 1})
    with pytest.raises(ConfigError, match=r"rule TJ-TIMERUKE-RANGE has no injector for "
                                          r"generation 56 \(it applies to 2018, 2019\)"):
        GenerationRun(spec)


def test_a_registered_rule_without_injector_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(D.INJECTORS, "XSD-ROW")
    with pytest.raises(ConfigError, match="rule XSD-ROW has no defect injector yet"):
        GenerationRun(GenerationSpec("0301", 2019, 10, defects={"XSD-ROW": 1}))


def test_too_few_hosts_is_an_error_not_a_silent_shortfall() -> None:
    spec = GenerationSpec("0301", 2019, 2, seed=3, defects={"XML-STRUCTURE": 3})
    with pytest.raises(ConfigError, match="not enough places for XML-STRUCTURE in 2 persons"):
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


def test_all_means_one_of_each_combinable_rule() -> None:
    """'all' asks for one of every registered rule with a non-exclusive injector for the
    generation, and leaves out the exclusive ones."""
    for generation in Generation:
        chosen = D.parse_defects("all", generation)
        assert set(chosen.values()) == {1}
        assert {"XML-STRUCTURE", "XSD-HEADER", "XSD-ROW"} <= set(chosen)
        assert not {"XML-DOCTYPE", "XML-UNKNOWN-FORMAT", "XML-NOT-WELL-FORMED", "XML-EMPTY",
                    "XML-TOO-LARGE"} & set(chosen)
    assert "TJ-TIMERUKE-RANGE" in D.parse_defects("all", Generation.ANNUAL_2018)
    assert "TJ-TIMERUKE-RANGE" not in D.parse_defects("all", Generation.EVENT_56)
