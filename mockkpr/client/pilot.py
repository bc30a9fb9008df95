"""What ``mockkpr send`` does, as a function: send a file, and the verdict with its exit code.

The command line (:mod:`mockkpr.cli.send`) and the conformance suite's in-process senders
(:mod:`mockkpr.conformance.senders`) both run :func:`pilot_send`, so the reference sender the
suite certifies is exactly the command vendors can try.
"""

from __future__ import annotations

import json
from pathlib import Path

from mockkpr.client.sender import KprClient
from mockkpr.client.verdict import as_json, describe
from mockkpr.errors import InputError
from mockkpr.registry import Registry


def read_document(file: Path) -> bytes:
    """The bytes of ``file``; :class:`~mockkpr.errors.InputError` when it cannot be read."""
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror})") from None


def pilot_send(
    file: Path,
    *,
    url: str,
    registry: Registry,
    from_her_id: int,
    to_her_id: int,
    timeout: float,
    msg_type: str | None = None,
    split_bytes: int = 1 << 20,
    json_output: bool = False,
    client_class: type[KprClient] = KprClient,
) -> tuple[int, str]:
    """Send ``file`` to KPR and wait for its answer: (exit code, verdict text).

    Exit codes: 0 AppRec OK; 1 AppRec rejected or rows rejected; 2 transport error, refused
    or undelivered message, no or untrustworthy answer. Unusable input or a connection that
    cannot be made raises :class:`~mockkpr.errors.MockKprError` (the command line's exit 2).
    ``client_class`` is :class:`KprClient` or a subclass of it.
    """
    document = read_document(file)
    with client_class(url, registry, from_her_id, to_her_id=to_her_id,
                      split_bytes=split_bytes) as client:
        answer = client.send_and_wait(document, timeout=timeout, msg_type=msg_type)
        code = client.exit_code(answer)
    if json_output:
        return code, json.dumps(as_json(answer, code=code), indent=2) + "\n"
    return code, describe(answer)
