"""What every page needs: the journal's queries, the templates and the endpoint's state."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from mockkpr import __version__
from mockkpr.control.findings import CONSEQUENCES
from mockkpr.control.web.document import DocumentCache
from mockkpr.control.web.words import ERROR_EN, STATUS_EN, verdict
from mockkpr.journal.browse import Browser
from mockkpr.journal.models import JournalEntry, Outcome
from mockkpr.journal.store import Journal
from mockkpr.registry import Registry

if TYPE_CHECKING:
    from mockkpr.control.scenario import ScenarioControl


#: Parsed validation reports kept for the pages (:meth:`Web.entry`).
REPORTS_KEPT = 8


def _time(value: datetime | None) -> str:
    """``2024-05-01 12:00:00`` (UTC), or an empty string."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _size(value: int | None) -> str:
    """A byte count for people: ``812 B``, ``14.2 kB``, ``3.4 MB``."""
    if value is None:
        return ""
    if value < 1000:
        return f"{value} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6)):
        if value < scale * 1000:
            return f"{value / scale:.1f} {unit}"
    return f"{value / 1e9:.1f} GB"


def environment() -> Environment:
    """The templates, autoescaped, with the helpers the pages use."""
    env = Environment(loader=PackageLoader("mockkpr.control.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["time"] = _time
    env.filters["size"] = _size
    env.filters["q"] = lambda value: quote(str(value), safe="")
    env.globals.update(version=__version__, verdict=verdict, status_en=STATUS_EN, error_en=ERROR_EN,
                       consequences=CONSEQUENCES, outcomes=list(Outcome), query=urlencode)
    return env


@dataclass
class Web:
    """The state behind the pages."""

    journal: Journal
    checks: Callable[[], dict[str, bool]]
    registry: Registry | None = None
    scenarios: ScenarioControl | None = None
    listeners: Mapping[str, str] = field(default_factory=dict)
    env: Environment = field(default_factory=environment)
    documents: DocumentCache = field(default_factory=DocumentCache)

    def __post_init__(self) -> None:
        self.browser = Browser(self.journal)
        self._reports: OrderedDict[int, dict[str, Any] | None] = OrderedDict()
        self._reports_lock = threading.Lock()

    def entry(self, entry_id: int) -> JournalEntry | None:
        """An entry with its report (without its payload). The reports of the most recently
        viewed settled entries are kept parsed: a report of thousands of findings is read
        and parsed once for all the pages of its message."""
        entry = self.browser.entry(entry_id, with_report=False)
        if entry is None:
            return None
        with self._reports_lock:
            known = entry_id in self._reports
            report = self._reports.get(entry_id)
            if known:
                self._reports.move_to_end(entry_id)
        if not known:
            report = self.browser.report(entry_id)
            if entry.outcome is not Outcome.PENDING:  # settled: its report never changes
                with self._reports_lock:
                    self._reports[entry_id] = report
                    while len(self._reports) > REPORTS_KEPT:
                        self._reports.popitem(last=False)
        entry.report = report
        return entry

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        """A page from ``template``."""
        html = self.env.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status)

    def not_found(self, text: str) -> HTMLResponse:
        """The 404 page saying what was not found."""
        return self.render("error.html.j2", status=404, title="Not found", text=text)

    def party_name(self, her_id: str | None) -> str | None:
        """The registry's name of a HER-id, if it is a party."""
        if self.registry is None or her_id is None or not her_id.isdigit():
            return None
        party = self.registry.find(int(her_id))
        return party.name if party is not None else None
