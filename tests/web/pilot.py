"""A real endpoint with pilot sends in it, and a headless Chromium to look at it.

Used by the browser tests (tests/web/test_browser.py) and by ``scripts/web-screenshots``
(docs/web.md's pictures). The sends are made the way a vendor's sender makes them: the
reference client over AMQPS, the documents from the generator.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mockkpr.client import Answer, KprClient
from mockkpr.endpoint.app import Endpoint
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
from mockkpr.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium's flags here: no sandbox (root in a container), nothing fetched in the background.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SENDER = 12345
EXCHANGE = "NHNTESTServiceBus"
PERSONS = 40
#: Defects of the partial send: rows and values rejected, the message accepted.
PARTIAL = {"TJ-TIMERUKE-RANGE": 2, "XSD-ROW": 1, "PE-KJONN": 1}
#: Defects of the rejected send: a wrong start date in INNHINFO rejects the whole message.
REJECTED = {"II-FRADATO": 1, "TJ-TIMERUKE-RANGE": 1}


@dataclass(frozen=True)
class Sent:
    """One pilot send: what the sender got back and the journal entry it made."""

    name: str
    answer: Answer
    entry: dict[str, Any]

    @property
    def entry_id(self) -> int:
        return int(self.entry["id"])


def _documents(out: Path, name: str, defects: dict[str, int]) -> dict[str, bytes]:
    manifest = write(GenerationSpec(kommune="0301", year=2019, persons=PERSONS, seed=7,
                                    generation=Generation.ANNUAL_2019, defects=defects),
                     out / name)
    return {d["kind"]: (out / name / d["name"]).read_bytes() for d in manifest["documents"]}


class Pilot:
    """A running endpoint and a sender connected to it."""

    def __init__(self, endpoint: Endpoint, client: KprClient, workdir: Path) -> None:
        self.endpoint = endpoint
        self.client = client
        self.workdir = workdir
        self.base_url = endpoint.urls.control
        #: The control API's token (None: none required), sent by :attr:`http`.
        self.token = endpoint.control_token
        self.http = httpx.Client(
            base_url=self.base_url, timeout=30,
            headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
        self.documents: dict[str, dict[str, bytes]] = {}

    def entry(self, message_id: str) -> dict[str, Any]:
        """The journal entry of a message, once answered."""
        response = self.http.get("/api/wait", params={"message_id": message_id, "timeout": 30})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def send(self, name: str, document: bytes) -> Sent:
        """Send a document as the test municipality and wait for its answer."""
        answer = self.client.send_and_wait(document, timeout=60)
        return Sent(name, answer, self.entry(answer.sent.message_id))

    def send_unencrypted(self, name: str, document: bytes) -> Sent:
        """A MsgHead sent as text/plain: refused with a transport error (check 6)."""
        xml, msg_id, function = self.client.envelope(document)
        sent = self.client.prepare(xml, subject=function, msg_id=msg_id,
                                   content_type="text/plain")
        answer = self.client.deliver(sent, time.monotonic() + 60)
        return Sent(name, answer, self.entry(sent.message_id))

    def pilot_sends(self) -> dict[str, Sent]:
        """The identity message, then a clean, a partial, a rejected annual file and one that
        gets a transport error."""
        out = self.workdir / "documents"
        self.documents = {"clean": _documents(out, "clean", {}),
                          "partial": _documents(out, "partial", PARTIAL),
                          "rejected": _documents(out, "rejected", REJECTED)}
        clean, partial, rejected = (self.documents[n] for n in ("clean", "partial", "rejected"))
        return {
            "identity": self.send("identity", clean["KPR_IDE"]),
            "clean": self.send("clean", clean["KPR_IPL"]),
            "partial": self.send("partial", partial["KPR_IPL"]),
            "rejected": self.send("rejected", rejected["KPR_IPL"]),
            "transport-error": self.send_unencrypted("transport-error", clean["KPR_IPL"]),
        }

    def open_in(self, page: Any) -> None:
        """Open the web view in a browser ``page`` the way a person does: with a token
        required, once with ``?token=`` (the API sets its cookie for the pages after)."""
        if self.token:
            page.goto(f"{self.base_url}/?token={self.token}")

    @property
    def pki(self) -> Path:
        """The test PKI's directory (parties' keys as PEM files, the CA)."""
        assert self.endpoint.registry is not None
        return self.endpoint.registry.path.parent

    def close(self) -> None:
        self.http.close()


@contextmanager
def pilot(workdir: Path, **settings: Any) -> Iterator[Pilot]:
    """An endpoint on free ports with its own test PKI, and the sender 12345 connected."""
    values: dict[str, Any] = {"data_dir": workdir / "data", "amqps_port": 0, "amqp_port": None,
                              "control_port": 0, "registry": None, "scenario": None,
                              "database_url": None, **settings}
    with Endpoint(Settings(**values)) as endpoint:
        assert endpoint.registry is not None
        with KprClient(f"{endpoint.urls.amqps}/{EXCHANGE}", endpoint.registry, SENDER) as client:
            running = Pilot(endpoint, client, workdir)
            try:
                yield running
            finally:
                running.close()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (scripts/setup.d/50-browser.sh installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None
