"""Where the client commands find the endpoint: one rule for ``send`` and ``messages``.

Every command that talks to a running endpoint reads the same settings: its ``--url`` or
``--control-url`` flag when given, else the URL ``mockkpr serve`` listens on according to the
environment (``MOCKKPR_AMQPS_PORT``, ``MOCKKPR_HOST``, ``MOCKKPR_CONTROL_HOST``,
``MOCKKPR_CONTROL_PORT``) and the ``--config`` file, so a shell that started ``serve`` on other
ports reaches it without repeating them. The control API's token comes the same way
(:func:`control_token`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mockkpr.control.tokens import TOKEN_FILE, read_token_file
from mockkpr.control.urls import control_url as _control_url
from mockkpr.control.urls import local_host
from mockkpr.errors import ConfigError
from mockkpr.settings import Settings

#: The exchange of the default parties; the path of the endpoint's AMQP URL.
EXCHANGE = "NHNTESTServiceBus"

F = TypeVar("F", bound=Callable[..., Any])


def config_option(command: F) -> F:
    """``--config FILE``: the settings file ``mockkpr serve --config`` reads too."""
    return click.option(
        "--config", type=click.Path(dir_okay=False, path_type=Path),
        help="Settings file (YAML or TOML, keys as the MOCKKPR_* names in lower case without "
             "the prefix); the environment overrides it.")(command)


def amqp_url(settings: Settings, *, tls: bool = True) -> str:
    """``amqps://HOST:PORT/NHNTESTServiceBus`` of the endpoint these settings start.

    A wildcard listen address becomes the loopback address. Raises
    :class:`~mockkpr.errors.ConfigError` when the port is not known in advance (0: any free
    port; or no plain listener), since no URL can then be guessed.
    """
    port = settings.amqps_port if tls else settings.amqp_port
    variable = "MOCKKPR_AMQPS_PORT" if tls else "MOCKKPR_AMQP_PORT"
    if not port:
        raise ConfigError(f"{variable} is {port} (any free port): pass the endpoint's URL "
                          "with --url, as `mockkpr serve` printed it")
    host = local_host(settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"{'amqps' if tls else 'amqp'}://{host}:{port}/{EXCHANGE}"


def control_url(settings: Settings) -> str:
    """``http://HOST:PORT`` of the control API these settings start."""
    return _control_url(settings.control_host, settings.control_port)


def control_token(settings: Settings) -> str | None:
    """The control API's token: ``MOCKKPR_CONTROL_TOKEN``, else the one a ``mockkpr serve``
    with the same data directory made up (it listens beyond loopback); None: none needed."""
    return settings.control_token or read_token_file(settings.data_dir / TOKEN_FILE)
