"""A fake HelseID: client credentials with ``private_key_jwt``, and the access tokens it issues.

What a sender does against the real one (kpr-http-api.md, the demo client): read the discovery
document, POST ``grant_type=client_credentials`` with a client assertion (RFC 7523: a JWT
signed RS256 with the client's private JWK, ``iss`` = ``sub`` = client id, ``aud`` = the token
endpoint, ``jti``, ``iat``, a short ``exp``, and a ``scope`` claim such as
``hdir:kneik/iplos/submit``) and send the access token as ``Authorization: Bearer``.

:class:`HelseId` checks the assertion against the client's public JWK in the registry, refuses
a ``jti`` it has seen (until the assertion expires), and issues an access token signed with
mockkpr's own key (made at start, published in the JWKS). :meth:`HelseId.verify` checks an
access token on every submission: signature, ``exp``/``nbf``, issuer form, audience
``hdir:kneik``, a client the registry knows, and not expired by a fault. JWT times are real
time (the sender's clock), not the endpoint's scenario clock. Token endpoint errors follow
RFC 6749 §5.2 with status 400 (OpenID Connect Core 3.1.3.4, as IdentityServer answers);
access token errors follow RFC 6750 (401 ``invalid_token``, 403 ``insufficient_scope``).
The JOSE work is joserfc's.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet, RSAKey

from mockkpr.errors import MockKprError
from mockkpr.log import get_logger
from mockkpr.pki import jwk
from mockkpr.registry import Registry

log = get_logger(__name__)

#: Where the fake HelseID lives on the HTTP port; its issuer is ``https://HOST:PORT/helseid``.
PREFIX = "/helseid"
DISCOVERY_PATH = f"{PREFIX}/.well-known/openid-configuration"
JWKS_PATH = f"{DISCOVERY_PATH}/jwks"
TOKEN_PATH = f"{PREFIX}/connect/token"
#: The audience of access tokens for the submission API (HelseID names an API by resource).
API_AUDIENCE = "hdir:kneik"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_CREDENTIALS = "client_credentials"
#: Seconds of clock difference tolerated between sender and mockkpr.
LEEWAY_S = 60
#: Longest client assertion accepted (its jti is remembered that long).
MAX_ASSERTION_S = 600
#: Remembered assertion ids at most (a flood of fresh assertions is refused beyond it).
MAX_SEEN = 100_000
#: Access tokens whose facts are kept at most (the oldest are forgotten beyond it).
MAX_ISSUED = 20_000


class OAuthError(MockKprError):
    """A token request refused (RFC 6749 §5.2): ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class BearerError(MockKprError):
    """An access token refused (RFC 6750 §3.1): 401 ``invalid_token`` (or no ``error`` when
    no token was sent), 403 ``insufficient_scope``."""

    def __init__(self, status: int, error: str | None, description: str,
                 scope: str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.scope = scope

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` header value."""
        if self.error is None:
            return "Bearer"
        parts = [f'error="{self.error}"', f'error_description="{self.description}"']
        if self.scope:
            parts.append(f'scope="{self.scope}"')
        return "Bearer " + ", ".join(parts)


@dataclass(frozen=True)
class AccessToken:
    """A verified access token: who it was issued to, for what, until when."""

    client_id: str
    scopes: frozenset[str]
    jti: str
    expires: int
    claims: Mapping[str, Any]


def scopes_of(value: Any) -> list[str]:
    """A ``scope`` claim or parameter: a space-separated string or a list of strings."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return []


class HelseId:
    """The fake HelseID of one endpoint: discovery, JWKS, tokens, verification."""

    def __init__(self, registry: Registry, *, token_lifetime: int = 3600,
                 now: Callable[[], float] = time.time, key: RSAKey | None = None) -> None:
        self.registry = registry
        self.token_lifetime = token_lifetime
        self.now = now
        self.key = key or jwk.new_client_key()
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], float] = {}  # (client, assertion jti) -> until
        self._expired: dict[str, float] = {}  # access token jti -> its exp (a fault)
        self._issued: dict[str, tuple[float, dict[str, Any]]] = {}  # jti -> (exp, facts)

    # ------------------------------------------------------------------ documents
    def discovery(self, issuer: str) -> dict[str, Any]:
        """The OpenID Provider metadata for ``issuer`` (``https://HOST:PORT/helseid``)."""
        base = issuer[: -len(PREFIX)]
        return {
            "issuer": issuer,
            "jwks_uri": base + JWKS_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "grant_types_supported": [CLIENT_CREDENTIALS],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": [jwk.JWS_ALGORITHM],
            "id_token_signing_alg_values_supported": [jwk.JWS_ALGORITHM],
            "scopes_supported": sorted({s for c in self.registry.clients.values()
                                        for s in c.scopes}),
            "claims_supported": ["client_id", "scope", "jti"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    def jwks(self) -> dict[str, Any]:
        """The public keys that sign access tokens (RFC 7517 JWK Set)."""
        return dict(KeySet([RSAKey.import_key(self.key.as_dict(private=False))]).as_dict())

    # ------------------------------------------------------------------ the token endpoint
    def client_of(self, form: Mapping[str, str]) -> str | None:
        """The client a token request names (unverified: for logging and fault selection)."""
        if form.get("client_id"):
            return form["client_id"]
        claims = _unverified_claims(form.get("client_assertion", ""))
        sub = claims.get("sub") if claims is not None else None
        return sub if isinstance(sub, str) else None

    def issue(self, form: Mapping[str, str], *, issuer: str, token_endpoint: str
              ) -> dict[str, Any]:
        """Answer a token request (the form's fields); :class:`OAuthError` when refused."""
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError("invalid_request", "grant_type is missing")
        if grant != CLIENT_CREDENTIALS:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get(
                "client_assertion"):
            raise OAuthError("invalid_client", "a private_key_jwt client assertion "
                             f"(client_assertion_type {ASSERTION_TYPE}) is required")
        assertion = self._assertion(form["client_assertion"], form.get("client_id"),
                                    audiences=(token_endpoint, issuer))
        claims = assertion.claims
        client_id = str(claims["sub"])
        client = self.registry.client(client_id)
        assert client is not None  # _assertion checked it
        wanted = set(scopes_of(form.get("scope", ""))) | set(scopes_of(claims.get("scope")))
        granted = sorted(wanted or client.scopes)
        refused = sorted(set(granted) - set(client.scopes))
        if refused:
            raise OAuthError("invalid_scope", f"scope {' '.join(refused)} is not allowed for "
                             f"client {client_id}")
        now = int(self.now())
        token_claims = {"iss": issuer, "aud": API_AUDIENCE, "client_id": client_id,
                        "scope": granted, "jti": uuid.uuid4().hex, "iat": now, "nbf": now,
                        "exp": now + self.token_lifetime}
        header = {"alg": jwk.JWS_ALGORITHM, "kid": self.key.kid, "typ": "at+jwt"}
        token = jwt.encode(header, token_claims, self.key)
        self._keep(token_claims, {
            "helseid.token_id": token_claims["jti"],
            "helseid.token_issued_at": _iso(now), "helseid.token_scope": granted,
            "helseid.token_endpoint": token_endpoint,
            "helseid.assertion_alg": assertion.header.get("alg"),
            "helseid.assertion_kid": assertion.header.get("kid"),
            "helseid.assertion_audience": claims.get("aud"),
            "helseid.assertion_lifetime_s": _lifetime(claims),
            "helseid.assertion_claims": sorted(claims),
            "helseid.assertion_scope": scopes_of(claims.get("scope")) if "scope" in claims
            else None,
            "helseid.scope_parameter": form.get("scope"),
        })
        log.info("helseid.token_issued", client_id=client_id, scope=granted)
        return {"access_token": token, "token_type": "Bearer",
                "expires_in": self.token_lifetime, "scope": " ".join(granted)}

    def _assertion(self, assertion: str, client_id: str | None, *,
                   audiences: tuple[str, ...]) -> jwt.Token:
        """The verified client assertion (RFC 7523 §3): its header and claims."""
        claims = _unverified_claims(assertion)
        if claims is None:
            raise OAuthError("invalid_client", "the client assertion is not a JWT")
        if not isinstance(claims.get("sub"), str):
            raise OAuthError("invalid_client", "the client assertion has no sub (client id)")
        subject = claims["sub"]
        client = self.registry.client(subject)
        if client is None:
            raise OAuthError("invalid_client", f"unknown client {subject!r}")
        if client_id is not None and client_id != subject:
            raise OAuthError("invalid_client", "client_id differs from the assertion's sub")
        public = RSAKey.import_key(client.public_key)
        try:
            token = jwt.decode(assertion, public, algorithms=[jwk.JWS_ALGORITHM])
            jwt.JWTClaimsRegistry(
                now=int(self.now()), leeway=LEEWAY_S,
                iss={"essential": True, "value": subject},
                aud={"essential": True, "values": list(audiences)},
                exp={"essential": True}, jti={"essential": True}, iat={"essential": True},
            ).validate(token.claims)
        except ExpiredTokenError:
            raise OAuthError("invalid_client", "the client assertion has expired") from None
        except JoseError as exc:
            raise OAuthError("invalid_client", _describe(exc, "client assertion")) from None
        expires = token.claims["exp"]
        if not isinstance(expires, int) or expires - self.now() > MAX_ASSERTION_S:
            raise OAuthError("invalid_client", f"the client assertion must expire within "
                             f"{MAX_ASSERTION_S} s")
        self._remember(subject, str(token.claims["jti"]), float(expires))
        return token

    def _remember(self, client_id: str, jti: str, until: float) -> None:
        now = self.now()
        with self._lock:
            if len(self._seen) >= MAX_SEEN // 2:
                self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY_S >= now}
            if (client_id, jti) in self._seen:
                raise OAuthError("invalid_client", f"the client assertion's jti {jti!r} was "
                                 "used before (replay)")
            if len(self._seen) >= MAX_SEEN:
                raise OAuthError("invalid_client", "too many client assertions at once; "
                                 "try again later")
            self._seen[(client_id, jti)] = until

    # ------------------------------------------------------------------ access tokens
    def verify(self, authorization: str | None) -> AccessToken:
        """The access token in an ``Authorization`` header; :class:`BearerError` when bad."""
        if not authorization:
            raise BearerError(401, None, "no access token: send Authorization: Bearer TOKEN")
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise BearerError(401, None, "the Authorization header is not Bearer TOKEN")
        try:
            token = jwt.decode(value.strip(), self.key, algorithms=[jwk.JWS_ALGORITHM])
            jwt.JWTClaimsRegistry(
                now=int(self.now()), leeway=0,
                aud={"essential": True, "value": API_AUDIENCE},
                exp={"essential": True}, jti={"essential": True},
                client_id={"essential": True},
            ).validate(token.claims)
        except ExpiredTokenError:
            raise BearerError(401, "invalid_token", "The token expired") from None
        except JoseError as exc:
            raise BearerError(401, "invalid_token", _describe(exc, "token")) from None
        claims = token.claims
        issuer = claims.get("iss")
        parts = urlsplit(issuer) if isinstance(issuer, str) else None
        if parts is None or parts.scheme != "https" or parts.path != PREFIX:
            raise BearerError(401, "invalid_token", "The token's issuer is not this HelseID")
        client_id = str(claims["client_id"])
        if self.registry.client(client_id) is None:
            raise BearerError(401, "invalid_token", f"unknown client {client_id!r}")
        jti = str(claims["jti"])
        with self._lock:
            if jti in self._expired:
                raise BearerError(401, "invalid_token", "The token expired")
        return AccessToken(client_id, frozenset(scopes_of(claims.get("scope"))), jti,
                           int(claims["exp"]), claims)

    def _keep(self, claims: Mapping[str, Any], facts: dict[str, Any]) -> None:
        """Remember what the token endpoint observed when it issued the token ``claims``."""
        now = self.now()
        with self._lock:
            if len(self._issued) >= MAX_ISSUED:
                self._issued = {k: v for k, v in self._issued.items() if v[0] >= now}
                while len(self._issued) >= MAX_ISSUED:  # all still valid: forget the oldest
                    del self._issued[next(iter(self._issued))]
            self._issued[str(claims["jti"])] = (float(claims["exp"]), facts)

    def facts_of(self, token: AccessToken) -> dict[str, Any]:
        """What the token endpoint observed when it issued ``token``: its client assertion
        (``helseid.assertion_*``: alg, kid, audience, lifetime, claim names, scope claim) and
        the token (``helseid.token_*``), for the journal entry of a submission made with it
        (docs/http-api.md). Empty when no longer known (more than :data:`MAX_ISSUED` tokens
        issued since)."""
        with self._lock:
            found = self._issued.get(token.jti)
        return dict(found[1]) if found is not None else {}

    def expire(self, token: AccessToken) -> None:
        """Treat ``token`` as expired from now on (the ``expire-token`` fault)."""
        now = self.now()
        with self._lock:
            self._expired = {k: v for k, v in self._expired.items() if v >= now}
            self._expired[token.jti] = token.expires


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _lifetime(claims: Mapping[str, Any]) -> int | None:
    """``exp - iat`` of an assertion, in seconds (None without a numeric ``iat``)."""
    issued, expires = claims.get("iat"), claims.get("exp")
    if isinstance(issued, int | float) and isinstance(expires, int | float):
        return int(expires - issued)
    return None


def _unverified_claims(value: str) -> dict[str, Any] | None:
    """The claims of a compact JWS, not verified; None when it is not one."""
    try:
        data = json.loads(jws.extract_compact(value.encode()).payload)
    except (JoseError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(exc: JoseError, what: str) -> str:
    text = getattr(exc, "description", None) or str(exc) or type(exc).__name__
    return f"the {what} is not valid: {text}"
