"""The HTTP routes: KPR's submission API and the fake HelseID, on one TLS port.

``POST /messages`` (the demo client's path) and ``POST /message/process`` (the readme's) take a
submission; ``/helseid/...`` is the fake HelseID (:mod:`mockkpr.kneik.helseid`). Order of the
checks of a submission (docs/http-api.md): access token (401) → a submit scope (403) →
content type (415) → body size (413) → the body (400 10xx) → the message type's scope and the
client's HER-ids (403) → faults → the receiver: duplicate, receiver, sender, CMS, document
(400 20xx-40xx) → 200 with the refId. Every request that reaches the receiver is one journal
entry, or none when it is a duplicate; nothing before it is recorded.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mockkpr import __version__
from mockkpr.errors import TransportError
from mockkpr.faults import model as m
from mockkpr.faults.plan import Facts, FaultPlan
from mockkpr.kneik import body as b
from mockkpr.kneik.codes import TECHNICAL_MESSAGE, ErrorCode, validation_code
from mockkpr.kneik.helseid import (
    DISCOVERY_PATH,
    JWKS_PATH,
    PREFIX,
    TOKEN_PATH,
    AccessToken,
    BearerError,
    HelseId,
    OAuthError,
)
from mockkpr.log import get_logger
from mockkpr.registry import IPLOS_SCOPE, Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE, InboundMessage
from mockkpr.service.pipeline import Receiver
from mockkpr.service.submissions import REF_ID, Submitted

log = get_logger(__name__)

SUBMIT_PATHS = ("/messages", "/message/process")
#: The scope a message type needs; a submission needs at least one of them.
SCOPE_OF_TYPE = {b.IPLOS: IPLOS_SCOPE, b.HST: "hdir:kneik/hst/submit"}
#: The message function a message type has on the service bus: the journal's subject.
SUBJECT_OF_TYPE = {b.IPLOS: "KPR_IPL"}
QUEUE = "http"
#: Largest token request body.
MAX_FORM_BYTES = 64 << 10
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(status: int, content: Mapping[str, Any],
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(dict(content), status_code=status, headers=dict(headers or {}))


def _problem(status: int, error: str, description: str,
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    log.info("http.refused", status=status, error=error, reason=description)
    return _json(status, {"error": error, "error_description": description}, headers)


def _bearer(exc: BearerError) -> JSONResponse:
    return _problem(exc.status, exc.error or "unauthorized", exc.description,
                    {"WWW-Authenticate": exc.challenge()})


def _error_body(code: int, message: str, ref_id: str) -> dict[str, Any]:
    return {"errorCode": code, "errorMessage": message, "refId": ref_id}


def _base(request: Request) -> str:
    """``https://HOST:PORT`` as the client named this server (a strange Host: the socket's)."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        server = request.scope.get("server") or ("localhost", 443)
        host = f"{server[0]}:{server[1]}"
    return f"https://{host}"


async def _read(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (not read any further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class KneikApi:
    """The routes' state: who processes, who authenticates, which faults are armed."""

    def __init__(self, receiver: Receiver, registry: Registry, helseid: HelseId, *,
                 max_body_bytes: int, workers: int, plan: FaultPlan | None,
                 now: Callable[[], datetime]) -> None:
        self.receiver = receiver
        self.registry = registry
        self.helseid = helseid
        self.max_body_bytes = max_body_bytes
        self.workers = workers
        self.plan = plan
        self.now = now
        self._limiter: anyio.CapacityLimiter | None = None

    def _fault(self, stage: m.Stage, facts: Facts) -> tuple[str, m.Fault] | None:
        if self.plan is None or not self.plan.wants(stage):
            return None
        return self.plan.select(stage, facts)

    # ------------------------------------------------------------------ HelseID
    async def token(self, request: Request) -> Response:
        """``POST /helseid/connect/token``."""
        raw = await _read(request, MAX_FORM_BYTES)
        if raw is None:
            return _problem(413, "invalid_request", "the token request is too large")
        if _media_type(request) != "application/x-www-form-urlencoded":
            return _json(400, {"error": "invalid_request", "error_description": "the token "
                         "request must be application/x-www-form-urlencoded"}, _NO_STORE)
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            pairs = []
        form = dict(pairs)
        if len(form) != len(pairs):
            return _json(400, {"error": "invalid_request", "error_description":
                               "a parameter is given more than once"}, _NO_STORE)
        client = self.helseid.client_of(form)
        senders = frozenset(str(h) for h in self.registry.her_ids_of_client(client)) \
            if client else frozenset()
        chosen = self._fault(m.Stage.TOKEN, Facts(senders=senders))
        if chosen is not None and isinstance(chosen[1], m.TokenEndpointDown):
            fault = chosen[1]
            headers = dict(_NO_STORE)
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return _json(fault.status, {"error": "temporarily_unavailable",
                                        "error_description": "mockkpr fault: the token "
                                        "endpoint is down"}, headers)
        base = _base(request)
        try:
            answer = self.helseid.issue(form, issuer=base + PREFIX,
                                        token_endpoint=base + TOKEN_PATH)
        except OAuthError as exc:
            log.info("helseid.refused", client_id=client, error=exc.error,
                     reason=exc.description)
            return _json(exc.status, {"error": exc.error, "error_description": exc.description},
                         _NO_STORE)
        return _json(200, answer, _NO_STORE)

    # ------------------------------------------------------------------ submissions
    async def submit(self, request: Request) -> Response:
        """``POST /messages`` and ``POST /message/process``."""
        ref_id = str(uuid.uuid4())
        received_at = self.now()
        try:
            token = self.helseid.verify(request.headers.get("authorization"))
        except BearerError as exc:
            return _bearer(exc)
        if not token.scopes & set(SCOPE_OF_TYPE.values()):
            return _bearer(BearerError(403, "insufficient_scope", "the token has no submit "
                                       "scope", " ".join(SCOPE_OF_TYPE.values())))
        if _media_type(request) not in ("application/json", "text/json") \
                and not _media_type(request).endswith("+json"):
            return _problem(415, "unsupported_media_type", "the body must be application/json")
        raw = await _read(request, self.max_body_bytes)
        if raw is None:
            return _problem(413, "request_too_large",
                            f"the body is larger than {self.max_body_bytes} bytes")
        body = b.read_body(raw)
        refused = self._authorise(token, body)
        if refused is not None:
            return refused
        facts = Facts(subject=_subject(body), message_id=body.message_id,
                      senders=frozenset({str(body.from_her_id)} if body.from_her_id is not None
                                        else ()))
        chosen = self._fault(m.Stage.REQUEST, facts)
        fault = chosen[1] if chosen is not None else None
        if isinstance(fault, m.ExpireToken):
            self.helseid.expire(token)
            return _bearer(BearerError(401, "invalid_token", "The token expired"))
        if isinstance(fault, m.SlowResponse) and not fault.after_processing:
            await anyio.sleep(fault.seconds)
        if isinstance(fault, m.HttpError) and not fault.after_processing:
            return self._fault_answer(fault, ref_id)
        inbound = self._inbound(request, body, token, ref_id, received_at, len(raw))
        submitted = await self._process(inbound, body, fault)
        if isinstance(fault, m.SlowResponse) and fault.after_processing:
            await anyio.sleep(fault.seconds)
        if isinstance(fault, m.HttpError) and submitted is not None \
                and submitted.retry is None:
            return self._fault_answer(fault, ref_id)
        return self._answer(submitted, ref_id)

    def _authorise(self, token: AccessToken, body: b.Body) -> Response | None:
        """403 when the token may not submit this message type or as this HER-id."""
        needed = SCOPE_OF_TYPE.get(body.message_type or "")
        if needed is not None and needed not in token.scopes:
            return _bearer(BearerError(403, "insufficient_scope", f"messageType "
                                       f"{body.message_type} needs the scope {needed}", needed))
        sender = body.from_her_id
        if sender is not None and sender not in self.registry.her_ids_of_client(token.client_id):
            return _problem(403, "forbidden", f"client {token.client_id} may not submit as "
                            f"fromHerId {sender}")
        return None

    def _inbound(self, request: Request, body: b.Body, token: AccessToken, ref_id: str,
                 received_at: datetime, size: int) -> InboundMessage:
        properties = {name: str(body.header[name]) for name in b.HEADER_FIELDS
                      if name in body.header and name != "messageId"}
        return InboundMessage(
            message_id=body.message_id, correlation_id=None, subject=_subject(body),
            to=request.url.path, reply_to=None, content_type=CMS_CONTENT_TYPE,
            application_properties=properties, body=body.payload or b"", user=token.client_id,
            queue=QUEUE, received_at=received_at,
            wire={REF_ID: ref_id, "http.path": request.url.path,
                  "http.client_id": token.client_id,
                  "http.content_type": request.headers.get("content-type"),
                  "http.body_bytes": size, "http.names": list(body.names),
                  **self.helseid.facts_of(token)})

    async def _process(self, inbound: InboundMessage, body: b.Body,
                       fault: m.Fault | None) -> Submitted | None:
        """The receiver's decision (in a worker thread); None when it failed unexpectedly."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.workers)

        def details(error: TransportError | None) -> dict[str, Any]:
            found: dict[str, Any] = {"http.status": 200}
            if error is not None:
                found = {"http.status": 400, "http.validation_code": int(validation_code(error))}
            if isinstance(fault, m.HttpError):  # answered instead of the above
                found.update({"http.status": fault.status, "http.fault": fault.kind})
            return found

        work = partial(self.receiver.process_payload, inbound, refused=body.problem,
                       answer_details=details)
        try:
            return await anyio.to_thread.run_sync(work, limiter=self._limiter)
        except Exception:  # nothing was recorded: the transaction did not commit
            log.exception("http.processing_failed", message_id=inbound.message_id)
            return None

    def _answer(self, submitted: Submitted | None, ref_id: str) -> Response:
        """200, 400 or 500 with the API's bodies (kpr-http-api.md)."""
        if submitted is None or submitted.entry is None:
            code = ErrorCode.REVOCATION_UNKNOWN if submitted is not None else ErrorCode.TECHNICAL
            return _json(500, _error_body(int(code), TECHNICAL_MESSAGE, ref_id))
        entry = submitted.entry
        if submitted.duplicate:
            return _json(200, {"messageId": entry.message_id,
                               "refId": entry.details.get(REF_ID, ref_id)})
        error = submitted.error
        if error is not None:
            message = error.description + (": " + "; ".join(error.data) if error.data else "")
            return _json(400, {"validationCode": int(validation_code(error)),
                               "validationMessage": message, "refId": ref_id})
        return _json(200, {"messageId": entry.message_id, "refId": ref_id})

    def _fault_answer(self, fault: m.HttpError, ref_id: str) -> Response:
        if fault.status == 400:  # the register refuses the message: the 400 body
            return _json(400, {"validationCode": fault.error_code,
                               "validationMessage": fault.error_message, "refId": ref_id})
        headers = {}
        retry_after = fault.retry_after
        if retry_after is None and fault.status in (429, 503):
            retry_after = 1
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return _json(fault.status, _error_body(fault.error_code, fault.error_message, ref_id),
                     headers)


def _subject(body: b.Body) -> str | None:
    kind = body.message_type
    return SUBJECT_OF_TYPE.get(kind, kind) if kind is not None else None


def create_app(api: KneikApi) -> FastAPI:
    """The ASGI app of the HTTP port (no OpenAPI pages: the port serves the API only)."""
    app = FastAPI(title="mockkpr HTTP submission API", version=__version__, docs_url=None,
                  redoc_url=None, openapi_url=None)

    @app.get(DISCOVERY_PATH)
    def discovery(request: Request) -> JSONResponse:
        return _json(200, api.helseid.discovery(_base(request) + PREFIX))

    @app.get(JWKS_PATH)
    def jwks() -> JSONResponse:
        return _json(200, api.helseid.jwks())

    app.add_api_route(TOKEN_PATH, api.token, methods=["POST"], include_in_schema=False)
    for path in SUBMIT_PATHS:
        app.add_api_route(path, api.submit, methods=["POST"], include_in_schema=False)
    return app
