"""The readable HTML report of a certification run (``report.html``), one self-contained page.

Rendered with Jinja2 from ``templates/report.html.j2`` with autoescaping on: everything that
comes from the sender (its output, message ids, values it sent) is data, never markup.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from mockkpr.conformance.harness import Certification
from mockkpr.conformance.judge import NOTHING_ARRIVED as NOTHING_ARRIVED_ON
from mockkpr.conformance.model import Group, requirements
from mockkpr.conformance.report_json import summary

TEMPLATE = "report.html.j2"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("mockkpr.conformance", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(certification: Certification, *, signer: dict[str, str] | None = None) -> str:
    """The page; ``signer`` (subject and fingerprint) names who signed the evidence."""
    s = summary(certification)
    groups = [{"heading": g.heading, "cases": [c for c in s["cases"] if c["group"] == g.value]}
              for g in Group]
    exit_code = s["verdict"]["exit_code"]
    verdicts: dict[int, tuple[str, str]] = {0: ("passed", "PASSED"), 1: ("failed", "FAILED")}
    # the cases of a report, in catalogue order, keep their status labels readable
    s["status_label"] = {"not-judged": "not judged"}
    verdict = verdicts.get(exit_code,
                           ("error", "NOT JUDGED: the harness could not judge every case"))
    early = [one for one in s["sends"] if one["messages"] == 0
             and one["first_failing_requirement"] in NOTHING_ARRIVED_ON.values()]
    return _environment().get_template(TEMPLATE).render(
        s=s, groups=[g for g in groups if g["cases"]], verdict_class=verdict[0],
        verdict_text=verdict[1], signer=signer, early=early,
        requirement_text={r.id: f"{r.level.value}: {r.text} ({r.source})"
                          for r in requirements().values()})
