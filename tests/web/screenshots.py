"""Screenshots of the web view after pilot sends, for docs/web.md.

Run ``scripts/web-screenshots`` (it runs ``python -m tests.web.screenshots docs/web``): starts a
real endpoint in a temporary directory, makes the pilot sends of :mod:`tests.web.pilot`
(identity, clean, partial, rejected, transport error), records a small conformance run, and
saves a PNG of each page with Debian's headless Chromium. The browser tests call
:func:`take` too, so the command keeps working.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.web.pilot import CHROMIUM, CHROMIUM_ARGS, Pilot, Sent, chromium_missing, pilot

#: Width of the pictures (CSS pixels); the height is the page's, up to MAX_HEIGHT.
WIDTH = 1280
MAX_HEIGHT = 2400


def pages(sent: dict[str, Sent], run_id: str | None = None) -> list[tuple[str, str, str | None]]:
    """(file name, path, how much to show) of each picture."""
    partial, rejected = sent["partial"].entry_id, sent["rejected"].entry_id
    transport = sent["transport-error"].entry_id
    return [
        ("messages.png", "/", None),
        ("message-partial.png", f"/messages/{partial}", None),
        ("message-rejected.png", f"/messages/{rejected}", None),
        ("message-transport-error.png", f"/messages/{transport}", None),
        ("findings.png", f"/messages/{partial}/findings", None),
        ("document.png", f"/messages/{rejected}/document?line=2#L2", "viewport"),
        ("apprec.png", f"/messages/{partial}/answers/1", None),
        ("endpoint.png", "/endpoint", None),
        ("conformance.png", f"/conformance/{run_id}" if run_id else "/conformance", None),
        ("docs.png", "/docs", "viewport"),
    ]


def take(running: Pilot, sent: dict[str, Sent], out: Path, browser: Any) -> list[Path]:
    """Save each page as a PNG in ``out``; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": WIDTH, "height": 900},
                                  device_scale_factor=1)
    page = context.new_page()
    running.open_in(page)
    written = []
    runs = running.http.get("/api/conformance/runs").json()
    try:
        for name, path, mode in pages(sent, runs[0]["id"] if runs else None):
            page.goto(running.base_url + path)
            if path == "/docs":
                page.wait_for_selector(".opblock")
            page.wait_for_load_state("networkidle")
            target = out / name
            if mode == "viewport":
                page.screenshot(path=str(target))
            else:
                height = min(MAX_HEIGHT, page.evaluate("document.body.scrollHeight"))
                page.set_viewport_size({"width": WIDTH, "height": int(height)})
                page.screenshot(path=str(target))
                page.set_viewport_size({"width": WIDTH, "height": 900})
            written.append(target)
    finally:
        context.close()
    return written


def record_conformance(running: Pilot) -> None:
    """A short conformance run of the reference sender against the endpoint."""
    from mockkpr.conformance.cases import select
    from mockkpr.conformance.drivers import InProcessDriver
    from mockkpr.conformance.harness import Harness
    from mockkpr.conformance.senders import reference_sender

    harness = Harness(InProcessDriver(running.endpoint), reference_sender(),
                      running.workdir / "certify", timeout=10,
                      sender_name="mockkpr send (the reference sender)")
    harness.certify(select(["KPR-CONF-01[2-7]", "KPR-CONF-020"]))
    running.http.post("/api/reset", json={}).raise_for_status()  # the runs stay recorded


def main(argv: list[str]) -> int:
    """``python -m tests.web.screenshots DIRECTORY``."""
    if len(argv) != 1:
        print("usage: python -m tests.web.screenshots DIRECTORY", file=sys.stderr)
        return 2
    reason = chromium_missing()
    if reason is not None:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(argv[0])
    with tempfile.TemporaryDirectory(prefix="mockkpr-screenshots-") as work, \
            pilot(Path(work)) as running:
        record_conformance(running)
        sent = running.pilot_sends()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            try:
                for path in take(running, sent, out, browser):
                    print(path)
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
