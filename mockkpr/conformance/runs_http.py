"""What the harness makes an HTTP sender do: the runs of the HTTP route's cases.

Each run sends one synthetic 56.0.0 event message (the only message type the API takes that
mockkpr checks) to KPR's HTTP API, with a packaged HTTP scenario armed or none
(:mod:`mockkpr.faults.library`, ``http-*``). Every run starts from a reset journal, and every
message is the first of its event stream, so it can be sent in every run.
"""

from __future__ import annotations

from mockkpr.conformance.model import Data, Prepare, Role, Route, Run, Send
from mockkpr.iplos import Generation

#: The receipt timeout (seconds) of a send that must give up (the token endpoint stays down)
#: or that must not send again (a 400): a sender that keeps trying is stopped by it.
SHORT_TIMEOUT = 3.0
#: The Retry-After (seconds) of the packaged http-unavailable and http-too-many-requests.
RETRY_AFTER = 2
#: The validationCode the http-bad-request scenario answers (the sender must show it).
REFUSED_CODE = "1234"

_EVENT = Data(Generation.EVENT_56, year=2024, persons=5)


def _run(name: str, scenario: str | None, summary: str, *, timeout: float | None = None,
         quiet: float = 0.2) -> Run:
    return Run(name, summary, Prepare(_EVENT, scenario), (Send(Role.IPLOS, timeout),),
               quiet=quiet, route=Route.HTTP)


HTTP_BASELINE = _run("http-baseline", None, "send a 56.0.0 event message over HTTP; no fault")
LOST_ANSWER = _run("http-lost-answer", "http-lost-answer",
                   "the message is received, then answered 500 (errorCode 1002): the answer "
                   "is lost; every later request is recorded by a 10 ms pause", quiet=1.0)
UNAVAILABLE = _run("http-unavailable", "http-unavailable",
                   f"the first submission is answered 503 with Retry-After: {RETRY_AFTER}")
TOO_MANY = _run("http-too-many-requests", "http-too-many-requests",
                f"the first submission is answered 429 with Retry-After: {RETRY_AFTER}")
EXPIRED_TOKEN = _run("http-expired-token", "http-expired-token",
                     "the access token of the first submission expires (401 invalid_token)")
TOKEN_DOWN = _run("http-token-endpoint-down", "http-token-endpoint-down",
                  "HelseID's token endpoint answers 503 (Retry-After: 1) to every request",
                  timeout=SHORT_TIMEOUT)
BAD_REQUEST = _run("http-bad-request", "http-bad-request",
                   f"every submission is answered 400 (validationCode {REFUSED_CODE})",
                   timeout=SHORT_TIMEOUT, quiet=1.0)
