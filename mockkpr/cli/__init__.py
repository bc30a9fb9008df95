"""The ``mockkpr`` command line.

Each command lives in its own module of this package and is registered at the bottom of this
file. Expected failures (:class:`~mockkpr.errors.MockKprError`) end with a one-line message on
standard error and exit code 2; they never show a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mockkpr import __version__
from mockkpr.errors import MockKprError
from mockkpr.log import configure
from mockkpr.settings import load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


class _Group(click.Group):
    """A click group that turns mockkpr's own errors into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MockKprError as exc:
            click.echo(f"mockkpr: error: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockkpr")
def main() -> None:
    """mockkpr: a fake KPR validation endpoint on AMQP 1.0 and a synthetic IPLOS generator.

    Settings come from MOCKKPR_* environment variables; see README.md.
    """
    # Logging follows MOCKKPR_LOG_LEVEL / MOCKKPR_LOG_FORMAT for every command; `serve`
    # configures it again from its own --config file.
    configure(load_settings())


def _register() -> None:
    # Imported here so that `mockkpr --help` stays one import chain per command module.
    from mockkpr.cli import (
        certify,
        demo,
        generate,
        messages,
        pki,
        scenarios,
        send,
        serve,
        validate,
    )

    main.add_command(validate.validate)
    main.add_command(generate.generate)
    main.add_command(pki.pki)
    main.add_command(serve.serve)
    main.add_command(send.send)
    main.add_command(messages.messages)
    main.add_command(demo.demo)
    main.add_command(scenarios.scenarios)
    main.add_command(certify.certify)


_register()
