"""``mockkpr send --http`` as a function: send a file over the HTTP route, read the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mockkpr.client.kneik import HttpAnswer, KneikClient
from mockkpr.client.pilot import read_document
from mockkpr.registry import Registry

_VERDICTS = {"accepted": "ACCEPTED", "partial": "ACCEPTED WITH ERRORS",
             "rejected": "REJECTED"}


def describe(answer: HttpAnswer, *, control_url: str | None = None) -> str:
    """The answer and the verdict as lines a municipal IT person can read."""
    lines = [f"Sent IPLOS 56.0.0 over HTTP ({answer.size} bytes, messageId {answer.message_id}"
             + (f", {answer.attempts} attempts" if answer.attempts > 1 else "") + ")"]
    body = answer.body
    if answer.status is None:
        lines.append(f"No answer within {answer.elapsed:.1f} s ({answer.problem})")
    elif answer.status == 200:
        lines.append(f"HTTP 200 after {answer.elapsed:.2f} s: received, refId {answer.ref_id}")
    elif answer.status == 400:
        lines.append(f"HTTP 400 after {answer.elapsed:.2f} s: not received, validationCode "
                     f"{body.get('validationCode')}: {body.get('validationMessage')}")
    elif "errorCode" in body:
        lines.append(f"HTTP {answer.status} after {answer.elapsed:.2f} s: errorCode "
                     f"{body.get('errorCode')}: {body.get('errorMessage')}")
    else:
        lines.append(f"HTTP {answer.status} after {answer.elapsed:.2f} s: "
                     f"{body.get('error_description') or body.get('error') or body}")
    verdict = answer.verdict
    if verdict is not None:
        outcome = str(verdict.get("outcome"))
        lines.append(f"Verdict: {_VERDICTS.get(outcome, outcome.upper())} ({outcome})")
        for finding in (verdict.get("report") or {}).get("findings", []):
            message = (finding.get("message") or {}).get("en", "")
            lines.append(f"  {finding.get('rule_id')} {finding.get('location')}: {message}")
        if control_url and answer.ref_id:
            lines.append(f"Journal entry: {control_url}/api/messages/{answer.ref_id}")
            web = (verdict.get("links") or {}).get("web")
            if isinstance(web, str):
                lines.append(f"Web view: {control_url}{web}")
    elif answer.status == 200 and answer.problem:
        lines.append(f"Verdict unknown: {answer.problem}")
    return "\n".join(lines) + "\n"


def as_json(answer: HttpAnswer, *, code: int) -> dict[str, Any]:
    """The answer and verdict as one JSON object (``--json``)."""
    report = (answer.verdict or {}).get("report") or {}
    return {
        "route": "http", "exit_code": code, "message_id": answer.message_id,
        "status": answer.status, "ref_id": answer.ref_id, "attempts": answer.attempts,
        "elapsed_seconds": round(answer.elapsed, 3), "answer": answer.body,
        "outcome": answer.outcome, "findings": report.get("findings", []),
        "problem": answer.problem,
    }


def pilot_send_http(file: Path, *, url: str, registry: Registry, from_her_id: int,
                    to_her_id: int, timeout: float, authority: str | None = None,
                    control_url: str | None = None, control_token: str | None = None,
                    json_output: bool = False,
                    client_class: type[KneikClient] = KneikClient) -> tuple[int, str]:
    """Send ``file`` over the HTTP route; (exit code, text). Exit codes as ``mockkpr send``:
    0 accepted, 1 rejected or rows rejected, 2 not received or no verdict. ``client_class``
    is the client (the conformance suite's broken senders are subclasses)."""
    document = read_document(file)
    with client_class(url, registry, from_her_id, to_her_id=to_her_id, authority=authority,
                      control_url=control_url, control_token=control_token) as client:
        answer = client.submit(document, timeout=timeout)
        if answer.status == 200:
            client.verdict(answer)
        code = client.exit_code(answer)
    if json_output:
        return code, json.dumps(as_json(answer, code=code), indent=2) + "\n"
    return code, describe(answer, control_url=control_url)
