"""Manual mode with a person who follows the instructions (a scripted one) and one who does not
answer in time."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from mockkpr.client import KprClient
from mockkpr.conformance.cases import select
from mockkpr.conformance.drivers import InProcessDriver
from mockkpr.conformance.harness import Harness
from mockkpr.conformance.manual import LineReader, ManualSender
from mockkpr.conformance.model import Status
from mockkpr.endpoint.app import Endpoint

pytestmark = pytest.mark.integration


class Person:
    """Reads the instructions, sends the file named with the reference client, answers."""

    def __init__(self, endpoint: Endpoint, answer: str | None) -> None:
        self.endpoint = endpoint
        self.answer = answer
        self.lines: list[str] = []
        self.verdicts: list[str] = []

    def read(self, text: str) -> None:
        self.lines.append(text)
        found = re.search(r"Send the file\s+(\S+)", text)
        url = re.search(r"through\s+(\S+)", text)
        if found and url:
            threading.Thread(target=self._send, args=(Path(found.group(1)), url.group(1)),
                             daemon=True).start()

    def _send(self, path: Path, url: str) -> None:
        assert self.endpoint.registry is not None
        with KprClient(url, self.endpoint.registry, 12345) as client:
            answer = client.send_and_wait(path.read_bytes(), timeout=10)
        self.verdicts.append(answer.kind)

    def ask(self, timeout: float) -> str | None:
        return self.answer


def test_a_person_following_the_instructions_passes(endpoint: Endpoint, tmp_path: Path) -> None:
    driver = InProcessDriver(endpoint)
    person = Person(endpoint, "a")
    sender = ManualSender(driver, person.read, person.ask, arrival_timeout=10)
    certification = Harness(driver, sender, tmp_path, timeout=10, grace=40,
                            mode="manual").certify(select(["KPR-CONF-015", "KPR-CONF-070"]))
    assert [r.status for r in certification.results] == [Status.PASS, Status.PASS]
    text = "\n".join(person.lines)
    assert f"through            {driver.amqp_url} (test CA: {driver.registry.ca_path})" in text
    assert "and let the sender wait up to 10 s for the receipt." in text
    assert "Arrived: KPR_IDE " in text
    assert "Type A (accepted: AppRec OK), R (rejected: AppRec status 2 or 3) or F" in text


def test_no_answer_in_time_leaves_the_case_unjudged(endpoint: Endpoint, tmp_path: Path) -> None:
    driver = InProcessDriver(endpoint)
    person = Person(endpoint, None)
    read_end, write_end = os.pipe()  # a console nobody types into
    with os.fdopen(read_end) as console, os.fdopen(write_end, "w"):
        sender = ManualSender(driver, person.read, LineReader(console), arrival_timeout=10,
                              answer_timeout=0.2)
        certification = Harness(driver, sender, tmp_path, timeout=0.1, grace=40,
                                mode="manual").certify(select(["KPR-CONF-071"]))
    (result,) = certification.results
    assert result.status is Status.ERROR
    assert result.error == ("the sender acted: the sender could not be run: manual mode: no "
                            "answer from the operator within 0.3 s")
    assert person.lines[-1] == "    Timed out: no answer A, R or F within 0.3 s."


def test_closed_input_is_no_answer(endpoint: Endpoint, tmp_path: Path) -> None:
    driver = InProcessDriver(endpoint)
    person = Person(endpoint, None)
    sender = ManualSender(driver, person.read, person.ask, arrival_timeout=10)
    certification = Harness(driver, sender, tmp_path, timeout=5,
                            mode="manual").certify(select(["KPR-CONF-071"]))
    assert certification.results[0].error == (
        "the sender acted: the sender could not be run: manual mode: the input ended without "
        "an answer from the operator")
    assert person.lines[-1] == "    The input ended without an answer A, R or F."


def test_line_reader_times_out_and_ends() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stream, os.fdopen(write_end, "w") as writer:
        reader = LineReader(stream)
        assert reader(0.1) is None  # nothing typed yet
        writer.write(" r \n")
        writer.flush()
        assert reader(5) == "r"
        writer.close()
        assert reader(5) is None  # end of input
        assert reader(5) is None
