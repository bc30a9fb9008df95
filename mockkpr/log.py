"""Structured logging: one line per event, written to standard error.

Modules get a logger with :func:`get_logger` and log events with key-value pairs
(``log.info("message.received", message_id=..., size=...)``). Payloads are never logged at INFO.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from mockkpr.settings import Settings


def configure(settings: Settings) -> None:
    """Set up the processor chain once per process, from ``log_level`` and ``log_format``."""
    renderer: Any
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=True)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """Return a structured logger bound to the module ``name``."""
    return structlog.get_logger(name)
