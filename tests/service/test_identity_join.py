"""The receiver joins an annual file only with a matching identity message (issue 12, case 8).

Matching (mockkpr/iplos/pairing.py): same kommune, same reporting year, same bydel where both
give one; the newest such identity message the sender had accepted. The report names the one
used (message-id, received time); without one, IDE-NONE and PE-IDENT-MISSING for each person.
Each test sends real CMS-protected messages through the receiver with its own journal.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mockkpr.cms import protect, unprotect
from mockkpr.envelope import Organisation, build_msghead, parse_apprec
from mockkpr.iplos.pairing import PairKey
from mockkpr.journal.models import JournalEntry
from mockkpr.journal.store import Journal
from mockkpr.registry import Registry
from mockkpr.service.messages import CMS_CONTENT_TYPE, InboundMessage
from mockkpr.service.pipeline import Receiver
from mockkpr.settings import Settings

KPR, SENDER = 131725, 12345
FIXTURES = Path(__file__).parents[2] / "fixtures"
ANNUAL = (FIXTURES / "valid/iplos-2019.xml").read_bytes()
IDENTITY = (FIXTURES / "valid/kpr-ide-1.xml").read_bytes()  # kommune 0301, bydel 03, 2019


def other(identity: bytes, **fields: str) -> bytes:
    """``identity`` with header fields changed (iiKomnr=..., iiFraDato=..., ...)."""
    for name, value in fields.items():
        start = identity.index(f"<{name}>".encode()) + len(name) + 2
        identity = identity[:start] + value.encode() + identity[identity.index(b"<", start):]
    return identity


class Sender:
    """Sends documents as 12345 through one receiver and journal, a second apart."""

    def __init__(self, receiver: Receiver, registry: Registry) -> None:
        self.receiver, self.registry = receiver, registry
        self.clock = datetime(2020, 1, 14, 9, 0, tzinfo=UTC)

    def send(self, document: bytes, function: str) -> JournalEntry:
        sender, kpr = self.registry.party(SENDER), self.registry.party(KPR)
        assert sender.signing is not None
        self.clock += timedelta(seconds=1)
        envelope = build_msghead(document, msg_type=function, msg_id=str(uuid.uuid4()),
                                 gen_date=self.clock, sender=Organisation(sender.name, SENDER),
                                 receiver=Organisation(kpr.name, KPR))
        body = protect(envelope, signer_cert=sender.signing.certificate,
                       signer_key=sender.signing.key,
                       recipient_cert=kpr.encryption_certificate)
        message_id = str(uuid.uuid4())
        result = self.receiver.process(InboundMessage(
            message_id=message_id, correlation_id=message_id, subject=function,
            to=f"{KPR}_async", reply_to=f"{SENDER}_async", content_type=CMS_CONTENT_TYPE,
            application_properties={"fromHerId": str(SENDER), "toHerId": str(KPR),
                                    "applicationTimeStamp": "2020-01-14T09:00:00Z"},
            body=body, queue=f"{KPR}_async", received_at=self.clock))
        assert result.entry_id is not None
        entry = self.receiver.journal.get(result.entry_id)  # type: ignore[attr-defined]
        assert isinstance(entry, JournalEntry)
        return entry

    def identity(self, document: bytes = IDENTITY) -> JournalEntry:
        entry = self.send(document, "KPR_IDE")
        assert entry.outcome.value == "accepted", entry.report
        return entry

    def apprec_errors(self, entry: JournalEntry) -> list[tuple[str, str]]:
        opened = unprotect(entry.answers[0].message.body,
                           own_keys=self.registry.party(SENDER).own_keys(),
                           expected_signer=self.registry.party(KPR).signing_certificate,
                           ca_certs=[self.registry.ca_certificate], crls=[self.registry.crl],
                           now=datetime.now(UTC))
        return [(e.code, e.detail or "") for e in parse_apprec(opened.payload).errors]


@pytest.fixture
def sender(tmp_path: Path, session_registry: Registry) -> Iterator[Sender]:
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    yield Sender(Receiver(session_registry, journal, Settings(data_dir=tmp_path)),
                 session_registry)
    journal.close()


def identity_of(entry: JournalEntry) -> dict[str, Any]:
    assert entry.report is not None
    found: dict[str, Any] = entry.report["identity"]
    return found


def test_an_unrelated_newer_identity_message_is_not_joined(sender: Sender) -> None:
    """The issue's case: the file came after identities of another kommune and year."""
    matching = sender.identity()
    sender.identity(other(IDENTITY, iiKomnr="5001"))  # Trondheim, same year
    sender.identity(other(IDENTITY, iiFraDato="20180101", iiTilDato="20181231",
                          iiLagetDato="20190114"))  # Oslo, the year before
    annual = sender.send(ANNUAL, "KPR_IPL")
    assert (annual.outcome.value, annual.apprec_status) == ("accepted", "1")
    assert annual.report is not None
    assert annual.report["findings"] == []
    assert identity_of(annual) == {
        "joined": True, "kommune": "0301", "year": 2019, "bydel": "03",
        "journal_id": matching.id, "message_id": matching.message_id,
        "msg_id": (matching.msghead or {})["msg_id"],
        "received_at": matching.received_at.isoformat()}


def test_the_newest_matching_identity_message_is_joined(sender: Sender) -> None:
    sender.identity()
    newer = sender.identity(other(IDENTITY, iiLopenr="2", iiLagetDato="20200115"))
    annual = sender.send(ANNUAL, "KPR_IPL")
    assert identity_of(annual)["message_id"] == newer.message_id


def test_another_bydel_is_not_joined_but_no_bydel_is(sender: Sender) -> None:
    sender.identity(other(IDENTITY, iiBydelsnr="04"))
    assert identity_of(sender.send(ANNUAL, "KPR_IPL"))["joined"] is False
    kommune_wide = sender.identity(other(IDENTITY, iiBydelsnr="00"))
    assert identity_of(sender.send(ANNUAL, "KPR_IPL"))["message_id"] == \
        kommune_wide.message_id


def test_an_annual_file_without_a_matching_identity_message_is_reported(
        sender: Sender) -> None:
    """Accepted (report only: KPR takes data even when incomplete), and the feedback says
    that no identity message of its kommune and year came before it."""
    sender.identity(other(IDENTITY, iiKomnr="5001"))
    annual = sender.send(ANNUAL, "KPR_IPL")
    assert (annual.outcome.value, annual.apprec_status) == ("accepted", "1")
    assert identity_of(annual) == {
        "joined": False, "kommune": "0301", "year": 2019, "bydel": "03",
        "journal_id": None, "message_id": None, "msg_id": None, "received_at": None}
    assert annual.report is not None
    assert annual.report["identity_format"] is None
    assert annual.report["totals"]["per_rule"] == {"IDE-NONE": 1}
    [finding] = annual.report["findings"]
    assert (finding["consequence"], finding["location"], finding["expected"]) == (
        9, "/IPLOS/INNHINFO/iiKomnr", "a KPR_IDE for kommune 0301, 2019, bydel 03, sent before "
        "this file")
    assert sender.apprec_errors(annual) == []


def test_an_identity_message_keeps_its_pairing_key_in_the_journal(sender: Sender) -> None:
    entry = sender.identity()
    assert PairKey.from_json(entry.details["identity.pairing"]) == PairKey("0301", 2019, "03")
