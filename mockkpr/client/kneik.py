"""The reference HTTP sender: an IPLOS 56.0.0 message to KPR's HTTP API, as an EPJ sends it.

It reads the HelseID discovery document, fetches an access token with a ``private_key_jwt``
client assertion (the party's client id and private JWK from the registry), signs and encrypts
the document (CMS, no MsgHead), POSTs the JSON body and reads the answer (kpr-http-api.md).
It copes with what the route may do: a 401 fetches a new token and sends again; 429, 500, 502,
503, 504 and lost connections send the same messageId again after ``Retry-After`` (or a short
pause) until the timeout; a token endpoint that is down is asked again likewise. 400, 403, 413
and 415 are final. The register answers 200 on receipt; the verdict comes from mockkpr's
control API by the refId (docs/http-api.md). ``mockkpr send --http`` is its command line.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from mockkpr.cms import protect
from mockkpr.cms.protect import Cipher
from mockkpr.errors import ConfigError, EndpointError
from mockkpr.registry import IPLOS_SCOPE, Registry

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2
#: Statuses after which the same message is sent again (after Retry-After or a pause).
RETRIED = (429, 500, 502, 503, 504)
_PAUSE_S = 1.0
_MAX_PAUSE_S = 10.0


@dataclass
class HttpAnswer:
    """What came of one submission: the last HTTP answer and, once received, the verdict.

    ``verdict`` is the journal entry the control API returned for the refId (outcome,
    report...), None when not asked for or not found.
    """

    message_id: str
    size: int
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    elapsed: float = 0.0
    problem: str | None = None
    verdict: dict[str, Any] | None = None

    @property
    def ref_id(self) -> str | None:
        value = self.body.get("refId")
        return value if isinstance(value, str) else None

    @property
    def outcome(self) -> str | None:
        """The register's verdict: accepted, partial, rejected (None: unknown)."""
        value = (self.verdict or {}).get("outcome")
        return value if isinstance(value, str) else None


def exit_code(answer: HttpAnswer) -> int:
    """0 received and accepted; 1 received and rejected, or rows rejected; 2 anything else."""
    if answer.status != 200:
        return EXIT_FAILED
    return {"accepted": EXIT_OK, "partial": EXIT_REJECTED,
            "rejected": EXIT_REJECTED}.get(answer.outcome or "", EXIT_FAILED)


class KneikClient:
    """Sends as ``from_her_id`` (a party whose HelseID client and keys the registry holds).

    The class attributes and the small methods below are the steps the conformance suite's
    broken senders change one at a time (:mod:`mockkpr.conformance.flaws_http`).
    """

    #: Statuses after which the same message is sent again.
    retried: tuple[int, ...] = RETRIED
    #: Whether a 401 fetches a new token and sends again (once).
    renews_token = True
    #: Seconds from ``iat`` to ``exp`` of a client assertion (the demo client's 60 s).
    assertion_lifetime = 60
    #: The content encryption of the payload.
    cipher: Cipher = "aes-256-cbc"

    def __init__(self, base_url: str, registry: Registry, from_her_id: int, *,
                 to_her_id: int, authority: str | None = None, control_url: str | None = None,
                 control_token: str | None = None, ca: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.authority = (authority or f"{self.base_url}/helseid").rstrip("/")
        self.control_url = control_url.rstrip("/") if control_url else None
        self._control_headers = {"Authorization": f"Bearer {control_token}"} \
            if control_token else {}
        self.registry = registry
        self.sender = registry.party(from_her_id)
        self.receiver = registry.party(to_her_id) if registry.find(to_her_id) else None
        self.to_her_id = to_her_id
        client_id = self.sender.client_id
        client = registry.client(client_id) if client_id else None
        if client is None or client.private_key is None:
            raise ConfigError(f"{registry.path}: party {from_her_id} has no HelseID client "
                              "with a private JWK (helseid.private_jwk)")
        if self.sender.signing is None:
            raise ConfigError(f"{registry.path}: party {from_her_id} has no signing key")
        self.client_id = client.client_id
        self.key = RSAKey.import_key(client.private_key,
                                     {"kid": client.key_id} if client.key_id else None)
        tls = ssl.create_default_context(cafile=str(ca or registry.ca_path))
        self.http = httpx.Client(verify=tls, timeout=30.0)
        self._token: tuple[str, float] | None = None
        self._token_endpoint: str | None = None

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def __enter__(self) -> KneikClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ HelseID
    def token_endpoint(self) -> str:
        """From the discovery document (read once)."""
        if self._token_endpoint is None:
            url = f"{self.authority}/.well-known/openid-configuration"
            try:
                response = self.http.get(url)
                response.raise_for_status()
                self._token_endpoint = str(response.json()["token_endpoint"])
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise EndpointError(f"cannot read the discovery document {url}: {exc}") \
                    from None
        return self._token_endpoint

    def assertion(self, audience: str) -> str:
        """A client assertion (RFC 7523) as the demo client builds it: ``aud`` the token
        endpoint, a new ``jti``, ``exp`` 60 s after ``iat``, the submit scope as a claim."""
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": audience,
                  "jti": uuid.uuid4().hex, "iat": now, "nbf": now,
                  "exp": now + self.assertion_lifetime, "scope": IPLOS_SCOPE}
        header = {"alg": "RS256", **({"kid": self.key.kid} if self.key.kid else {})}
        return jwt.encode(header, claims, self.key)

    def token(self, deadline: float, *, fresh: bool = False) -> str:
        """An access token (kept until shortly before it expires)."""
        if self._token is not None and not fresh and self._token[1] > time.monotonic():
            return self._token[0]
        endpoint = self.token_endpoint()
        while True:
            form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.assertion(endpoint)}
            try:
                response = self.http.post(endpoint, data=form)
            except httpx.TransportError as exc:
                if not self.retried or not self.pause(None, deadline):
                    raise EndpointError(f"token endpoint {endpoint}: {exc}") from None
                continue
            if response.status_code == 200:
                answer = response.json()
                lifetime = float(answer.get("expires_in", 60))
                self._token = (str(answer["access_token"]),
                               time.monotonic() + max(lifetime - 30, lifetime / 2))
                return self._token[0]
            if response.status_code in self.retried and self.pause(response, deadline):
                continue
            raise EndpointError(f"token endpoint {endpoint}: {response.status_code} "
                                f"{response.text.strip()[:300]}")

    # ------------------------------------------------------------------ submission
    def body(self, document: bytes, message_id: str) -> dict[str, Any]:
        """The JSON body: the header and the CMS-protected document, base64."""
        if self.receiver is None:
            raise ConfigError(f"{self.registry.path}: no party {self.to_her_id} (the "
                              "receiver's encryption certificate)")
        signing = self.sender.signing
        assert signing is not None
        payload = protect(document, signer_cert=signing.certificate, signer_key=signing.key,
                          recipient_cert=self.receiver.encryption_certificate,
                          cipher=self.cipher)
        return {"messageHeader": self.header(message_id),
                "payload": base64.b64encode(payload).decode()}

    def header(self, message_id: str) -> dict[str, Any]:
        """``messageHeader``: HER-ids as numbers (long), IPLOS 56.0.0, the messageId."""
        return {"fromHerId": self.sender.her_id, "toHerId": self.to_her_id,
                "messageType": "IPLOS", "messageVersion": "56.0.0", "messageId": message_id}

    def message_id_for(self, message_id: str, attempt: int) -> str:
        """The messageId of the ``attempt``-th request (from 1): always the message's own."""
        return message_id

    def submit(self, document: bytes, *, timeout: float = 60.0,
               message_id: str | None = None) -> HttpAnswer:
        """Send ``document``, sending the same message again when the route asks for it."""
        started = time.monotonic()
        deadline = started + timeout
        message_id = message_id or str(uuid.uuid4())
        bodies: dict[str, bytes] = {}
        answer = HttpAnswer(message_id, len(document))
        refreshed = False
        while True:
            answer.attempts += 1
            sent_id = self.message_id_for(message_id, answer.attempts)
            if sent_id not in bodies:
                bodies[sent_id] = json.dumps(self.body(document, sent_id)).encode()
            answer.message_id = sent_id
            try:
                response = self.http.post(
                    f"{self.base_url}/messages", content=bodies[sent_id],
                    headers={"Authorization": f"Bearer {self.token(deadline)}",
                             "Content-Type": "application/json"},
                    timeout=max(1.0, deadline - time.monotonic()))
            except httpx.TransportError as exc:
                answer.problem = f"{type(exc).__name__}: {exc}"
                if self.retried and self.pause(None, deadline):
                    continue
                break
            answer.status = response.status_code
            answer.body = _json_object(response)
            answer.problem = None
            if response.status_code == 401 and self.renews_token and not refreshed:
                refreshed = True
                self.token(deadline, fresh=True)
                continue
            if response.status_code in self.retried and self.pause(response, deadline):
                continue
            break
        answer.elapsed = time.monotonic() - started
        return answer

    def pause(self, response: httpx.Response | None, deadline: float) -> bool:
        """Sleep as ``Retry-After`` says (or a short pause); False when the deadline is
        reached."""
        return _pause(response, deadline)

    def exit_code(self, answer: HttpAnswer) -> int:
        """The exit code of ``mockkpr send --http`` for ``answer`` (:func:`exit_code`)."""
        return exit_code(answer)

    def verdict(self, answer: HttpAnswer, *, timeout: float = 10.0) -> None:
        """Fill ``answer.verdict`` from the control API's entry for its refId."""
        if self.control_url is None or answer.ref_id is None:
            return
        url = f"{self.control_url}/api/messages/{quote(answer.ref_id, safe='')}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = httpx.get(url, timeout=10, headers=self._control_headers)
            except httpx.HTTPError as exc:
                answer.problem = f"no verdict from the control API ({exc})"
                return
            if response.status_code == 200 and response.json().get("outcome") != "pending":
                answer.verdict = response.json()
                return
            if time.monotonic() > deadline:
                answer.problem = f"no verdict from {url}: {response.status_code}"
                return
            time.sleep(0.2)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"text": response.text[:300]}
    return data if isinstance(data, dict) else {"value": data}


def _pause(response: httpx.Response | None, deadline: float) -> bool:
    """Sleep as ``Retry-After`` says (or a short pause); False when the deadline is reached."""
    wait = _PAUSE_S
    header = response.headers.get("Retry-After", "") if response is not None else ""
    if header.strip().isdigit():
        wait = min(float(header.strip()), _MAX_PAUSE_S)
    if time.monotonic() + wait > deadline:
        return False
    time.sleep(wait)
    return True
