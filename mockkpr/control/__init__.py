"""The HTTP control API beside the AMQP endpoint: see what it received, wait, reset, metrics.

- :func:`~mockkpr.control.app.create_app` builds the FastAPI app over a
  :class:`~mockkpr.journal.store.Journal` (OpenAPI document at ``/openapi.json``, docs at
  ``/docs``);
- :class:`~mockkpr.control.server.ControlServer` runs it in a background thread;
- :class:`~mockkpr.control.metrics.Metrics` holds the Prometheus counters the endpoint updates.

Routes: ``GET /healthz``, ``GET /readyz``, ``GET /api/messages``,
``GET /api/messages/{message_id}`` (``/feedback``, ``/payload``, ``/apprec``), ``GET /api/wait``,
``POST /api/reset``, ``GET /metrics``, ``POST /api/conformance/cases`` and
``GET /api/conformance/runs`` (:mod:`mockkpr.control.records`); with a registry also
``GET /api/pki/ca.pem`` and ``GET /api/parties`` (:mod:`mockkpr.control.parties`). The web
view's pages (HTML, ``GET /`` and below) and ``/docs`` are :mod:`mockkpr.control.web`.

Import from the submodules; this package imports nothing, so that the command line's client
(:mod:`mockkpr.cli.messages`) does not load the web framework.
"""
