"""A readable verdict for a pilot send, and its exit code."""

from __future__ import annotations

from typing import Any

from mockkpr.client.sender import Answer
from mockkpr.envelope import Status

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_TRANSPORT = 2


def exit_code(answer: Answer) -> int:
    """0 for AppRec status 1 (OK); 1 for status 2 (rejected) or 3 (rows rejected); 2 for a
    transport error, an invalid receipt or no answer."""
    if answer.kind != "apprec":
        return EXIT_TRANSPORT
    return EXIT_OK if answer.status is Status.OK else EXIT_REJECTED


def describe(answer: Answer, *, feedback_url: str | None = None) -> str:
    """The verdict as lines a municipal IT person can read (Norwegian terms kept)."""
    sent = answer.sent
    lines = [f"Sent {sent.msg_type} ({sent.size} bytes"
             + (f" in {sent.parts} parts" if sent.parts > 1 else "")
             + f", message-id {sent.message_id}, MsgId {sent.msg_id})"]
    if answer.kind == "apprec" and answer.apprec is not None:
        apprec = answer.apprec
        verdict = {Status.OK: "ACCEPTED", Status.AVVIST: "REJECTED",
                   Status.OK_FEIL_I_DELMELDING: "ACCEPTED WITH ERRORS"}[apprec.status]
        lines.append(f"AppRec {apprec.version} after {answer.elapsed:.2f} s: {verdict} "
                     f"(status {apprec.status.value} {apprec.status.text})")
        for error in apprec.errors:
            lines.append(f"  {error.code} {error.text or ''}: {error.detail or ''}")
    elif answer.kind == "transport-error":
        lines.append(f"Transport error after {answer.elapsed:.2f} s: {answer.error_condition}"
                     f" - {answer.error_description}")
        for item in answer.error_data:
            lines.append(f"  {item}")
    elif answer.kind == "invalid-apprec":
        lines.append(f"A receipt came back but cannot be trusted: {answer.problem}")
    else:
        lines.append(f"No answer within {answer.elapsed:.1f} s")
    if feedback_url and answer.kind == "apprec":
        lines.append(f"Detailed feedback (all findings): {feedback_url}")
    return "\n".join(lines) + "\n"


def as_json(answer: Answer) -> dict[str, Any]:
    """The verdict as a JSON object (``mockkpr send --json``)."""
    apprec = answer.apprec
    return {
        "kind": answer.kind,
        "exit_code": exit_code(answer),
        "message_id": answer.sent.message_id,
        "msg_id": answer.sent.msg_id,
        "msg_type": answer.sent.msg_type,
        "parts": answer.sent.parts,
        "elapsed_seconds": round(answer.elapsed, 3),
        "status": apprec.status.value if apprec else None,
        "errors": [{"code": e.code, "text": e.text, "detail": e.detail}
                   for e in (apprec.errors if apprec else ())],
        "error_condition": answer.error_condition,
        "error_description": answer.error_description,
        "error_data": list(answer.error_data),
        "problem": answer.problem,
    }
