"""Who may use the control API, and how: the checks in front of every route.

The control API runs beside developers' browsers and in shared CI, so a web page, a
DNS-rebinding page or another user on the network must not be able to change state or read
what it holds (payloads, the journal, test passwords). Every request passes, in order:

1. **Host** (Starlette's ``TrustedHostMiddleware``): the ``Host`` header names this API -
   ``localhost``, ``127.0.0.1``, ``[::1]``, its own listening address, the host of
   ``MOCKKPR_PKI_URL`` (where certificates send senders for the CRL) or one of
   ``MOCKKPR_CONTROL_HOSTS`` - else 400. A DNS-rebinding page's requests carry the page's host.
2. **Origin**: a request that carries ``Origin`` (browsers send it on every cross-origin
   request and on every POST) must come from this API's own origin, else 403.
3. **Token**: with ``MOCKKPR_CONTROL_TOKEN`` (required, and made up when not given, whenever
   the API listens beyond loopback), every route but :data:`PUBLIC_PATHS` needs
   ``Authorization: Bearer TOKEN``; a browser may instead open any page once with
   ``?token=TOKEN``, which sets a ``SameSite=Strict``, ``HttpOnly`` cookie. Else 401.
4. **JSON for state changes**: ``POST``, ``PUT`` and ``PATCH`` need ``Content-Type:
   application/json`` (``POST /api/scenario`` also takes YAML), else 415 - types a web page
   cannot send across origins without a CORS preflight, which this API never grants.

``DELETE`` is never sent across origins without a preflight either. Read-only ``GET`` pages
keep working in a browser on the API's own origin.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers, QueryParams
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockkpr.control.tokens import resolve_token
from mockkpr.log import get_logger
from mockkpr.settings import Settings

__all__ = ["PUBLIC_PATHS", "AccessPolicy", "allowed_hosts", "protect", "resolve_token"]

log = get_logger(__name__)

#: Routes anyone who reaches the port may read without the token (probes, and the test CA's
#: certificate and CRL: senders' TLS and CMS stacks, .NET's X509Chain among them, fetch the
#: URLs certificates name without credentials). Add public read-only routes here.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/api/pki/ca.pem", "/pki/ca.crl",
                          "/pki/ca.crt"})
#: Host names every control API answers to.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
TOKEN_COOKIE = "mockkpr_control_token"  # noqa: S105  (a name, not a secret)
_JSON = "application/json"
_YAML = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
_YAML_ROUTES = frozenset({"/api/scenario"})
_STATE_CHANGES = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class AccessPolicy:
    """The names the API answers to and its token (None: no token required)."""

    hosts: tuple[str, ...] = LOOPBACK_NAMES
    token: str | None = None

    @classmethod
    def of(cls, settings: Settings, token: str | None) -> AccessPolicy:
        """The policy of a server configured by ``settings`` with ``token``."""
        return cls(allowed_hosts(settings), token)


def allowed_hosts(settings: Settings) -> tuple[str, ...]:
    """``Host`` names the API answers to: loopback, its own address, the host certificates
    name for the CRL (``pki_url``), ``control_hosts``."""
    own = settings.control_host
    names = list(LOOPBACK_NAMES)
    if own not in ("", "0.0.0.0", "::"):  # noqa: S104  (wildcards name no host)
        names.append(f"[{own}]" if ":" in own else own)
    crl_host = urlsplit(settings.pki_url).hostname
    if crl_host:
        names.append(f"[{crl_host}]" if ":" in crl_host else crl_host)
    names.extend(settings.control_hosts)
    return tuple(dict.fromkeys(name.lower() for name in names))


def _refuse(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message, "message": message}, status_code=status,
                        headers=headers)


class _Guard:
    """Origin, token and content-type checks (the Host check wraps it)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, method = scope["path"], scope["method"]
        problem = self._origin(headers, scope)
        from_query = False
        if problem is None and self.token is not None and path not in PUBLIC_PATHS:
            problem, from_query = self._authorised(headers, scope)
        if problem is None and method in _STATE_CHANGES:
            problem = self._content_type(headers, path)
        if problem is not None:
            log.info("control.refused", method=method, path=path, status=problem.status_code)
            await problem(scope, receive, send)
            return
        if not from_query:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = (f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict")
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", cookie.encode("latin-1"))]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _origin(headers: Headers, scope: Scope) -> JSONResponse | None:
        origin = headers.get("origin")
        if origin is None:
            return None
        host = headers.get("host", "").lower()
        if origin.lower() in (f"http://{host}", f"https://{host}"):
            return None
        return _refuse(403, f"cross-origin request refused: Origin {origin!r} is not this "
                            "control API's own")

    def _authorised(self, headers: Headers, scope: Scope) -> tuple[JSONResponse | None, bool]:
        assert self.token is not None
        expected = self.token.encode()
        given = headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(),
                                                                 expected):
            return None, False
        cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
        if cookie is not None and secrets.compare_digest(cookie.encode(), expected):
            return None, False
        query = QueryParams(scope.get("query_string", b"")).get("token")
        if query is not None and secrets.compare_digest(query.encode(), expected):
            return None, True
        return _refuse(401, "the control API needs its token: send Authorization: Bearer "
                            "TOKEN (MOCKKPR_CONTROL_TOKEN; `mockkpr serve` prints it when it "
                            "makes one up), or open a page once with ?token=TOKEN",
                       {"WWW-Authenticate": 'Bearer realm="mockkpr"'}), False

    @staticmethod
    def _content_type(headers: Headers, path: str) -> JSONResponse | None:
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media == _JSON or (media in _YAML and path in _YAML_ROUTES):
            return None
        allowed = "application/json" + (" or application/yaml" if path in _YAML_ROUTES
                                         else "")
        return _refuse(415, f"a state change needs Content-Type: {allowed} (got "
                            f"{media or 'none'})")


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def protect(app: FastAPI, policy: AccessPolicy) -> None:
    """Put the checks in front of every route of ``app``, those added later included."""
    app.add_middleware(_Guard, token=policy.token)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(policy.hosts),
                       www_redirect=False)  # added last: runs first
