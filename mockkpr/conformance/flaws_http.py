"""Deliberately broken HTTP senders: ``mockkpr send --http``'s client with one flaw each.

Each flaw is a subclass of :class:`~mockkpr.client.kneik.KneikClient` that changes one step
(the client assertion, the header, the cipher, the retry policy, the token's renewal, the exit
code) and nothing else; the conformance suite's HTTP cases must tell each from the reference
(docs/conformance.md, "Proof that the suite discriminates").
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from mockkpr.client.kneik import EXIT_OK, HttpAnswer, KneikClient
from mockkpr.conformance.flaws import Flaw
from mockkpr.errors import EndpointError

#: How long the retry-after-ignoring sender pauses, whatever the answer says (seconds).
OWN_PAUSE = 0.2
#: The lifetime of the long-lived sender's client assertions (mockkpr accepts up to 600 s).
LONG_ASSERTION = 300
_QUEUED = "queued for later: "


class NewIdOnRetry(KneikClient):
    """Gives every request after the first a new messageId (a resend looks like a new
    message, and the register records it twice)."""

    def message_id_for(self, message_id: str, attempt: int) -> str:
        return message_id if attempt == 1 else str(uuid.uuid4())


class IgnoresRetryAfter(KneikClient):
    """Sends again 0.2 s after a 429 or 503, whatever Retry-After says."""

    def pause(self, response: httpx.Response | None, deadline: float) -> bool:
        if time.monotonic() + OWN_PAUSE > deadline:
            return False
        time.sleep(OWN_PAUSE)
        return True


class NeverRenewsToken(KneikClient):
    """Keeps its first access token: a 401 (expired token) ends the send."""

    renews_token = False


class Retries400(KneikClient):
    """Treats a 400 like a 503: sends the refused message again until its timeout."""

    retried = (400, *KneikClient.retried)


class NoRetry(KneikClient):
    """Gives up at the first 429, 5xx or lost connection."""

    retried = ()


class TokenFailureIsSuccess(KneikClient):
    """When no access token can be had it "queues the message for later" and exits 0."""

    def submit(self, document: bytes, *, timeout: float = 60.0,
               message_id: str | None = None) -> HttpAnswer:
        try:
            return super().submit(document, timeout=timeout, message_id=message_id)
        except EndpointError as exc:
            return HttpAnswer(message_id or "", len(document), problem=_QUEUED + str(exc))

    def exit_code(self, answer: HttpAnswer) -> int:
        if answer.status is None and (answer.problem or "").startswith(_QUEUED):
            return EXIT_OK
        return super().exit_code(answer)


class AssertionForIssuer(KneikClient):
    """Addresses its client assertion to the issuer (``aud`` the authority), not to the token
    endpoint as the demo client does (mockkpr's HelseID takes either)."""

    def assertion(self, audience: str) -> str:
        return super().assertion(self.authority)


class LongAssertion(KneikClient):
    """Makes client assertions that live 300 s (the demo's live 60 s)."""

    assertion_lifetime = LONG_ASSERTION


class WrongAlgorithm(KneikClient):
    """Encrypts the payload with AES-128-CBC instead of AES-256-CBC."""

    cipher = "aes-128-cbc"


class HerIdsAsStrings(KneikClient):
    """Sends ``fromHerId`` and ``toHerId`` as JSON strings, not numbers (the API's longs)."""

    def header(self, message_id: str) -> dict[str, Any]:
        header = super().header(message_id)
        header["fromHerId"] = str(header["fromHerId"])
        header["toHerId"] = str(header["toHerId"])
        return header


HTTP_FLAWS: dict[str, Flaw[KneikClient]] = {flaw.name: flaw for flaw in (
    Flaw("http-new-id-on-retry", NewIdOnRetry),
    Flaw("http-ignores-retry-after", IgnoresRetryAfter),
    Flaw("http-never-renews-token", NeverRenewsToken),
    Flaw("http-retries-400", Retries400),
    Flaw("http-no-retry", NoRetry),
    Flaw("http-token-failure-is-success", TokenFailureIsSuccess),
    Flaw("http-assertion-for-issuer", AssertionForIssuer),
    Flaw("http-long-assertion", LongAssertion),
    Flaw("http-wrong-algorithm", WrongAlgorithm),
    Flaw("http-her-ids-as-strings", HerIdsAsStrings),
)}
