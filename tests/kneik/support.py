"""A sender of the HTTP route written with libraries the server does not use.

Client assertions and the checks of issued tokens use PyJWT (the server uses joserfc); the
requests go through httpx over real TLS, trusting only the test CA.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from mockkpr.cms import protect
from mockkpr.registry import Party, Registry

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE = "hdir:kneik/iplos/submit"


def private_jwk(registry: Registry, client_id: str) -> jwt.PyJWK:
    """The client's private JWK as PyJWT reads it from the file the registry names."""
    client = registry.client(client_id)
    assert client is not None
    assert client.private_jwk_path is not None
    return jwt.PyJWK(json.loads(client.private_jwk_path.read_text()))


def assertion(registry: Registry, client_id: str, audience: str, *, key: Any = None,
              algorithm: str = "RS256", **claims: Any) -> str:
    """A client assertion (RFC 7523) as the demo client builds it; ``claims`` override."""
    now = int(time.time())
    body: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": audience,
                            "jti": uuid.uuid4().hex, "iat": now, "nbf": now, "exp": now + 60,
                            "scope": SCOPE}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    signing = key if key is not None else private_jwk(registry, client_id).key
    kid = registry.client(client_id).key_id if registry.client(client_id) else None
    return jwt.encode(body, signing, algorithm=algorithm, headers={"kid": kid} if kid else None)


def token_form(client_assertion: str, **extra: str) -> dict[str, str]:
    """The token request's form fields."""
    return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion, **extra}


@dataclass
class HttpRoute:
    """Where the HTTP route of a running endpoint is and whom it trusts."""

    base: str
    control: str
    registry: Registry

    @property
    def ca(self) -> ssl.SSLContext:
        """A TLS context trusting the test CA only."""
        return ssl.create_default_context(cafile=str(self.registry.ca_path))

    def discovery(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base}/helseid/.well-known/openid-configuration",
                             verify=self.ca)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def request_token(self, form: dict[str, str]) -> httpx.Response:
        return httpx.post(self.discovery()["token_endpoint"], data=form, verify=self.ca)

    def token(self, client_id: str = "client-12345", **claims: Any) -> str:
        """An access token for ``client_id`` fetched as the demo client does."""
        endpoint = self.discovery()["token_endpoint"]
        response = httpx.post(endpoint, data=token_form(
            assertion(self.registry, client_id, endpoint, **claims)), verify=self.ca)
        assert response.status_code == 200, response.text
        value: str = response.json()["access_token"]
        return value

    def post(self, body: Any, token: str | None, *, path: str = "/messages",
             headers: dict[str, str] | None = None, **options: Any) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if isinstance(body, bytes | str):
            sent.setdefault("Content-Type", "application/json")
            return httpx.post(self.base + path, content=body, headers=sent, verify=self.ca,
                              **options)
        return httpx.post(self.base + path, json=body, headers=sent, verify=self.ca, **options)

    def entry(self, ref_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.control}/api/messages/{ref_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def refused(self, response: httpx.Response, code: int, text: str) -> dict[str, Any]:
        """Check a 400 answer's code and message; return its journal entry (recorded as a
        transport error with that code)."""
        assert response.status_code == 400, response.text
        answer = response.json()
        assert answer["validationCode"] == code
        assert text in answer["validationMessage"]
        entry = self.entry(answer["refId"])
        assert entry["outcome"] == "transport-error"
        assert entry["details"]["http.validation_code"] == code
        return entry

    def count(self) -> int:
        return int(httpx.get(f"{self.control}/api/messages").headers["X-Total-Count"])


def protected(document: bytes, sender: Party, receiver: Party, **options: Any) -> bytes:
    """``document`` signed by ``sender`` and encrypted for ``receiver`` (mockkpr's CMS)."""
    assert sender.signing is not None
    return protect(document, signer_cert=sender.signing.certificate,
                   signer_key=sender.signing.key,
                   recipient_cert=receiver.encryption_certificate, **options)


def submission(payload: bytes, *, from_her_id: int = 12345, to_her_id: int = 131725,
               message_id: str | None = None, pascal: bool = False) -> dict[str, Any]:
    """The JSON body, camelCase as the readme writes it or PascalCase as the demo sends it."""
    header = {"fromHerId": from_her_id, "toHerId": to_her_id, "messageType": "IPLOS",
              "messageVersion": "56.0.0", "messageId": message_id or str(uuid.uuid4())}
    body: dict[str, Any] = {"messageHeader": header,
                            "payload": base64.b64encode(payload).decode()}
    if pascal:
        return {"MessageHeader": {k[0].upper() + k[1:]: v for k, v in header.items()},
                "Payload": body["payload"]}
    return body
