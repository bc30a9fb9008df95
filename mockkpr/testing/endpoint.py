"""What a test sees of the KPR endpoint: :class:`KprEndpoint`, the same in every mode.

The plugin's ``kpr`` fixture gives one, reset for the test. Everything goes through the
endpoint's HTTP control API, so an endpoint in this process, in a container or elsewhere is
driven alike, and nothing here needs the server's packages::

    def test_our_sender_reports_once(kpr, tmp_path):
        our_sender.send("iplos.xml", url=kpr.amqp_url, keys=kpr.registry_path)
        message = kpr.wait(sender=12345, subject="KPR_IPL")      # waits until answered
        assert message.apprec_status == "1"
        kpr.assert_received(count=1, sender=12345)              # verify, as WireMock does
        assert kpr.apprec(message).status_code == "1"          # the AppRec as sent

Filters (``sender``, ``subject``, ``outcome``, ``message_id``, ``since``, ``until``,
``after``) are those of ``GET /api/messages``; ``after`` takes a journal id or a message,
to wait for the next one.

A control API that requires a token (``MOCKKPR_CONTROL_TOKEN``: a container's, or one listening
beyond loopback) gets it from ``control_token`` with every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import httpx

    from mockkpr.conformance.drivers import Driver
    from mockkpr.endpoint.app import Endpoint
    from mockkpr.envelope import AppRecInfo
    from mockkpr.faults import Scenario
    from mockkpr.registry import Registry

#: Seconds one control API request may take (waits add their own timeout).
HTTP_TIMEOUT = 15.0
#: The control API's longest long poll; longer waits are made of several.
MAX_POLL_S = 300.0


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the endpoint received, as the control API lists it (``raw``: all of it)."""

    id: int
    message_id: str
    msg_id: str | None
    sender: str | None
    receiver: str | None
    subject: str | None
    outcome: str
    apprec_status: str | None
    error_condition: str | None
    error_description: str | None
    error_data: tuple[str, ...]
    received_at: datetime
    answered_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def of(cls, item: dict[str, Any]) -> ReceivedMessage:
        """From the JSON of ``GET /api/messages`` or ``/api/messages/{id}``."""
        answered = item.get("answered_at")
        return cls(item["id"], item["message_id"], item.get("msg_id"),
                   item.get("sender_her_id"), item.get("receiver_her_id"), item.get("subject"),
                   item["outcome"], item.get("apprec_status"), item.get("error_condition"),
                   item.get("error_description"), tuple(item.get("error_data") or ()),
                   datetime.fromisoformat(item["received_at"]),
                   datetime.fromisoformat(answered) if answered else None, item)


class Clock:
    """The endpoint's clock (deadlines, receipt delays), moved without waiting."""

    def __init__(self, endpoint: KprEndpoint) -> None:
        self._endpoint = endpoint

    def state(self) -> dict[str, Any]:
        """``GET /api/clock``: the time, whether fixed or offset, and the reporting phase."""
        state: dict[str, Any] = self._endpoint.request("GET", "/api/clock").json()
        return state

    def now(self) -> datetime:
        """The endpoint's current time."""
        return datetime.fromisoformat(self.state()["now"])

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock on by ``delta`` (or that many seconds)."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        self._change({"advance": seconds})

    def fix(self, when: datetime) -> None:
        """Stop the clock at ``when`` (timezone-aware)."""
        self._change({"fixed": when.isoformat()})

    def reset(self) -> None:
        """Back to real time."""
        self._change({"reset": True})

    def _change(self, change: dict[str, Any]) -> None:
        self._endpoint.request("POST", "/api/clock", json=change)


class KprEndpoint:
    """The KPR endpoint a test talks to, whichever mode it runs in (see the module doc)."""

    def __init__(self, mode: str, *, amqp_url: str, control_url: str, registry_path: Path,
                 endpoint: Endpoint | None = None, http_url: str | None = None,
                 control_token: str | None = None) -> None:
        self.mode = mode
        #: ``amqps://HOST:PORT/EXCHANGE``; credentials come from the registry.
        self.amqp_url = amqp_url
        #: ``https://HOST:PORT`` of the HTTP submission API (None when not served or not given).
        self.http_url = http_url.rstrip("/") if http_url else None
        #: ``http://HOST:PORT`` of the control API (``/readyz``, ``/api/messages``...).
        self.control_url = control_url.rstrip("/")
        #: The control API's token (None: it requires none); sent by :meth:`request`.
        self.control_token = control_token
        #: The registry with the parties' keys and SASL accounts (``registry.yaml``).
        self.registry_path = registry_path
        self.clock = Clock(self)
        self._endpoint = endpoint  # the in-process one
        self._registry: Registry | None = None
        self._driver: Driver | None = None

    @property
    def token_url(self) -> str | None:
        """The fake HelseID's token endpoint (its authority is ``{http_url}/helseid``)."""
        return f"{self.http_url}/helseid/connect/token" if self.http_url else None

    def __repr__(self) -> str:
        return f"KprEndpoint({self.mode!r}, {self.amqp_url!r}, control {self.control_url!r})"

    # ------------------------------------------------------------------ what to connect to
    @property
    def registry(self) -> Registry:
        """The loaded registry (what :class:`~mockkpr.client.KprClient` signs and trusts with)."""
        if self._registry is None:
            from mockkpr.registry import load_registry

            self._registry = load_registry(self.registry_path)
        return self._registry

    def credentials(self, her_id: int) -> tuple[str, str]:
        """SASL user and password of party ``her_id`` (for a sender that is not mockkpr's)."""
        party = self.registry.find(her_id)
        account = None if party is None else (
            self.registry.accounts.get(party.account or "") or party.sasl)
        if account is None:
            raise LookupError(f"no SASL account for HER-id {her_id} in {self.registry_path}")
        return account.user, account.password

    @property
    def driver(self) -> Driver:
        """The conformance harness's view of this endpoint (``ConformanceSuite``)."""
        if self._driver is None:
            from mockkpr.conformance.drivers import ControlDriver, InProcessDriver

            self._driver = (InProcessDriver(self._endpoint) if self._endpoint is not None
                            else ControlDriver(self.amqp_url, self.control_url,
                                               self.registry_path, self.http_url,
                                               control_token=self.control_token))
        return self._driver

    # ------------------------------------------------------------------ control
    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,),
                timeout: float = HTTP_TIMEOUT, **options: Any) -> httpx.Response:
        """One control API request, with the token if there is one; an
        :class:`AssertionError` naming the URL otherwise."""
        import httpx  # here: loading the plugin into a pytest run costs nothing

        url = self.control_url + path
        if self.control_token:
            options["headers"] = {"Authorization": f"Bearer {self.control_token}",
                                  **options.get("headers", {})}
        try:
            response = httpx.request(method, url, timeout=timeout, **options)
        except httpx.HTTPError as exc:
            raise AssertionError(f"mockkpr's control API {url} cannot be reached: {exc}"
                                 ) from None
        if response.status_code not in ok:
            raise AssertionError(f"mockkpr's control API {method} {url}: "
                                 f"{response.status_code} {response.text.strip()[:500]}")
        return response

    def reset(self, *, drop_queued: bool = True) -> None:
        """Forget every message, disarm any scenario, the clock back to real time; the
        answers still owed to senders are dropped too (a test starts with none waiting),
        unless not ``drop_queued``."""
        self.request("DELETE", "/api/scenario")
        self.clock.reset()
        self.request("POST", "/api/reset", json={"drop_queued": drop_queued})

    def arm(self, scenario: str | Path | Scenario) -> dict[str, Any]:
        """Arm a fault-injection scenario: a packaged name (``mockkpr scenarios list``), a YAML
        file, YAML text or a :class:`~mockkpr.faults.Scenario`; the state the API returns."""
        options: dict[str, Any]
        if isinstance(scenario, Path):
            options = {"content": scenario.read_bytes()}
        elif isinstance(scenario, str) and "\n" not in scenario:
            options = {"params": {"name": scenario}, "json": {}}  # state changes send JSON
        elif isinstance(scenario, str):
            options = {"content": scenario.encode()}
        else:
            options = {"content": scenario.model_dump_json(exclude_none=True).encode()}
        if "content" in options:
            options["headers"] = {"content-type": "application/yaml"}
        state: dict[str, Any] = self.request("POST", "/api/scenario", **options).json()
        return state

    def disarm(self) -> None:
        """Disarm the scenario (its clock setting is undone)."""
        self.request("DELETE", "/api/scenario")

    def check_scenario(self) -> None:
        """Assert that every expectation of the armed scenario held (``/api/scenario/verify``)."""
        result = self.request("GET", "/api/scenario/verify").json()
        failed = [r["message"] for r in result["results"] if not r["passed"]]
        if failed:
            raise AssertionError(f"scenario {result['scenario']!r}: " + "; ".join(failed))

    # ------------------------------------------------------------------ what arrived
    def messages(self, **filters: Any) -> list[ReceivedMessage]:
        """Every message matching ``filters`` since the last reset, oldest first."""
        found: list[ReceivedMessage] = []
        offset = 0
        while True:
            page = self.request("GET", "/api/messages", params={
                **_params(filters), "limit": 1000, "offset": offset}).json()
            found.extend(ReceivedMessage.of(item) for item in page)
            if len(page) < 1000:
                return found[::-1]
            offset += len(page)

    def count(self, **filters: Any) -> int:
        """How many messages match ``filters``."""
        response = self.request("GET", "/api/messages", params={**_params(filters), "limit": 1})
        return int(response.headers["X-Total-Count"])

    def assert_received(self, count: int | None = None, **filters: Any) -> list[ReceivedMessage]:
        """Assert that messages matching ``filters`` arrived: exactly ``count`` of them, or at
        least one; return them. The error lists what did arrive."""
        found = self.messages(**filters)
        if (len(found) == count) if count is not None else found:
            return found
        wanted = f"exactly {count}" if count is not None else "at least one"
        everything = self.messages()
        seen = "\n".join(f"  {_line(m)}" for m in everything[-20:]) or "  (nothing)"
        raise AssertionError(f"expected {wanted} message(s) matching {_params(filters)}, "
                             f"found {len(found)}; the endpoint received {len(everything)}:\n"
                             f"{seen}")

    def wait(self, *, timeout: float = 30.0, **filters: Any) -> ReceivedMessage:
        """The oldest message matching ``filters`` once it is answered, waiting up to
        ``timeout`` seconds (``after=`` a message or journal id: a later one). Raises an
        :class:`AssertionError` listing what did arrive when none matched in time."""
        params = _params(filters)
        remaining = timeout
        while True:
            poll = max(min(remaining, MAX_POLL_S), 0.001)
            response = self.request("GET", "/api/wait", params={**params, "timeout": poll},
                                    ok=(200, 408), timeout=poll + HTTP_TIMEOUT)
            if response.status_code == 200:
                return ReceivedMessage.of(response.json())
            remaining -= poll
            if remaining <= 0:
                everything = self.messages()
                seen = "\n".join(f"  {_line(m)}" for m in everything[-20:]) or "  (nothing)"
                raise AssertionError(f"no message matching {params} was answered within "
                                     f"{timeout:g} s; the endpoint received "
                                     f"{len(everything)}:\n{seen}")

    def message(self, message_id: str) -> ReceivedMessage:
        """One message by AMQP message-id or MsgHead MsgId, with envelope, report, answers."""
        return ReceivedMessage.of(self.request("GET", _path(message_id)).json())

    def feedback(self, message: ReceivedMessage | str) -> dict[str, Any]:
        """The detailed feedback: the validator's report of ``message`` (JSON)."""
        report: dict[str, Any] = self.request("GET", _path(message, "/feedback")).json()
        return report

    def payload(self, message: ReceivedMessage | str) -> bytes:
        """The decrypted IPLOS document the endpoint validated."""
        return self.request("GET", _path(message, "/payload")).content

    def apprec_bytes(self, message: ReceivedMessage | str) -> bytes:
        """The AppRec sent for ``message``: the protected (CMS) bytes as sent."""
        return self.request("GET", _path(message, "/apprec")).content

    def apprec(self, message: ReceivedMessage | str) -> AppRecInfo:
        """The AppRec sent for ``message``, decrypted with its sender's key from the registry
        and checked to be signed by KPR, as the sender reads it."""
        from mockkpr.client import KprClient

        if isinstance(message, str):
            message = self.message(message)
        if message.sender is None or message.receiver is None:
            raise AssertionError(f"message {message.message_id} names no sender or receiver")
        reader = KprClient(self.amqp_url, self.registry, int(message.sender),
                           to_her_id=int(message.receiver))
        return reader.open_apprec(self.apprec_bytes(message))


def _params(filters: dict[str, Any]) -> dict[str, Any]:
    names = {"sender": "sender", "subject": "subject", "outcome": "outcome",
             "message_id": "message_id", "since": "since", "until": "until",
             "after": "after_id", "after_id": "after_id"}
    unknown = set(filters) - set(names)
    if unknown:
        raise TypeError(f"unknown filter(s) {sorted(unknown)}; use {sorted(names)}")
    params: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, ReceivedMessage):
            value = value.id
        elif isinstance(value, datetime):
            value = value.isoformat()
        params[names[key]] = int(value) if names[key] == "after_id" else str(value)
    return params


def _path(message: ReceivedMessage | str, suffix: str = "") -> str:
    message_id = message.message_id if isinstance(message, ReceivedMessage) else message
    return f"/api/messages/{quote(message_id, safe='')}{suffix}"


def _line(message: ReceivedMessage) -> str:
    answer = (message.apprec_status and f"AppRec {message.apprec_status}") or \
        message.error_condition or ""
    return (f"#{message.id} {message.message_id} from {message.sender} {message.subject} "
            f"{message.outcome} {answer}").rstrip()
