"""A readable verdict for a pilot send, and its exit code."""

from __future__ import annotations

from typing import Any

from mockkpr.client.sender import EXIT_OK, EXIT_REJECTED, EXIT_TRANSPORT, Answer, exit_code
from mockkpr.envelope import Status

__all__ = ["EXIT_OK", "EXIT_REJECTED", "EXIT_TRANSPORT", "as_json", "describe", "exit_code"]


def describe(answer: Answer, *, feedback_url: str | None = None) -> str:
    """The verdict as lines a municipal IT person can read (Norwegian terms kept)."""
    sent = answer.sent
    lines = [f"Sent {sent.msg_type} ({sent.size} bytes"
             + (f" in {sent.parts} parts" if sent.parts > 1 else "")
             + f", message-id {sent.message_id}, MsgId {sent.msg_id})"]
    if answer.kind == "apprec" and answer.apprec is not None:
        apprec = answer.apprec
        verdict = {Status.OK: "ACCEPTED", Status.AVVIST: "REJECTED",
                   Status.OK_FEIL_I_DELMELDING: "ACCEPTED WITH ERRORS",
                   None: "UNKNOWN STATUS"}[apprec.status]
        text = apprec.status.text if apprec.status is not None else apprec.status_text or ""
        lines.append(f"AppRec {apprec.version} after {answer.elapsed:.2f} s: {verdict} "
                     f"(status {apprec.status_code} {text})")
        for error in apprec.errors:
            lines.append(f"  {error.code} {error.text or ''}: {error.detail or ''}")
    elif answer.kind == "transport-error":
        lines.append(f"Transport error after {answer.elapsed:.2f} s: {answer.error_condition}"
                     f" - {answer.error_description}")
        for item in answer.error_data:
            lines.append(f"  {item}")
    elif answer.kind == "invalid-apprec":
        lines.append(f"A receipt came back but cannot be trusted: {answer.problem}")
    elif answer.kind == "refused":
        lines.append(f"The service bus refused the message: {answer.problem}")
    elif answer.kind == "undelivered":
        lines.append(f"The message could not be delivered: {answer.problem}")
    else:
        lines.append(f"No answer within {answer.elapsed:.1f} s"
                     + (f" ({answer.problem})" if answer.problem else ""))
    if feedback_url and answer.kind == "apprec":
        lines.append(f"Detailed feedback (all findings): {feedback_url}")
    return "\n".join(lines) + "\n"


def as_json(answer: Answer, *, code: int | None = None) -> dict[str, Any]:
    """The verdict as a JSON object (``mockkpr send --json``); ``code``: the exit code, when
    not :func:`exit_code`'s."""
    apprec = answer.apprec
    return {
        "kind": answer.kind,
        "exit_code": exit_code(answer) if code is None else code,
        "message_id": answer.sent.message_id,
        "msg_id": answer.sent.msg_id,
        "msg_type": answer.sent.msg_type,
        "parts": answer.sent.parts,
        "elapsed_seconds": round(answer.elapsed, 3),
        "status": apprec.status_code if apprec else None,
        "errors": [{"code": e.code, "text": e.text, "detail": e.detail}
                   for e in (apprec.errors if apprec else ())],
        "error_condition": answer.error_condition,
        "error_description": answer.error_description,
        "error_data": list(answer.error_data),
        "problem": answer.problem,
    }
