"""Put the web view on the control API's app."""

from __future__ import annotations

from fastapi import FastAPI

from mockkpr.control.web.context import Web
from mockkpr.control.web.more import more_router, mount_static
from mockkpr.control.web.pages import pages_router
from mockkpr.control.web.security import SecurityHeaders


def install_web(app: FastAPI, web: Web) -> None:
    """The pages, their assets and the security headers (on every response of ``app``)."""
    app.include_router(pages_router(web))
    app.include_router(more_router(web))
    mount_static(app)
    app.add_middleware(SecurityHeaders)
