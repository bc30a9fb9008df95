"""The message pages: the list (live), one message, its findings, its document, its answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import QueryParams

from mockkpr.control import findings as f
from mockkpr.control.web import views
from mockkpr.control.web.context import Web
from mockkpr.control.web.document import PAGE_LINES
from mockkpr.control.web.words import flatten
from mockkpr.control.web.xmlview import colour, pretty
from mockkpr.journal.browse import Page
from mockkpr.journal.models import MessageFilter, Outcome

#: Messages on one page of the list.
LIST_LIMIT = 50
#: Findings on one page of the findings table.
FINDINGS_PAGE = 200
_FILTERS = ("q", "sender", "subject", "outcome", "apprec", "since", "until")


@dataclass
class ListQuery:
    """The list's filters as typed into its form, with what could not be used."""

    values: dict[str, str]
    before: int | None = None
    after: int | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, params: QueryParams) -> ListQuery:
        values = {name: params.get(name, "").strip() for name in _FILTERS}
        query = cls({k: v for k, v in values.items() if v})
        query.before = query._cursor(params.get("before"), "before")
        query.after = query._cursor(params.get("after"), "after")
        return query

    def _cursor(self, text: str | None, name: str) -> int | None:
        if not text:
            return None
        if not text.isdigit():
            self.errors.append(f"{name}: {text!r} is not a journal id")
            return None
        return int(text)

    def _time(self, name: str) -> datetime | None:
        text = self.values.get(name)
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.errors.append(f"{name}: {text!r} is not a date and time (ISO 8601, e.g. "
                               "2024-05-01T12:00; no offset means UTC)")
            return None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def filter(self) -> MessageFilter:
        """The journal filter (values that could not be used are left out, and said)."""
        outcome = self.values.get("outcome")
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            self.errors.append(f"outcome: {outcome!r} is not an outcome")
            outcome = None
        return MessageFilter(
            sender_her_id=self.values.get("sender"), subject=self.values.get("subject"),
            outcome=Outcome(outcome) if outcome else None,
            apprec_status=self.values.get("apprec"), search=self.values.get("q"),
            since=self._time("since"), until=self._time("until"))

    def link(self, **changes: str | int | None) -> str:
        """This list's URL with ``changes`` (None removes a parameter)."""
        params: dict[str, str | int] = dict(self.values)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return "/?" + "&".join(f"{k}={_quote(str(v))}" for k, v in params.items()) \
            if params else "/"


def _quote(text: str) -> str:
    return quote(text, safe="")


def _findings_params(rule: str | None, consequence: int | None, line: int | None) -> str:
    params = {"rule": rule, "consequence": consequence, "line": line}
    return "&".join(f"{k}={_quote(str(v))}" for k, v in params.items() if v is not None)


def pages_router(web: Web) -> APIRouter:
    """The routes of the message pages."""
    router = APIRouter(include_in_schema=False)

    def list_parts(query: ListQuery) -> dict[str, Any]:
        flt = query.filter()
        page = web.browser.page(flt, before=query.before, after=query.after, limit=LIST_LIMIT)
        counts = web.browser.counts(flt)
        names = {s.sender_her_id: web.party_name(s.sender_her_id) for s in page.items}
        return {"page": page, "counts": counts, "names": names, "query": query,
                "total": sum(n for o, n in counts.items()
                             if flt.outcome is None or o is flt.outcome)}

    @router.get("/", response_class=Response)
    def messages(request: Request) -> Response:
        query = ListQuery.of(request.query_params)
        parts = list_parts(query)
        live = query.before is None and query.after is None
        parties = sorted(web.registry.parties.items()) if web.registry is not None else []
        return web.render("list.html.j2", checks=web.checks(), live=live, parties=parties,
                          live_url=query.link().replace("/?", "/live/messages?", 1)
                          if query.values else "/live/messages", **parts)

    @router.get("/live/messages", response_class=Response)
    def live(request: Request) -> Response:
        """The list's first page as HTML pieces, or 304 when nothing changed."""
        state = f'"{web.browser.state()}"'
        if request.headers.get("if-none-match") == state:
            return Response(status_code=304, headers={"etag": state,
                                                      "cache-control": "no-cache"})
        query = ListQuery.of(request.query_params)
        query.before = query.after = None
        parts = list_parts(query)
        macros: Any = web.env.get_template("macros.html.j2").module
        page: Page = parts["page"]
        body = {"rows": str(macros.message_rows(page, parts["names"])),
                "counts": str(macros.outcome_counts(parts["counts"], query)),
                "total": parts["total"], "newest": page.items[0].id if page.items else 0}
        return JSONResponse(body, headers={"etag": state, "cache-control": "no-cache"})

    @router.get("/messages/{entry_id}", response_class=Response)
    def message(entry_id: int) -> Response:
        entry = web.entry(entry_id)
        if entry is None:
            return web.not_found(f"There is no message #{entry_id} in the journal (a reset or "
                                 "the journal's bounds may have removed it).")
        answers = views.answers(web, entry)
        joined, identity = views.identity(web, entry)
        apprec = next((a for a in answers if a.apprec is not None), None)
        return web.render(
            "message.html.j2", e=entry, answers=answers, apprec=apprec,
            timeline=views.timeline(entry, answers), firings=views.firings(web, entry),
            parts=views.split_parts(entry), joined=joined, identity=identity,
            check=views.check(entry), report=views.report_summary(entry.report),
            http=views.http_facts(entry),
            sender_name=web.party_name(entry.sender_her_id),
            receiver_name=web.party_name(entry.receiver_her_id),
            envelope=entry.envelope is not None, colour=colour,
            observed=[(key, text) for name, value in sorted(entry.details.items())
                      for key, text in flatten(value, name)])

    @router.get("/messages/{entry_id}/findings", response_class=Response)
    def findings(entry_id: int, rule: str | None = None,
                 consequence: Annotated[int | None, Query()] = None,
                 line: Annotated[int | None, Query()] = None,
                 page: Annotated[int, Query(ge=1)] = 1) -> Response:
        entry = web.entry(entry_id)
        if entry is None or entry.report is None:
            return web.not_found(f"Message #{entry_id} has no validation report.")
        report = entry.report
        chosen = f.select(report.get("findings") or [], rule=rule, consequence=consequence,
                          line=line)
        pages = max(1, -(-len(chosen) // FINDINGS_PAGE))
        page = min(page, pages)
        first = (page - 1) * FINDINGS_PAGE
        shown = [{**finding, "n": first + n}
                 for n, finding in enumerate(chosen[first:first + FINDINGS_PAGE], start=1)]
        params = _findings_params(rule, consequence, line)
        return web.render(
            "findings.html.j2", e=entry, report=report, rules=f.rule_totals(report),
            per_consequence=f.consequence_totals(report), shown=shown, matched=len(chosen),
            page=page, pages=pages, rule=rule, consequence=consequence, line=line,
            params=params)

    @router.get("/messages/{entry_id}/findings.{kind}", response_class=Response)
    def findings_download(entry_id: int, kind: Literal["csv", "json"],
                          rule: str | None = None, consequence: int | None = None,
                          line: int | None = None) -> Response:
        """The findings (with the page's filters) as CSV or JSON, worst first."""
        entry = web.entry(entry_id)
        if entry is None or entry.report is None:
            return web.not_found(f"Message #{entry_id} has no validation report.")
        chosen = f.select(entry.report.get("findings") or [], rule=rule,
                          consequence=consequence, line=line)
        attachment = {"content-disposition":
                      f'attachment; filename="findings-{entry_id}.{kind}"'}
        if kind == "csv":
            return Response(f.to_csv(chosen), media_type="text/csv; charset=utf-8",
                            headers=attachment)
        body = {"message_id": entry.message_id, "journal_id": entry_id,
                "filters": {"rule": rule, "consequence": consequence, "line": line},
                "totals": entry.report.get("totals"), "findings": chosen}
        return Response(json.dumps(body, ensure_ascii=False, indent=1),
                        media_type="application/json", headers=attachment)

    @router.get("/messages/{entry_id}/document", response_class=Response)
    def document(entry_id: int, line: Annotated[int | None, Query(ge=1)] = None,
                 start: Annotated[int | None, Query(ge=1)] = None,
                 part: str = "payload") -> Response:
        entry = web.entry(entry_id)
        if entry is None:
            return web.not_found(f"There is no message #{entry_id} in the journal.")
        if part == "msghead":
            text = pretty(entry.envelope) if entry.envelope else None
            if text is None:
                return web.not_found(f"Message #{entry_id} has no decrypted MsgHead.")
            return web.render("msghead.html.j2", e=entry, lines=text.split("\n"),
                              colour=colour)
        lines = web.documents.get(entry_id, lambda: web.browser.payload(entry_id))
        if lines is None:
            return web.not_found(f"Message #{entry_id} has no decrypted document "
                                 f"(outcome {entry.outcome.value}).")
        if start is None:  # pages start at lines 1, 501, 1001...: the one holding ``line``
            start = 1 if line is None else (line - 1) // PAGE_LINES * PAGE_LINES + 1
        start = min(start, lines.count)
        shown = lines.page(start)
        marks = f.lines_with_findings((entry.report or {}).get("findings") or [])
        end = shown[-1].number if shown else start
        marked = sorted(marks)
        return web.render(
            "document.html.j2", e=entry, shown=shown, marks=marks, total=lines.count,
            start=start, end=end, size=len(lines.data), target=line, colour=colour,
            page_lines=PAGE_LINES,
            previous_mark=next((n for n in reversed(marked) if n < start), None),
            next_mark=next((n for n in marked if n > end), None),
            marks_here=sum(1 for n in marked if start <= n <= end))

    @router.get("/messages/{entry_id}/answers/{index}", response_class=Response)
    def answer(entry_id: int, index: int) -> Response:
        entry = web.entry(entry_id)
        found = web.browser.answer(entry_id, index - 1) if entry is not None else None
        if entry is None or found is None:
            return web.not_found(f"Message #{entry_id} has no answer {index}.")
        text = pretty(found.message.document) if found.message.document else None
        return web.render("answer.html.j2", e=entry, a=found, index=index,
                          apprec=views.read_apprec(found),
                          lines=text.split("\n") if text else [], colour=colour)

    @router.get("/messages/{entry_id}/answers/{index}/document", response_class=Response)
    def answer_document(entry_id: int, index: int) -> Response:
        found = web.browser.answer(entry_id, index - 1)
        if found is None or found.message.document is None:
            return web.not_found(f"Message #{entry_id} has no answer {index} with a document.")
        return Response(found.message.document, media_type="application/xml", headers={
            "content-disposition":
                f'attachment; filename="{found.kind}-{entry_id}-{index}.xml"'})

    @router.get("/messages/{entry_id}/answers/{index}/body", response_class=Response)
    def answer_body(entry_id: int, index: int) -> Response:
        found = web.browser.answer(entry_id, index - 1)
        if found is None:
            return web.not_found(f"Message #{entry_id} has no answer {index}.")
        protected = found.message.content_type.startswith("application/pkcs7-mime")
        return Response(found.message.body, media_type=found.message.content_type
                        if protected else "application/octet-stream", headers={
                            "content-disposition": f'attachment; filename="{found.kind}-'
                            f'{entry_id}-{index}.{"p7m" if protected else "bin"}"'})

    return router
