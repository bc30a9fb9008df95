"""The web view: server-rendered pages over the journal, served by the control API at ``/``.

Pages (all ``GET``, read-only; docs/web.md): the messages list (live, filtered, paged), one
message (verdict, AppRec, transport error, envelope, timeline, observations), its findings
(grouped worst first, CSV and JSON), its document with line numbers, its answers (the AppRec
as XML and as the exact bytes sent), the endpoint (readiness, parties and queues, scenario,
clock), conformance runs, and the OpenAPI docs (Swagger UI from packaged assets).

Templates are Jinja2 with autoescaping; the CSS and JavaScript are this package's own files
(``static/``), Swagger UI comes from the ``fastapi-offline`` package: nothing is
fetched from the internet. :class:`~mockkpr.control.web.security.SecurityHeaders` sets a
Content-Security-Policy without inline script. Anything that changes state stays in the JSON
API.
"""
