"""The web view in a real browser: Debian's headless Chromium, driven by Playwright.

A real endpoint gets pilot sends over AMQPS from the reference sender (a clean, a partial, a
rejected annual file and one refused with a transport error, after the identity message); a
person's path through the pages is then followed: the list, each message, a finding to its
line, the AppRec downloads (compared with what the sender received, and opened with
``openssl cms``), the endpoint page and the offline API docs. Every page is watched for script
errors, Content-Security-Policy violations and requests to anywhere but the endpoint.

The endpoint's control API requires a token, as it does beyond loopback or in a container:
each browser context opens the web view once with ``?token=`` and every page, download, poll
and the API docs then work on the cookie the API set, from the same origin.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mockkpr.envelope import parse_apprec
from tests.web.pilot import CHROMIUM, CHROMIUM_ARGS, Pilot, Sent, chromium_missing, pilot
from tests.web.screenshots import pages, take

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOSTILE = '<img src=x onerror="document.title=1">'
TOKEN = "synthetic-web-view-token-0123456789"


@dataclass
class Site:
    """The endpoint with its pilot sends, and a browser."""

    pilot: Pilot
    sent: dict[str, Sent]
    browser: Any
    dialogs: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.pilot.base_url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    reason = chromium_missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with pilot(tmp_path_factory.mktemp("web"), control_token=TOKEN) as running:
        sent = running.pilot_sends()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            try:
                yield Site(running, sent, browser)
            finally:
                browser.close()


@pytest.fixture
def page(site: Site) -> Iterator[Any]:
    """A fresh page; after the test, no script error, CSP violation or outside request."""
    context = site.browser.new_context(viewport={"width": 1280, "height": 900},
                                       accept_downloads=True)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("request", lambda r: None if r.url.startswith(site.base)
              else problems.append(f"request to {r.url}"))
    opened.on("dialog", lambda d: (site.dialogs.append(d.message), d.dismiss()))
    site.pilot.open_in(opened)
    yield opened
    context.close()
    assert problems == []


def _row(page: Any, sent: Sent) -> Any:
    return page.locator(f'#rows tr[data-id="{sent.entry_id}"]')


def test_the_list_shows_each_send_with_its_outcome_in_words_and_colour(site: Site,
                                                                       page: Any) -> None:
    page.goto(site.base + "/")
    expected = {"identity": "Accepted", "clean": "Accepted",
                "partial": "Accepted with errors in parts", "rejected": "Rejected",
                "transport-error": "Transport error"}
    colours = {}
    for name, words in expected.items():
        badge = _row(page, site.sent[name]).locator(".badge")
        assert badge.inner_text() == words
        colours[name] = badge.evaluate("e => getComputedStyle(e).color")
    assert colours["identity"] == colours["clean"]
    assert len({colours[n] for n in ("clean", "partial", "rejected", "transport-error")}) == 4
    red, green, blue = map(int, re.findall(r"\d+", colours["rejected"])[:3])
    assert red > 2 * green
    assert red > 2 * blue
    red, green, blue = map(int, re.findall(r"\d+", colours["clean"])[:3])
    assert green > red
    assert green > blue
    rows = page.locator("#rows tr[data-id]")
    ids = [int(rows.nth(n).get_attribute("data-id")) for n in range(rows.count())]
    assert ids == sorted(ids, reverse=True)  # newest first
    chips = page.locator("#counts").inner_text()
    assert "Accepted 2" in chips
    assert "Rejected 1" in chips
    assert "Transport error 1" in chips
    assert _row(page, site.sent["transport-error"]).inner_text().count(
        "transport:unsupported-message") == 1


def test_filters_narrow_the_list(site: Site, page: Any) -> None:
    page.goto(site.base + "/")
    page.select_option("select[name=outcome]", "rejected")  # applies at once
    page.wait_for_url(re.compile(r"outcome=rejected"))
    ids = page.locator("#rows tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)")
    assert ids == [str(site.sent["rejected"].entry_id)]
    page.goto(site.base + "/")
    partial = site.sent["partial"]
    page.fill("input[name=q]", partial.answer.sent.message_id[:8].upper())
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q="))
    ids = page.locator("#rows tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)")
    assert ids == [str(partial.entry_id)]


@pytest.mark.parametrize(("name", "no", "en"), [
    ("clean", "Godkjent", "Accepted"),
    ("partial", "Godkjent, feil i delmelding", "Accepted with errors in parts"),
    ("rejected", "Avvist", "Rejected"),
])
def test_a_message_page_says_what_the_apprec_said(site: Site, page: Any, name: str, no: str,
                                                   en: str) -> None:
    sent = site.sent[name]
    received = sent.answer.apprec  # what the sender decrypted and verified
    assert received is not None
    page.goto(f"{site.base}/messages/{sent.entry_id}")
    assert page.locator("#verdict .no").inner_text() == no
    assert page.locator("#verdict .en").inner_text() == en
    verdict = page.locator("#verdict").inner_text()
    assert f"status {received.status.value}" in verdict
    assert f"“{received.status_text}”" in verdict
    shown = page.locator("#apprec tbody tr")
    assert shown.count() == len(received.errors)
    for n, error in enumerate(received.errors):
        cells = shown.nth(n).locator("td")
        assert cells.nth(0).inner_text() == error.code
        assert cells.nth(1).inner_text() == (error.text or "")
        assert cells.nth(2).inner_text() != ""  # in English
        assert cells.nth(3).inner_text() == (error.detail or "")
    if name != "clean":
        assert page.locator("#findings tbody tr").count() >= len(received.errors)


def test_a_transport_error_page_names_the_check_that_failed(site: Site, page: Any) -> None:
    sent = site.sent["transport-error"]
    assert sent.answer.kind == "transport-error"
    page.goto(f"{site.base}/messages/{sent.entry_id}")
    assert page.locator("#verdict .no").inner_text() == "Transportfeil"
    section = page.locator("#transport-error").inner_text()
    assert sent.answer.error_condition is not None
    assert sent.answer.error_condition in section
    assert (sent.answer.error_description or "") in section
    assert "Check 6 of the endpoint's checks" in section
    assert page.locator("#apprec").count() == 0


def test_a_finding_leads_to_its_line_in_the_document(site: Site, page: Any) -> None:
    sent = site.sent["partial"]
    page.goto(f"{site.base}/messages/{sent.entry_id}/findings")
    first = page.locator("#findings-table tbody tr:not(.group)").first
    rule = first.locator("td").nth(1).inner_text()
    value = first.locator("td").nth(4).inner_text()
    first.locator("a.line-link").click()
    page.wait_for_url(re.compile(r"/document\?line=\d+#L\d+$"))
    number = int(page.url.rsplit("#L", 1)[1])
    line = page.locator(f"#L{number}")
    assert "mark" in (line.get_attribute("class") or "")
    assert value in line.inner_text()
    assert rule in line.locator(".flags").inner_text()
    box = line.bounding_box()
    assert box is not None
    assert 0 <= box["y"] <= 900
    background = line.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    # and back: the line's rule links to the findings on that line
    line.locator(".flags a").first.click()
    page.wait_for_url(re.compile(rf"/findings\?line={number}$"))
    assert rule in page.locator("#findings-table").inner_text()


def _openssl(*args: str | Path, data: bytes) -> bytes:
    done = subprocess.run(["openssl", "cms", *map(str, args)], input=data,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize("name", ["partial", "rejected"])
def test_the_apprec_downloads_are_what_the_sender_received(site: Site, page: Any,
                                                           name: str, tmp_path: Path) -> None:
    sent = site.sent[name]
    assert sent.answer.wire is not None
    assert sent.answer.apprec is not None
    page.goto(f"{site.base}/messages/{sent.entry_id}")
    with page.expect_download() as protected_download:
        page.get_by_text("Download as sent").click()
    protected = Path(protected_download.value.path()).read_bytes()
    assert protected == sent.answer.wire.body  # byte for byte what came over AMQP
    with page.expect_download() as xml_download:
        page.get_by_text("Download AppRec XML").click()
    xml = Path(xml_download.value.path()).read_bytes()
    # openssl opens the downloaded CMS with the sender's key and checks KPR's signature
    party = site.pilot.pki / "parties" / "12345"
    signed = _openssl("-decrypt", "-binary", "-inform", "DER", "-outform", "DER",
                      "-recip", party / "encryption-cert.pem",
                      "-inkey", party / "encryption-key.UNENCRYPTED.pem", data=protected)
    content = _openssl("-verify", "-binary", "-inform", "DER",
                       "-CAfile", site.pilot.pki / "ca" / "ca-cert.pem", data=signed)
    assert content == xml
    assert parse_apprec(xml).apprec_id == sent.answer.apprec.apprec_id
    assert protected_download.value.suggested_filename.endswith(".p7m")


def test_the_endpoint_page_shows_readiness_parties_and_the_ca(site: Site, page: Any) -> None:
    page.goto(site.base + "/endpoint")
    assert page.locator("#readiness li.good").count() >= 4
    assert page.locator("#readiness li.bad").count() == 0
    parties = page.locator("#parties tbody tr")
    assert parties.count() == 3
    assert "12345_dl" in page.locator("#parties").inner_text()
    assert "amqps://localhost:" in page.locator("#connect").inner_text()
    with page.expect_download() as ca:
        page.get_by_text("The test CA certificate").click()
    assert Path(ca.value.path()).read_bytes() == (site.pilot.pki / "ca" / "ca-cert.pem") \
        .read_bytes()


def test_the_api_docs_work_offline(site: Site, page: Any) -> None:
    page.goto(site.base + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 10
    assert "mockkpr control API" in page.locator(".info .title").inner_text()


def test_sender_controlled_text_stays_text(site: Site, page: Any) -> None:
    client = site.pilot.client
    xml, msg_id, function = client.envelope(site.pilot.documents["clean"]["KPR_IDE"])
    prepared = client.prepare(client.protect(xml), subject=function, msg_id=msg_id,
                              properties={**client.properties(), "note": HOSTILE})
    (message,) = prepared.messages
    message.id = HOSTILE
    client.send_messages([message], msg_id=msg_id)
    entry = site.pilot.entry(HOSTILE)
    for path in ("/", f"/messages/{entry['id']}"):
        page.goto(site.base + path)
        assert page.locator("img").count() == 0
        assert page.title() != "1"
        assert page.get_by_text(HOSTILE).first.is_visible()
    assert site.dialogs == []


def test_a_new_message_appears_without_reload(site: Site, page: Any) -> None:
    page.goto(site.base + "/")
    page.evaluate("window.stillHere = true")
    assert page.locator("#live").is_visible()
    again = site.pilot.send("again", site.pilot.documents["clean"]["KPR_IDE"])
    row = page.locator(f'#rows tr[data-id="{again.entry_id}"]')
    row.wait_for(timeout=15_000)
    assert page.evaluate("window.stillHere") is True  # the same page, not reloaded
    assert "Accepted" in row.inner_text()
    assert "new" in (row.get_attribute("class") or "")


def test_without_the_token_a_browser_sees_only_the_refusal(site: Site) -> None:
    """A browser that never opened ``?token=`` (another user, another site's page) gets
    401 on every page; the ``?token=`` visit sets a strict, HttpOnly cookie."""
    context = site.browser.new_context()
    try:
        page = context.new_page()
        for path in ("/", f"/messages/{site.sent['clean'].entry_id}", "/docs",
                     "/live/messages"):
            response = page.goto(site.base + path)
            assert response is not None
            assert response.status == 401, path
        assert context.cookies() == []
        opened = page.goto(f"{site.base}/?token={TOKEN}")
        assert opened is not None
        assert opened.status == 200
        [cookie] = context.cookies()
        assert (cookie["name"], cookie["value"], cookie["httpOnly"], cookie["sameSite"]) == (
            "mockkpr_control_token", TOKEN, True, "Strict")
        polled = page.goto(site.base + "/live/messages")
        assert polled is not None
        assert polled.status == 200
    finally:
        context.close()


def test_the_screenshot_command_takes_every_page(site: Site, tmp_path: Path) -> None:
    written = take(site.pilot, site.sent, tmp_path, site.browser)
    assert [p.name for p in written] == [name for name, _, _ in pages(site.sent)]
    for picture in written:
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert picture.stat().st_size > 10_000
