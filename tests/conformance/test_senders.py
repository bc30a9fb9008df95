"""The senders the suite drives: a command line, the reference, and each broken sender.

Every broken sender is run against a real endpoint and shown to exhibit its flaw where the
suite will look for it: in the journal entry's ``details``, outcome and error, or in its exit
code where the reference sender's differs under the same scenario.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.conformance import flaws
from mockkpr.conformance.senders import (
    BROKEN_FLAWS,
    SendTask,
    broken_sender,
    command_sender,
    reference_sender,
)
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.errors import ConfigError
from mockkpr.journal.models import JournalEntry, MessageFilter, Outcome
from mockkpr.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
DOCUMENT = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
CONTRACT_FLAWS = {
    "wrong-algorithm", "sha1-digest", "missing-timestamp", "non-string-properties",
    "wrong-queue", "no-retry", "ignores-rejection", "accepts-forged", "sends-rejected-data",
    "no-split", "resends-after-ok", "amqp-value-body", "one-connection-per-message"}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("senders"), amqps_port=0,
                        amqp_port=0, control_port=0)
    with Endpoint(settings) as running:
        yield running


def task(endpoint: Endpoint, workdir: Path, *, file: Path = DOCUMENT,
         timeout: float = 20) -> SendTask:
    assert endpoint.registry is not None
    return SendTask(file=file, url=endpoint.urls.amqps + "/NHNTESTServiceBus",
                    registry=endpoint.registry.path, from_her_id=12345, to_her_id=131725,
                    timeout=timeout, workdir=workdir)


def newest(endpoint: Endpoint) -> int:
    assert endpoint.journal is not None
    found = endpoint.journal.list(MessageFilter(), limit=1)
    return found[0].id or 0 if found else 0


def since(endpoint: Endpoint, after: int) -> list[JournalEntry]:
    assert endpoint.journal is not None
    return endpoint.journal.list(MessageFilter(after_id=after), newest_first=False)


def test_every_contract_flaw_has_a_broken_sender_and_a_description() -> None:
    assert set(BROKEN_FLAWS) >= CONTRACT_FLAWS
    assert all(len(text) > 20 for text in BROKEN_FLAWS.values())
    assert BROKEN_FLAWS["wrong-algorithm"] == (
        "Encrypts the content with AES-128-CBC instead of AES-256-CBC (profile §5).")


def test_an_unknown_flaw_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        broken_sender("slow")
    assert str(refused.value).startswith("no broken sender 'slow'; known: wrong-algorithm, ")


# ------------------------------------------------------------------ the reference
def test_reference_sender_is_accepted(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = reference_sender()(task(endpoint, tmp_path))
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert "AppRec" in outcome.stdout
    assert "ACCEPTED" in outcome.stdout
    assert outcome.stderr == ""
    [entry] = since(endpoint, before)
    assert entry.outcome is Outcome.ACCEPTED
    assert entry.details["cms.cipher"] == "aes-256-cbc"
    assert entry.details["wire.body_sections"] == ["data"]


def test_reference_sender_reports_unusable_input_like_mockkpr_send(
        endpoint: Endpoint, tmp_path: Path) -> None:
    outcome = reference_sender()(task(endpoint, tmp_path, file=tmp_path / "missing.xml"))
    assert outcome.exit_code == 2
    assert outcome.stderr == (f"mockkpr: error: {tmp_path / 'missing.xml'}: cannot be read "
                              "(No such file or directory)\n")


# ------------------------------------------------------------------ flaws seen on the wire
def test_wrong_algorithm(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("wrong-algorithm")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 0  # tolerated by the endpoint, seen in the details
    assert entry.details["cms.cipher"] == "aes-128-cbc"
    assert entry.details["cms.deviations"] == ["content encryption aes-128-cbc instead of "
                                               "aes-256-cbc"]


def test_sha1_digest(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("sha1-digest")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 2
    assert entry.error_condition == "transport:unsupported-message"
    assert (entry.error_description or "").startswith("Unsupported digest algorithm: sha1 (")
    assert "Transport error" in outcome.stdout


def test_missing_timestamp(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("missing-timestamp")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 2
    assert (entry.error_condition, entry.error_data) == (
        "transport:invalid-field-value", ("applicationTimeStamp",))
    assert "applicationTimeStamp" not in entry.details["wire.property_types"]


def test_non_string_properties(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("non-string-properties")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 0  # tolerated, seen in the details
    types = entry.details["wire.property_types"]
    assert (types["fromHerId"], types["toHerId"]) == ("long", "long")
    assert types["applicationTimeStamp"] == "string"


def test_wrong_queue(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("wrong-queue")(task(endpoint, tmp_path))
    assert outcome.exit_code == 2
    assert "amqp:not-found" in outcome.stdout
    assert "/exchange/131725_async" in outcome.stdout
    assert since(endpoint, before) == []  # nothing reached KPR


def test_no_retry(endpoint: Endpoint, tmp_path: Path) -> None:
    with endpoint.armed("retry-after-dropped-connection"):
        broken = broken_sender("no-retry")(task(endpoint, tmp_path))
    with endpoint.armed("retry-after-dropped-connection"):
        reference = reference_sender()(task(endpoint, tmp_path))
        endpoint.check()
    assert (broken.exit_code, reference.exit_code) == (2, 0)
    assert "The message could not be delivered: the message was not taken in 1 deliveries " \
        "(last: connection lost: " in broken.stdout


def test_ignores_rejection(endpoint: Endpoint, tmp_path: Path) -> None:
    with endpoint.armed("rejected-apprec"):
        broken = broken_sender("ignores-rejection")(task(endpoint, tmp_path))
    with endpoint.armed("rejected-apprec"):
        reference = reference_sender()(task(endpoint, tmp_path))
    assert (broken.exit_code, reference.exit_code) == (0, 1)
    assert "REJECTED" in broken.stdout


def test_accepts_forged(endpoint: Endpoint, tmp_path: Path) -> None:
    with endpoint.armed("forged-apprec"):
        broken = broken_sender("accepts-forged")(task(endpoint, tmp_path))
    with endpoint.armed("forged-apprec"):
        reference = reference_sender()(task(endpoint, tmp_path))
    assert (broken.exit_code, reference.exit_code) == (0, 2)
    assert "cannot be trusted" in reference.stdout


def test_sends_rejected_data(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("sends-rejected-data")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 1
    assert (entry.outcome, entry.apprec_status) == (Outcome.REJECTED, "2")
    assert entry.report is not None
    # IDE-NONE: no identity file was sent before (report only, see iplos/pairing.py)
    assert [f["rule_id"] for f in entry.report["findings"]] == ["XSD-HEADER", "IDE-NONE"]
    assert DOCUMENT.read_bytes() != entry.payload


def test_resends_after_ok(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("resends-after-ok")(task(endpoint, tmp_path))
    first, again = since(endpoint, before)
    assert outcome.exit_code == 0
    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.DUPLICATE)
    assert first.message_id == again.message_id


def test_amqp_value_body(endpoint: Endpoint, tmp_path: Path) -> None:
    before = newest(endpoint)
    outcome = broken_sender("amqp-value-body")(task(endpoint, tmp_path))
    [entry] = since(endpoint, before)
    assert outcome.exit_code == 0  # tolerated, seen in the details
    assert entry.details["wire.body_sections"] == ["amqp-value"]
    assert entry.properties["body-kind"] == "amqp-value-binary"


def client_send(endpoint: Endpoint, client_class: type[flaws.KprClient],
                split_bytes: int) -> JournalEntry:
    """Send with a client class directly, splitting at ``split_bytes`` (the fixture is small;
    the suite sends a large file through broken_sender)."""
    assert endpoint.registry is not None
    before = newest(endpoint)
    with client_class(endpoint.urls.amqps + "/NHNTESTServiceBus", endpoint.registry, 12345,
                      split_bytes=split_bytes) as client:
        answer = client.send_and_wait(DOCUMENT.read_bytes(), timeout=20)
    assert answer.status is Status.OK
    [entry] = since(endpoint, before)
    return entry


def test_no_split(endpoint: Endpoint) -> None:
    whole = client_send(endpoint, flaws.NoSplit, 4096)
    split = client_send(endpoint, flaws.KprClient, 4096)
    assert whole.body_size > 4096
    assert "group.parts" not in whole.details
    assert split.details["group.parts"] > 1


def test_one_connection_per_message(endpoint: Endpoint) -> None:
    many = client_send(endpoint, flaws.OneConnectionPerMessage, 4096)
    one = client_send(endpoint, flaws.KprClient, 4096)
    parts = many.details["group.parts"]
    assert len(set(many.details["group.connection_ids"])) == parts > 1
    assert len(set(one.details["group.connection_ids"])) == 1


# ------------------------------------------------------------------ a vendor's command
def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_command_sender_runs_mockkpr_send(endpoint: Endpoint, tmp_path: Path) -> None:
    sender = command_sender(
        f"{sys.executable} -m mockkpr send {{file}} --url {{url}} --registry {{registry}} "
        "--from {from} --to {to} --timeout 20 --json", env=env())
    before = newest(endpoint)
    outcome = sender(task(endpoint, tmp_path))
    assert outcome.exit_code == 0, outcome.stderr
    verdict = json.loads(outcome.stdout[outcome.stdout.index("{\n"):])
    assert (verdict["kind"], verdict["status"], verdict["exit_code"]) == ("apprec", "1", 0)
    [entry] = since(endpoint, before)
    assert entry.message_id == verdict["message_id"]


def test_command_sender_fills_every_placeholder(endpoint: Endpoint, tmp_path: Path) -> None:
    sender = command_sender(
        f"{sys.executable} -c 'import sys, json; print(json.dumps(sys.argv[1:]))' "
        "{file} {url} {registry} {from} {to} {ca} 'literal {{braces}}' x={from}")
    outcome = sender(task(endpoint, tmp_path))
    assert endpoint.registry is not None
    assert json.loads(outcome.stdout) == [
        str(DOCUMENT), endpoint.urls.amqps + "/NHNTESTServiceBus",
        str(endpoint.registry.path), "12345", "131725", str(endpoint.registry.ca_path),
        "literal {braces}", "x=12345"]


def test_command_sender_passes_exit_code_and_output(endpoint: Endpoint,
                                                    tmp_path: Path) -> None:
    sender = command_sender("sh -c 'pwd; echo to-stderr >&2; exit 3'")
    outcome = sender(task(endpoint, tmp_path))
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (
        3, f"{tmp_path}\n", "to-stderr\n")


def test_command_sender_kills_the_whole_process_group(endpoint: Endpoint,
                                                      tmp_path: Path) -> None:
    sender = command_sender("sh -c 'sleep 60 & echo $!; wait'", grace=0.5)
    outcome = sender(task(endpoint, tmp_path, timeout=0.2))
    assert outcome.exit_code == -9
    assert outcome.stderr == "mockkpr: the sender was killed after 0.7 s\n"
    child = int(outcome.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the background sleep went with its group
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the sender's child {child} outlived the kill")


@pytest.mark.parametrize(("template", "message"), [
    ("send {file} {password}", "sender command: unknown placeholder {password} in "
     "'{password}'; known: {file}, {url}, {registry}, {from}, {to}, {ca}, {timeout} and on "
     "the HTTP route {authority}, {token_url}, {client_id}, {jwk}, {control}"),
    ("send 'unbalanced", "sender command \"send 'unbalanced\": No closing quotation"),
    ("   ", "sender command is empty"),
    ("send {file", "sender command: '{file': expected '}' before end of string (write {{ "
     "and }} for a literal brace)"),
])
def test_command_sender_refuses_a_bad_template(template: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        command_sender(template)
    assert str(refused.value) == message


def test_command_sender_says_when_the_command_cannot_start(endpoint: Endpoint,
                                                          tmp_path: Path) -> None:
    sender = command_sender("/nonexistent/sender {file}")
    with pytest.raises(ConfigError) as refused:
        sender(task(endpoint, tmp_path))
    assert str(refused.value) == ("sender command '/nonexistent/sender' cannot be started: "
                                  "No such file or directory")
