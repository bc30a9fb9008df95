"""The message page's facts from a real endpoint: a split message's parts and connections, the
identity message an annual file was joined with, the scenario fault that touched a message and
the timeline of a held-back AppRec (no browser: the HTML)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
from tests.web.pilot import Pilot, pilot

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pilot]:
    with pilot(tmp_path_factory.mktemp("facts")) as started:
        started.pilot_sends()
        yield started


def _page(running: Pilot, entry_id: int) -> str:
    response = running.http.get(f"/messages/{entry_id}")
    assert response.status_code == 200
    return response.text


def test_a_split_message_shows_its_parts_and_connections(running: Pilot) -> None:
    client = running.client  # its answers come to this connection: one consumer per queue
    client.split_bytes = 2000
    try:
        answer = client.send_and_wait(running.documents["clean"]["KPR_IDE"], timeout=60)
    finally:
        client.split_bytes = 1 << 20
    assert answer.kind == "apprec"
    assert answer.sent.parts > 2
    entry = running.entry(answer.sent.message_id)
    page = _page(running, entry["id"])
    assert f"Split message: {answer.sent.parts} parts" in page
    for part in answer.sent.messages:
        assert f"<code>{part.id}</code>" in page
    connection = entry["details"]["group.connection_ids"][0]
    assert f"<td>{connection}</td>" in page
    assert f"the last of {answer.sent.parts} parts" in page


def test_an_annual_file_names_the_identity_message_it_was_joined_with(running: Pilot) -> None:
    identity = running.send("identity again", running.documents["clean"]["KPR_IDE"])
    annual = running.send("annual again", running.documents["clean"]["KPR_IPL"])
    page = _page(running, annual.entry_id)
    assert (f'Joined with the identity message <a href="/messages/{identity.entry_id}">'
            f"#{identity.entry_id}</a>") in page
    assert "Joined with" not in _page(running, identity.entry_id)  # a KPR_IDE joins nothing


def test_an_annual_file_without_its_identity_message_says_none_matched(
        running: Pilot, tmp_path: Path) -> None:
    """Kommune 1103 never sent its identity message: the identity message of 0301 that the
    sender did send is not joined with it (issue 12, point 8), and the page says so."""
    manifest = write(GenerationSpec(kommune="1103", year=2019, persons=5, seed=3,
                                    generation=Generation.ANNUAL_2019), tmp_path)
    annual = next(d for d in manifest["documents"] if d["kind"] == "KPR_IPL")
    sent = running.send("stavanger", (tmp_path / annual["name"]).read_bytes())
    page = _page(running, sent.entry_id)
    section = page.split("<h3>Identity message</h3>")[1].split("</section>")[0]
    assert "No accepted identity message from this sender matched" in section
    assert "kommune 1103, year 2019" in section
    assert "IDE-NONE" in section


def test_a_fault_and_a_held_back_apprec_show_on_the_page(running: Pilot) -> None:
    armed = running.http.post("/api/scenario", params={"name": "late-apprec"}, json={})
    assert armed.status_code == 200, armed.text
    try:
        client = running.client
        xml, msg_id, function = client.envelope(running.documents["partial"]["KPR_IPL"])
        sent = client.prepare(client.protect(xml), subject=function, msg_id=msg_id)
        client.transmit(sent, time.monotonic() + 30)
        entry = running.entry(sent.message_id)
        page = _page(running, entry["id"])
        faults = page.split('id="faults"')[1].split("</section>")[0]
        assert "<code>late</code>" in faults
        assert "late-apprec" in faults
        timeline = page.split('id="timeline"')[1].split("</section>")[0]
        assert "AppRec held back" in timeline
        assert "until the endpoint&#39;s clock reaches" in timeline
        other = _page(running, running.entry(running.send(
            "after", running.documents["clean"]["KPR_IDE"]).answer.sent.message_id)["id"])
        assert "No fault of the armed scenario fired on this message." in other
    finally:
        running.http.delete("/api/scenario")
    assert 'id="faults"' not in _page(running, entry["id"])  # disarmed: nothing to say


def test_pages_name_the_parties(running: Pilot) -> None:
    page = running.http.get("/").text
    assert "Testkommune Saksbehandling" in page
    endpoint = running.http.get("/endpoint").text
    assert "131725_async" in endpoint
    assert "mockkpr-12345" in endpoint
