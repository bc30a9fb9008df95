"""Claims and outbox ownership across processes: race-free on SQLite and on PostgreSQL.

Each :class:`Coordinator` (and :class:`Journal`) here has its own engine and connections, as
separate processes would; threads start their attempts together behind a barrier.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from typing import TypeVar

import pytest

from mockkpr.brokermode.coordination import ClaimState, Coordinator
from mockkpr.brokermode.outbox import Outbox
from mockkpr.brokermode.processing import BrokerProcessor
from mockkpr.journal.models import MessageFilter
from mockkpr.journal.store import Journal
from mockkpr.service.messages import InboundMessage
from mockkpr.service.results import ProcessResult, Settle
from tests.journal.entries import make_entry

T = TypeVar("T")
KEY = ("12345", "message-1")


@pytest.fixture
def coordinators(database_url: str) -> Iterator[Callable[..., Coordinator]]:
    """``make(name, lease_s=5)``: a coordinator with its own engine, alive (heartbeat)."""
    with ExitStack() as stack:
        def make(name: str, lease_s: float = 5) -> Coordinator:
            coordinator = Coordinator(database_url, lease_s=lease_s, instance_id=name)
            stack.callback(coordinator.close)
            coordinator.heartbeat()
            return coordinator
        yield make


def together(actions: list[Callable[[], T]]) -> list[T]:
    """Run every action at once in its own thread; their results in order."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], T]) -> T:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def test_of_many_simultaneous_claims_exactly_one_wins(
        coordinators: Callable[..., Coordinator]) -> None:
    rivals = [coordinators(f"p{n}") for n in range(8)]
    states = together([lambda c=c: c.claim(KEY).state for c in rivals])
    assert sorted(states) == sorted([ClaimState.OWNED] + [ClaimState.BUSY] * 7)
    winner = rivals[states.index(ClaimState.OWNED)]
    winner.finish(KEY)
    assert {c.claim(KEY).state for c in rivals} == {ClaimState.DONE}


def test_a_long_message_id_and_her_id_are_claimed_like_any_other(
        coordinators: Callable[..., Coordinator]) -> None:
    """AMQP puts no length on a message-id: one of 2,000 characters (and a 300-digit HER-id)
    is claimed and finished on PostgreSQL as on SQLite, not refused by a VARCHAR(255)."""
    key = ("9" * 300, "m" * 2000)
    first, second = coordinators("p1"), coordinators("p2")
    assert first.claim(key).state is ClaimState.OWNED
    assert second.claim(key).state is ClaimState.BUSY
    first.finish(key)
    assert second.claim(key).state is ClaimState.DONE


def test_a_dead_instances_claim_is_taken_over_by_exactly_one(
        coordinators: Callable[..., Coordinator]) -> None:
    crashed = coordinators("crashed")
    assert crashed.claim(KEY).state is ClaimState.OWNED
    crashed.retire()  # as if its heartbeat had stopped long ago
    survivors = [coordinators(f"s{n}") for n in range(4)]
    states = together([lambda c=c: c.claim(KEY).state for c in survivors])
    assert states.count(ClaimState.OWNED) == 1
    assert states.count(ClaimState.BUSY) == 3


def test_a_claim_is_kept_while_the_heartbeat_is_fresh_and_lost_after_the_lease(
        coordinators: Callable[..., Coordinator]) -> None:
    owner = coordinators("owner", lease_s=0.3)
    other = coordinators("other", lease_s=0.3)
    assert owner.claim(KEY).state is ClaimState.OWNED
    assert other.claim(KEY).state is ClaimState.BUSY
    time.sleep(0.4)
    other.heartbeat()
    assert other.claim(KEY).state is ClaimState.OWNED
    assert owner.claim(KEY).state is ClaimState.BUSY  # the other one is alive now


def test_a_released_claim_can_be_claimed_again(
        coordinators: Callable[..., Coordinator]) -> None:
    first, second = coordinators("first"), coordinators("second")
    assert first.claim(KEY).state is ClaimState.OWNED
    first.release(KEY)
    assert second.claim(KEY).state is ClaimState.OWNED


def test_unsent_answers_of_a_dead_instance_are_adopted_once(
        database_url: str, coordinators: Callable[..., Coordinator]) -> None:
    with Journal(database_url) as journal:
        queued = journal.record_answered(make_entry())
        ids = [item.id for item in queued]
        owner = coordinators("owner")
        owner.own_outbox(ids)
        survivors = [coordinators(f"s{n}") for n in range(3)]
        assert survivors[0].adopt_orphans() == []  # the owner is alive
        owner.retire()
        adopted = together([lambda c=c: c.adopt_orphans() for c in survivors])
        assert sorted(adopted, key=len) == [[], [], ids]


def test_an_unowned_answer_is_adopted_only_after_the_lease(
        database_url: str, coordinators: Callable[..., Coordinator]) -> None:
    """A row without owner is normal for a moment (recorded, ownership not yet written)."""
    with Journal(database_url) as journal:
        ids = [item.id for item in journal.record_answered(make_entry())]
        adopter = coordinators("adopter", lease_s=0.3)
        assert adopter.adopt_orphans() == []
        time.sleep(0.4)
        assert adopter.adopt_orphans() == ids
        adopter.published(ids)
        assert journal.queued() == []
        assert adopter.adopt_orphans() == []


def test_a_redelivery_racing_the_first_delivery_in_another_process_is_not_processed_twice(
        database_url: str, coordinators: Callable[..., Coordinator]) -> None:
    """Two processes get the same message (a redelivery after a lost connection) at once:
    the receiver runs once, the other process waits for its claim and then accepts the
    delivery as already answered; the journal has one entry and one answer."""
    calls: list[str] = []
    inbound = InboundMessage(
        message_id="m-42", correlation_id="m-42", subject="KPR_IPL", to="131725_async",
        reply_to="12345_async", content_type="text/plain",
        application_properties={"fromHerId": "12345", "toHerId": "131725"}, body=b"x",
        delivery_count=1)
    with Journal(database_url) as first_journal, Journal(database_url) as second_journal:

        def processor(name: str, journal: Journal) -> BrokerProcessor:
            def receiver(message: InboundMessage) -> ProcessResult:
                calls.append(name)
                time.sleep(0.3)  # long enough for the rival to find the claim held
                entry = make_entry(message_id=message.message_id, sender_her_id="12345")
                queued = journal.record_answered(entry)
                return ProcessResult(Settle.ACCEPT, entry_id=entry.id, queued=tuple(queued))
            coordinator = coordinators(name)
            return BrokerProcessor(receiver, journal, coordinator,
                                   Outbox(journal, coordinator), max_wait_s=10)

        rivals = [processor("a", first_journal), processor("b", second_journal)]
        results = together([lambda p=p: p(inbound) for p in rivals])
        assert len(calls) == 1
        assert [r.settle for r in results] == [Settle.ACCEPT, Settle.ACCEPT]
        assert sorted(len(r.queued) for r in results) == [0, 1]
        assert first_journal.count(MessageFilter(message_id="m-42")) == 1
        assert len(first_journal.queued()) == 1


def test_a_message_sent_again_goes_to_the_receiver_and_a_redelivery_does_not(
        database_url: str, coordinators: Callable[..., Coordinator]) -> None:
    """After its answer, the same message-id sent again (a first delivery) reaches the
    receiver, whose duplicate rule answers it, whether its claim is kept or was pruned; a
    redelivery of it (delivery-count 1) is accepted without reaching the receiver."""
    calls: list[int] = []

    def message(delivery_count: int) -> InboundMessage:
        return InboundMessage(
            message_id="m-7", correlation_id="m-7", subject="KPR_IPL", to="131725_async",
            reply_to="12345_async", content_type="text/plain",
            application_properties={"fromHerId": "12345", "toHerId": "131725"}, body=b"x",
            delivery_count=delivery_count)

    with Journal(database_url) as journal:
        def receiver(inbound: InboundMessage) -> ProcessResult:
            calls.append(inbound.delivery_count)
            if journal.find("m-7", "12345") is not None:  # stands in for the duplicate rule
                return ProcessResult(Settle.ACCEPT)
            entry = make_entry(message_id="m-7", sender_her_id="12345")
            queued = journal.record_answered(entry)
            return ProcessResult(Settle.ACCEPT, entry_id=entry.id, queued=tuple(queued))

        coordinator = coordinators("only")
        processor = BrokerProcessor(receiver, journal, coordinator,
                                    Outbox(journal, coordinator), max_wait_s=5)
        assert len(processor(message(0)).queued) == 1
        assert processor(message(0)).settle is Settle.ACCEPT  # claim done: sent again
        assert calls == [0, 0]
        time.sleep(0.01)
        assert coordinator.prune(timedelta(0)) == 1
        assert processor(message(0)).settle is Settle.ACCEPT  # claim pruned: sent again
        assert calls == [0, 0, 0]
        assert processor(message(1)).settle is Settle.ACCEPT  # redelivered: not again
        assert calls == [0, 0, 0]
        assert journal.count(MessageFilter(message_id="m-7")) == 1


def test_processes_starting_together_on_a_fresh_database_all_open_it(database_url: str) -> None:
    """Table creation is serialised (PostgreSQL: an advisory lock), so none of several
    processes starting at once fails on another's half-created tables."""

    def start(name: str) -> str:
        with Journal(database_url) as journal:
            coordinator = Coordinator(database_url, lease_s=5, instance_id=name)
            try:
                coordinator.heartbeat()
                return f"{name}:{journal.count(MessageFilter())}"
            finally:
                coordinator.close()

    names = [f"p{n}" for n in range(6)]
    assert together([lambda n=n: start(n) for n in names]) == [f"{n}:0" for n in names]
