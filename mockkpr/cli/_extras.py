"""Commands whose optional dependencies are not installed say which extra brings them.

The light install (``pip install mockkpr``) has the client commands; ``serve``, ``demo``,
``generate``, ``certify`` and ``broker`` need ``pip install 'mockkpr[server]'``. A command
whose module cannot be imported for want of one of those packages is replaced by one that
says so, instead of a traceback.
"""

from __future__ import annotations

import importlib.util
from typing import Any, NoReturn

import click

from mockkpr.errors import ConfigError

#: Top-level module -> the extra of pyproject.toml that installs it.
EXTRA_OF = {
    "sqlalchemy": "server", "fastapi": "server", "starlette": "server", "uvicorn": "server",
    "prometheus_client": "server", "faker": "server", "jinja2": "server", "pika": "server",
    "numpy": "server",
    "testcontainers": "testing", "docker": "testing", "psycopg": "postgres",
}


def require(*modules: str) -> None:
    """Raise :class:`ModuleNotFoundError` for the first of ``modules`` that is not installed,
    importing none of them: a command module that imports its dependencies only when the
    command runs (start-up time) calls this when it is imported, so that a light install
    still lists the command as not installed."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def install_hint(error: ModuleNotFoundError) -> str | None:
    """``pip install 'mockkpr[EXTRA]'`` for a module an extra installs; None for others."""
    top = (error.name or "").split(".")[0]
    extra = EXTRA_OF.get(top)
    return None if extra is None else f"pip install 'mockkpr[{extra}]'"


def unavailable(name: str, error: ModuleNotFoundError) -> click.Command:
    """A stand-in for command ``name`` that says what to install; re-raises other errors."""
    hint = install_hint(error)
    if hint is None:
        raise error

    def refuse(**_: Any) -> NoReturn:
        raise ConfigError(f"`mockkpr {name}` needs the {error.name} package, which this "
                          f"installation lacks: {hint} (or run the container image)")

    return click.Command(
        name, callback=refuse, add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        short_help=f"(not installed: {hint})", help=f"Not installed here: {hint}.")
