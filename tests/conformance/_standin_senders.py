"""TEMPORARY stand-in for ``mockkpr.conformance.senders`` (contract section 2).

The real module is built on branch ``conf-wire``; until it is merged, this file gives the
suite's tests the contract's names so that the harness can be tested on a real endpoint:
``SendTask``, ``SendOutcome``, ``Sender``, ``reference_sender()`` (one :class:`KprClient` per
task, no retries) and ``command_sender(template)``. ``conftest.py`` installs it only when the
real module cannot be imported (:func:`install`). Delete this file when conf-wire is merged.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mockkpr.client import KprClient
from mockkpr.client.verdict import describe, exit_code
from mockkpr.errors import MockKprError
from mockkpr.registry import load_registry

STANDIN = True


@dataclass(frozen=True)
class SendTask:
    file: Path
    url: str
    registry: Path
    from_her_id: int
    to_her_id: int
    timeout: float
    workdir: Path


@dataclass(frozen=True)
class SendOutcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float


Sender = Callable[[SendTask], SendOutcome]


def reference_sender() -> Sender:
    """KprClient as `mockkpr send` uses it: one connection per task, no retries."""

    def send(task: SendTask) -> SendOutcome:
        started = time.monotonic()
        try:
            registry = load_registry(task.registry)
            with KprClient(task.url, registry, task.from_her_id,
                           to_her_id=task.to_her_id) as client:
                answer = client.send_and_wait(task.file.read_bytes(), timeout=task.timeout)
        except MockKprError as exc:
            return SendOutcome(2, "", str(exc), time.monotonic() - started)
        return SendOutcome(exit_code(answer), describe(answer), "", time.monotonic() - started)

    return send


def command_sender(template: str) -> Sender:
    """The command of ``template`` with the task's values, run once per task."""

    def send(task: SendTask) -> SendOutcome:
        registry = load_registry(task.registry)
        command = template.format(file=task.file, url=task.url, registry=task.registry,
                                  ca=registry.ca_path, timeout=f"{task.timeout:g}",
                                  **{"from": task.from_her_id, "to": task.to_her_id})
        started = time.monotonic()
        done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                              timeout=task.timeout + 10, check=False, cwd=task.workdir)
        return SendOutcome(done.returncode, done.stdout, done.stderr,
                           time.monotonic() - started)

    return send


def install() -> None:
    """Make ``mockkpr.conformance.senders`` importable: the real module when it exists, else
    this stand-in."""
    import sys

    try:
        import mockkpr.conformance.senders  # noqa: F401
    except ModuleNotFoundError:
        sys.modules["mockkpr.conformance.senders"] = sys.modules[__name__]
