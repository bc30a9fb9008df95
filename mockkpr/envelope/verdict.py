"""THE mapping from a validation report to the outcome an AppRec carries (and a few more).

:func:`receipt_outcome` is the one place that decides a receipt's status and errors:

- **rejected** (a finding with consequence 1, reject the message): status ``2`` *Avvist*;
  the errors are the findings that reject the message;
- **accepted with row or value consequences** (2 reject row, 5 set to -1, 7 set to NULL):
  status ``3`` *OK, feil i delmelding*; the errors are those findings;
- **otherwise** (only consequence 9, report only, or no findings): status ``1`` *OK*, no
  errors. KPR wants data sent even when incomplete, so report-only deficiencies do not make
  the receipt negative; they reach the sender through the detailed feedback (docs/receipts.md).

Each error: ``V`` = the 8221 code of the finding's rule (``Rule.apprec_code``: T99 unless the
rule names another; a rule missing from the registry or an unknown code gives T99), ``DN`` =
that code's text, ``OT`` = ``"{location}: {rule id}: {Norwegian message} (verdi {value})"``.
The first ``max_errors`` findings (in report order) are listed one by one; the rest become one
error per rule, ``"{rule id}: {message} (+N more ...)"``, counted from the report's totals,
so findings beyond the report's ``max_findings`` are counted too.

:func:`certificate_outcome` and :func:`envelope_outcome` give the outcome for problems found
before validation (certificate or signature, envelope) when they are answered with an AppRec.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from mockkpr.envelope.apprec import ReceiptError, ReceiptOutcome
from mockkpr.envelope.codes import CERTIFICATE_CODES, ErrorCode, Status
from mockkpr.envelope.problems import EnvelopeProblem
from mockkpr.iplos.findings import Consequence, Finding, Report
from mockkpr.iplos.rules.registry import REGISTRY, RuleRegistry

#: Consequences listed in a receipt that accepts the message (status 3).
PARTIAL = frozenset({Consequence.REJECT_ROW, Consequence.SET_MINUS_ONE, Consequence.SET_NULL})
REJECTING = frozenset({Consequence.REJECT_MESSAGE})
#: Values longer than this are cut in OT (the detailed feedback has them in full).
MAX_VALUE_CHARS = 60


def receipt_outcome(report: Report, *, max_errors: int = 50,
                    registry: RuleRegistry = REGISTRY) -> ReceiptOutcome:
    """The AppRec status and errors for ``report`` (rules in the module docstring)."""
    if max_errors < 0:
        raise ValueError("max_errors must not be negative")
    if not report.accepted:
        status, listed_consequences = Status.AVVIST, REJECTING
    elif any(report.totals_per_consequence[c] for c in PARTIAL):
        status, listed_consequences = Status.OK_FEIL_I_DELMELDING, PARTIAL
    else:
        return ReceiptOutcome(Status.OK)

    relevant = [f for f in report.findings if f.consequence in listed_consequences]
    listed = relevant[:max_errors]
    errors = [_finding_error(f, registry) for f in listed]
    errors += _aggregates(report, relevant, Counter(f.rule_id for f in listed),
                          listed_consequences, registry)
    if not errors:  # counted but neither kept nor known: still say why
        errors.append(ReceiptError(ErrorCode.X99, "message rejected; see the detailed feedback"
                                   if status is Status.AVVIST else
                                   "findings; see the detailed feedback"))
    return ReceiptOutcome(status, tuple(errors))


def _finding_error(finding: Finding, registry: RuleRegistry) -> ReceiptError:
    text = f"{finding.rule_id}: {finding.message_no}"
    if finding.value is not None:
        value = finding.value
        if len(value) > MAX_VALUE_CHARS:
            value = value[: MAX_VALUE_CHARS - 1] + "…"
        text += f" (verdi {value})"
    return ReceiptError(apprec_code(finding.rule_id, registry), text, finding.location or None)


def _aggregates(report: Report, relevant: Iterable[Finding], shown: Counter[str],
                consequences: frozenset[Consequence],
                registry: RuleRegistry) -> list[ReceiptError]:
    """One error per rule for the findings of ``consequences`` not listed one by one."""
    kept: dict[str, Finding] = {}
    for finding in relevant:
        kept.setdefault(finding.rule_id, finding)
    errors = []
    for rule_id in sorted(report.totals_per_rule):
        consequence, message = _rule_facts(rule_id, kept.get(rule_id), registry)
        rest = report.totals_per_rule[rule_id] - shown[rule_id]
        if consequence not in consequences or rest <= 0:
            continue
        more = f"(+{rest} more not listed here; all are in the detailed feedback)"
        errors.append(ReceiptError(apprec_code(rule_id, registry),
                                   f"{rule_id}: {message} {more}" if message
                                   else f"{rule_id}: {more}"))
    return errors


def _rule_facts(rule_id: str, example: Finding | None,
                registry: RuleRegistry) -> tuple[Consequence | None, str]:
    """A rule's consequence and Norwegian message: from a kept finding, else the registry."""
    if example is not None:
        return example.consequence, example.message_no
    if rule_id in registry:
        rule = registry[rule_id]
        return rule.consequence, rule.message_no
    return None, ""


def apprec_code(rule_id: str, registry: RuleRegistry = REGISTRY) -> ErrorCode:
    """The 8221 code a finding of ``rule_id`` gets: the rule's ``apprec_code``, else T99."""
    if rule_id not in registry:
        return ErrorCode.T99
    try:
        return ErrorCode(registry[rule_id].apprec_code)
    except ValueError:
        return ErrorCode.T99


def certificate_outcome(apprec_code: ErrorCode | str, text: str) -> ReceiptOutcome:
    """A rejection for a signature or certificate problem answered with an AppRec.

    ``apprec_code`` is S01 (signature), S02 (invalid certificate), S03 (revoked) or S99
    (other certificate problem); ``text`` goes to OT.
    """
    code = ErrorCode(apprec_code)
    if code not in CERTIFICATE_CODES:
        raise ValueError(f"{code} is not a certificate code; expected one of "
                         f"{', '.join(sorted(CERTIFICATE_CODES))}")
    return ReceiptOutcome(Status.AVVIST, (ReceiptError(code, text),))


def envelope_outcome(problems: Iterable[EnvelopeProblem]) -> ReceiptOutcome:
    """A rejection listing envelope problems, for when they are answered with an AppRec."""
    errors = tuple(ReceiptError(p.code, p.text, p.location) for p in problems)
    if not errors:
        raise ValueError("an envelope outcome needs at least one problem")
    return ReceiptOutcome(Status.AVVIST, errors)
