"""MOCKKPR_PROCESSES: worker processes answer messages; what stays in the endpoint does.

tests/endpoint/test_endpoint.py runs every one of its cases against an endpoint with two
worker processes as well; these tests show which process answered and that a dying worker
loses no message.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.envelope import Status
from mockkpr.pki import GeneratedPki
from mockkpr.service.pool import Dispatch
from tests.endpoint.support import OSLO, THIRD, Running, fixture, running_endpoint

pytestmark = pytest.mark.integration

IDENTITY = fixture("valid/kpr-ide-1.xml")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory,
            endpoint_pki: GeneratedPki) -> Iterator[Running]:
    with running_endpoint(tmp_path_factory.mktemp("processes"), endpoint_pki.registry_file,
                          log_level="WARNING", processes=2) as found:
        yield found


def _dispatch(running: Running) -> Dispatch:
    amqp = running.endpoint._amqp
    assert amqp is not None
    dispatch = amqp.broker.processor
    assert isinstance(dispatch, Dispatch)
    return dispatch


def test_identity_messages_are_answered_by_the_workers(running: Running) -> None:
    dispatch = _dispatch(running)
    before_workers, before_here = dispatch.by_workers, dispatch.here
    pids = dispatch.worker_pids()
    assert len(pids) == 2
    assert os.getpid() not in pids
    with running.client(OSLO) as client:
        answers = [client.send_and_wait(IDENTITY) for _ in range(4)]
    assert [a.status for a in answers] == [Status.OK] * 4
    assert dispatch.by_workers - before_workers == 4
    assert dispatch.here == before_here
    for answer in answers:  # recorded (by the worker) before the delivery was settled
        assert running.entry(answer.sent.message_id)["outcome"] == "accepted"


def test_an_event_message_is_judged_in_the_endpoint_with_its_stream(running: Running) -> None:
    """The worker opens it, stops before recording anything, and the endpoint's receiver
    (which keeps the sender's stream) answers it: recorded once."""
    dispatch = _dispatch(running)
    before_workers, before_here = dispatch.by_workers, dispatch.here
    with running.client(THIRD) as client:
        first = client.send_and_wait(fixture("valid/iplos-56.xml"))
        again = client.send_and_wait(fixture("valid/iplos-56.xml"))  # the same ids again
    assert first.status is Status.OK, first.apprec.errors if first.apprec else first
    # the stream saw the first: its events again are findings (a partial acceptance)
    assert again.status is Status.OK_FEIL_I_DELMELDING
    assert (dispatch.by_workers, dispatch.here) == (before_workers, before_here + 2)
    assert len(running.entries(first.sent.message_id)) == 1


def test_a_killed_worker_loses_no_message(running: Running, tmp_path: Path) -> None:
    """SIGKILL one worker while idle: the next message is still answered (the pool is
    replaced; the message it could not take is answered in the endpoint)."""
    dispatch = _dispatch(running)
    victim = dispatch.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    with running.client(OSLO) as client:
        answers = [client.send_and_wait(IDENTITY) for _ in range(3)]
    assert [a.status for a in answers] == [Status.OK] * 3
    assert victim not in dispatch.worker_pids()
    assert len(dispatch.worker_pids()) == 2


def test_workers_end_with_the_endpoint(tmp_path: Path, endpoint_pki: GeneratedPki) -> None:
    with running_endpoint(tmp_path, endpoint_pki.registry_file, log_level="WARNING",
                          processes=1) as found, found.client(OSLO) as client:
        assert client.send_and_wait(IDENTITY).status is Status.OK
        [pid] = _dispatch(found).worker_pids()
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
