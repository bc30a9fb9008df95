"""How the harness controls the endpoint: in this process, or through the control API.

:class:`InProcessDriver` drives an embedded :class:`~mockkpr.endpoint.app.Endpoint` directly
(the default of ``mockkpr certify``); :class:`ControlDriver` drives any running mockkpr - the
container image or an external one - through its HTTP control API (``/api/reset``,
``/api/scenario``, ``/api/clock``, ``/api/messages``, ``/api/wait``). Both give the harness the
same :class:`Driver` interface and the same observations.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from mockkpr.conformance.judge import Received, received
from mockkpr.endpoint.app import Endpoint, registry_path
from mockkpr.errors import EndpointError
from mockkpr.faults import Firing, Scenario
from mockkpr.faults.load import library_names
from mockkpr.journal.models import AnswerRecord, JournalEntry, MessageFilter, Outcome
from mockkpr.registry import Registry, load_registry
from mockkpr.service.messages import OutboundMessage

#: The exchange of the default parties (README.md, "Default parties").
EXCHANGE = "NHNTESTServiceBus"
_HTTP_TIMEOUT = 15.0


class Driver(Protocol):
    """What the harness needs of an endpoint under test."""

    amqp_url: str  # amqps://HOST:PORT/EXCHANGE, no credentials
    http_url: str | None  # https://HOST:PORT of the HTTP API; None when not served
    control_url: str  # http://HOST:PORT of the control API
    exchange: str
    registry_path: Path
    registry: Registry
    description: str

    def reset(self) -> None:
        """Forget every message (configuration stays); disarm any scenario; the clock back
        to real time."""

    def arm(self, scenario: Scenario, text: str) -> None:
        """Arm ``scenario`` (``text``: a packaged scenario's name or its YAML)."""

    def disarm(self) -> None:
        """Disarm the scenario; its clock setting is undone."""

    def advance_clock(self, delta: timedelta) -> None:
        """Move the endpoint's clock on."""

    def reset_clock(self) -> None:
        """The endpoint's clock back to real time."""

    def firings(self) -> list[Firing]:
        """The faults that fired since the scenario was armed."""

    def messages(self) -> list[Received]:
        """Every message since the reset, oldest first, with payloads and reports."""

    def wait_message(self, sender: str, after_id: int | None, timeout: float
                     ) -> Received | None:
        """The oldest answered message from ``sender`` after ``after_id``, waiting up to
        ``timeout`` seconds; None when none came."""


class InProcessDriver:
    """An :class:`Endpoint` running in this process."""

    def __init__(self, endpoint: Endpoint, exchange: str = EXCHANGE) -> None:
        if endpoint.registry is None or endpoint.journal is None:
            raise EndpointError("the endpoint is not started")
        self.endpoint = endpoint
        self.exchange = exchange
        self.amqp_url = f"{endpoint.urls.amqps}/{exchange}"
        self.http_url = endpoint.urls.http
        self.control_url = endpoint.urls.control
        self.registry = endpoint.registry
        self.registry_path = registry_path(endpoint.settings)
        self.description = f"in-process endpoint {endpoint.urls.amqps}" + (
            f", HTTP API {self.http_url}" if self.http_url else "")
        self._control = ControlApi(endpoint.urls.control, endpoint.control_token)

    def reset(self) -> None:
        self.endpoint.disarm()
        self.endpoint.clock.reset()
        # also forgets the receiver's 56.0.0 event streams, and the answers no one took
        self._control.post("/api/reset", json={"drop_queued": True})

    def arm(self, scenario: Scenario, text: str) -> None:
        self.endpoint.arm(scenario)

    def disarm(self) -> None:
        self.endpoint.disarm()

    def advance_clock(self, delta: timedelta) -> None:
        self.endpoint.clock.advance(delta)

    def reset_clock(self) -> None:
        self.endpoint.clock.reset()

    def firings(self) -> list[Firing]:
        return self.endpoint.faults.firings()

    def messages(self) -> list[Received]:
        journal = self.endpoint.journal
        assert journal is not None
        entries = journal.list(MessageFilter(), limit=journal.max_messages, newest_first=False,
                               with_payload=True, with_report=True)
        return [received(entry) for entry in entries]

    def record_case(self, run: dict[str, Any], case: dict[str, Any]) -> None:
        """Tell the endpoint a case was judged (its web view shows it)."""
        self._control.post("/api/conformance/cases", json={"run": run, "case": case})

    def wait_message(self, sender: str, after_id: int | None, timeout: float
                     ) -> Received | None:
        journal = self.endpoint.journal
        assert journal is not None
        entry = journal.wait(MessageFilter(sender_her_id=sender, after_id=after_id), timeout)
        return received(entry) if entry is not None else None


class ControlApi:
    """A small client of mockkpr's control API; every failure is an :class:`EndpointError`.

    ``token``: the API's token (``MOCKKPR_CONTROL_TOKEN``), when it requires one.
    """

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,),
                timeout: float = _HTTP_TIMEOUT, **options: Any) -> httpx.Response:
        """One request; :class:`EndpointError` unless the status is in ``ok``."""
        headers = {**self.headers, **options.pop("headers", {})}
        try:
            response = httpx.request(method, self.url + path, timeout=timeout,
                                     headers=headers, **options)
        except httpx.HTTPError as exc:
            raise EndpointError(f"control API {self.url}{path}: {exc}") from None
        if response.status_code not in ok:
            raise EndpointError(f"control API {method} {self.url}{path}: "
                                f"{response.status_code} {response.text.strip()[:300]}")
        return response

    def get(self, path: str, **options: Any) -> Any:
        return self.request("GET", path, **options).json()

    def post(self, path: str, **options: Any) -> Any:
        return self.request("POST", path, **options).json()


class ControlDriver:
    """A running mockkpr (container or external) driven through its control API.

    ``registry_file`` is the address registry with the sending party's keys (from
    ``mockkpr pki init``, or copied out of the container with
    :meth:`~mockkpr.testing.container.MockKprContainer.copy_pki`). ``http_url`` is its HTTP
    API, ``https://HOST:PORT`` (for the HTTP route's cases).
    """

    def __init__(self, amqp_url: str, control_url: str, registry_file: Path,
                 http_url: str | None = None, control_token: str | None = None) -> None:
        self.http_url = http_url.rstrip("/") if http_url else None
        self.control_url = control_url.rstrip("/")
        self.amqp_url = amqp_url.rstrip("/")  # "": not given (an HTTP route's run)
        self.exchange = self.amqp_url.rsplit("/", 1)[-1] if self.amqp_url.count("/") > 2 \
            else EXCHANGE
        if self.amqp_url and self.amqp_url.count("/") <= 2:
            self.amqp_url += f"/{EXCHANGE}"
        self.registry_path = registry_file
        self.registry = load_registry(registry_file)
        self.description = f"endpoint {self.amqp_url or self.http_url} (control API " \
                           f"{control_url})"
        self.api = ControlApi(control_url, control_token)
        self.api.get("/readyz")

    def reset(self) -> None:
        self.api.request("DELETE", "/api/scenario")
        self.reset_clock()
        self.api.post("/api/reset", json={"drop_queued": True})

    def arm(self, scenario: Scenario, text: str) -> None:
        if "\n" not in text and text in library_names():
            self.api.post("/api/scenario", params={"name": text}, json={})
        else:
            self.api.post("/api/scenario", content=text.encode(),
                          headers={"content-type": "application/yaml"})

    def disarm(self) -> None:
        self.api.request("DELETE", "/api/scenario")

    def advance_clock(self, delta: timedelta) -> None:
        self.api.post("/api/clock", json={"advance": delta.total_seconds()})

    def reset_clock(self) -> None:
        self.api.post("/api/clock", json={"reset": True})

    def record_case(self, run: dict[str, Any], case: dict[str, Any]) -> None:
        """Tell the endpoint a case was judged; an endpoint without the route is left be."""
        self.api.request("POST", "/api/conformance/cases", ok=(200, 404, 405),
                         json={"run": run, "case": case})

    def firings(self) -> list[Firing]:
        state = self.api.get("/api/scenario")
        return [Firing(f["fault"], f["kind"], f["stage"], datetime.fromisoformat(f["at"]),
                       f.get("subject"), tuple(f.get("senders", ())), f.get("message_id"))
                for f in state.get("fired", [])]

    def messages(self) -> list[Received]:
        listed = self.api.get("/api/messages", params={"limit": 1000})
        return [self._complete(item) for item in reversed(listed)]

    def wait_message(self, sender: str, after_id: int | None, timeout: float
                     ) -> Received | None:
        params: dict[str, Any] = {"sender": sender, "timeout": timeout}
        if after_id is not None:
            params["after_id"] = after_id
        response = self.api.request("GET", "/api/wait", params=params, ok=(200, 408),
                                    timeout=timeout + _HTTP_TIMEOUT)
        return self._complete(response.json()) if response.status_code == 200 else None

    def _complete(self, item: dict[str, Any]) -> Received:
        return complete(self.api, item)


def complete(api: ControlApi, item: dict[str, Any]) -> Received:
    """An entry of the control API's list completed with its envelope, report and payload."""
    data, payload = item, None
    if item["outcome"] != Outcome.DUPLICATE.value and item["message_id"]:
        path = f"/api/messages/{quote(item['message_id'], safe='')}"
        detail = api.get(path)
        if detail.get("id") == item["id"]:
            data = detail
        if item["outcome"] not in (Outcome.PENDING.value, Outcome.TRANSPORT_ERROR.value,
                                   Outcome.UNANSWERABLE.value, Outcome.REFUSED.value):
            response = api.request("GET", path + "/payload", ok=(200, 404, 409))
            payload = response.content if response.status_code == 200 else None
    return entry_of(data, payload)


def journal_via_api(control_url: str, limit: int = 1000, token: str | None = None
                    ) -> list[Received]:
    """Every message a running endpoint's journal holds (up to ``limit``), oldest first;
    ``token``: the control API's, when it requires one."""
    api = ControlApi(control_url, token)
    listed = api.get("/api/messages", params={"limit": limit})
    return [complete(api, item) for item in reversed(listed)]


def entry_of(data: dict[str, Any], payload: bytes | None) -> Received:
    """The judges' view of an entry the control API returned (``EntryDetail`` JSON).

    Answer bodies are not served by the API: they come back empty.
    """
    answers = [AnswerRecord(a["kind"], OutboundMessage(
        a["queue"], a["message_id"], a["subject"], a["content_type"],
        dict(a["application_properties"]), b"", correlation_id=a.get("correlation_id")),
        datetime.fromisoformat(a["sent_at"])) for a in data.get("answers", [])]
    entry = JournalEntry(
        message_id=data["message_id"], received_at=datetime.fromisoformat(data["received_at"]),
        queue=data["queue"], user=data.get("user"), sender_her_id=data.get("sender_her_id"),
        receiver_her_id=data.get("receiver_her_id"), subject=data.get("subject"),
        properties=dict(data.get("properties", {})),
        application_properties=dict(data.get("application_properties", {})),
        body_size=int(data.get("body_size", 0)), outcome=Outcome(data["outcome"]),
        payload=payload, msghead=data.get("msghead"), apprec_status=data.get("apprec_status"),
        error_condition=data.get("error_condition"),
        error_description=data.get("error_description"),
        error_data=tuple(data.get("error_data", ())), report=data.get("report"),
        answers=answers,
        answered_at=datetime.fromisoformat(data["answered_at"]) if data.get("answered_at")
        else None, id=data["id"])
    raw = data.get("answers", [])
    dispositions = (tuple(a.get("disposition") for a in raw)
                    if all("disposition" in a for a in raw) else None)
    details = data.get("details")
    return Received(entry, dict(details) if isinstance(details, dict) else {}, dispositions)
