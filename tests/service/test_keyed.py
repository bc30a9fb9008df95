"""KeyedLocks: copies of one message wait for each other, other messages never do."""

from __future__ import annotations

import threading

from mockkpr.service.keyed import KeyedLocks


def test_one_holder_per_key_other_keys_pass_and_unused_keys_are_dropped() -> None:
    locks = KeyedLocks()
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with locks.hold(("12345", "m1")):
            order.append("first")
            inside.set()
            release.wait(5)

    def copy() -> None:
        with locks.hold(("12345", "m1")):
            order.append("copy")

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(5)
    waiter = threading.Thread(target=copy)
    waiter.start()
    with locks.hold(("12345", "m2")):  # another message: not kept waiting
        order.append("other")
    with locks.hold(None):  # no key: nothing to wait for
        order.append("keyless")
    assert len(locks) == 1
    release.set()
    holder.join(5)
    waiter.join(5)
    assert order == ["first", "other", "keyless", "copy"]
    assert len(locks) == 0
