"""The JSON summary of a certification run (``summary.json``).

Its shape is ``docs/conformance-summary.schema.json``, version :data:`SCHEMA_VERSION`: fields
may be added in later versions of the same number; none is removed or changes meaning without
a new ``schema_version``. Paths under ``evidence`` name files in the evidence bundle.
"""

from __future__ import annotations

import json
from typing import Any

from mockkpr.conformance.harness import CaseResult, Certification, Execution
from mockkpr.conformance.judge import SendRecord
from mockkpr.conformance.model import requirements

SCHEMA_VERSION = "2"
SCHEMA_ID = "urn:mockkpr:conformance-summary:2"
#: Sender output kept in the summary per stream (the bundle keeps all of it).
OUTPUT_LIMIT = 4000


def run_dir(execution: Execution) -> str:
    """The bundle directory of a run's evidence."""
    return f"runs/{execution.run.name}"


def evidence_of(executions: tuple[Execution, ...]) -> list[str]:
    """The bundle files behind every execution a case was judged on."""
    return [p for execution in executions for p in evidence_paths(execution)]


def evidence_paths(execution: Execution) -> list[str]:
    """The bundle files that hold a run's evidence (see :mod:`mockkpr.conformance.bundle`)."""
    base = run_dir(execution)
    paths = [f"{base}/run.json", f"{base}/log.txt"]
    obs = execution.observations
    if obs is None:
        return paths
    paths += [f"{base}/sender/{send.document.role.value}.json" for send in obs.sends]
    for message in obs.messages:
        entry = message.entry
        paths.append(f"{base}/messages/{entry.id:05d}.json")
        if entry.payload is not None:
            paths.append(f"{base}/messages/{entry.id:05d}.payload.xml")
        paths += [f"{base}/answers/{entry.id:05d}-{n}-{answer.kind}.der"
                  for n, answer in enumerate(entry.answers) if answer.message.body]
    return paths


def _clip(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[...]"


def send_json(record: SendRecord) -> dict[str, Any]:
    """One send: the task and how it ended."""
    outcome = record.outcome
    return {
        "document": record.document.role.value, "file": record.document.name,
        "receipt_timeout": record.task.timeout, "seconds": round(record.seconds, 3),
        "exit_code": outcome.exit_code if outcome else None,
        "stdout": _clip(outcome.stdout) if outcome else None,
        "stderr": _clip(outcome.stderr) if outcome else None,
        "failure": record.failure, "error": record.error,
    }


def case_json(result: CaseResult) -> dict[str, Any]:
    """One case's result."""
    case, execution = result.case, result.execution
    sends = execution.observations.sends if execution.observations else ()
    return {
        "id": case.id, "title": case.title, "group": case.group.value,
        "level": case.level.value, "requirements": list(case.requirements),
        "status": result.status.value, "run": case.run.name, "route": case.route.value,
        "also_runs": [e.run.name for e in result.also],
        "seconds": round(execution.seconds, 3), "error": result.error,
        "checks": [check.as_json() for check in result.checks],
        "sends": [send_json(s) for s in sends],
        "evidence": evidence_of(result.executions),
    }


def execution_json(execution: Execution) -> dict[str, Any]:
    """One run's execution: what was done and how long it took."""
    obs = execution.observations
    return {
        "name": execution.run.name, "summary": execution.run.summary,
        "scenario": obs.scenario.name if obs and obs.scenario else None,
        "started_at": execution.started_at.isoformat(),
        "seconds": round(execution.seconds, 3), "error": execution.error,
        "messages": len(obs.messages) if obs else 0,
        "firings": len(obs.firings) if obs else 0,
    }


def summary(certification: Certification) -> dict[str, Any]:
    """The summary document."""
    from mockkpr.conformance.coverage import of_certification
    from mockkpr.conformance.rootcause import root_causes, stories

    c = certification
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mockkpr", "version": c.tool_version},
        "suite": {"digest": c.suite_digest, "requirements": len(requirements()),
                  "cases": len(c.results)},
        "run": {"id": c.run_id, "started_at": c.started_at.isoformat(),
                "finished_at": c.finished_at.isoformat(), "seconds": round(c.seconds, 3),
                "seed": c.seed, "mode": c.mode, "sender": c.sender, "endpoint": c.endpoint},
        "verdict": {"passed": c.exit_code == 0, "exit_code": c.exit_code,
                    "counts": c.counts(), "max_time": c.max_time, "capped": c.capped},
        "root_causes": [cause.as_json() for cause in root_causes(c)],
        "coverage": of_certification(c).as_json(),
        "sends": [one.as_json() for one in stories(c.executions.values())],
        "cases": [case_json(r) for r in c.results],
        "runs": [execution_json(e) for e in c.executions.values()],
    }


def render(certification: Certification) -> str:
    """``summary.json``'s text."""
    return json.dumps(summary(certification), indent=2, ensure_ascii=False) + "\n"
