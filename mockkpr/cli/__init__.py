"""The ``mockkpr`` command line.

Each command lives in its own module of this package, named in :data:`COMMANDS` and imported
only when it runs. Expected failures (:class:`~mockkpr.errors.MockKprError`) end with a one-line
message on standard error and exit code 2; they never show a traceback.
"""

from __future__ import annotations

import importlib
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


#: Command name -> the module of this package that defines it (as an attribute of that name).
#: Modules are imported only when their command runs (or help lists it), so that
#: ``mockkpr serve`` does not pay for the imports of every other command.
COMMANDS = {name: f"mockkpr.cli.{name}"
            for name in ("validate", "generate", "pki", "serve", "send", "messages", "demo",
                         "scenarios", "broker", "certify", "docs")}


class _Group(click.Group):
    """A click group that loads its commands lazily and turns mockkpr's own errors into a
    message and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            try:
                command = getattr(importlib.import_module(COMMANDS[cmd_name]), cmd_name)
            except ModuleNotFoundError as missing:  # an extra that is not installed
                from mockkpr.cli._extras import unavailable

                command = unavailable(cmd_name, missing)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

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

    Settings come from MOCKKPR_* environment variables (`mockkpr docs readme`, Configuration);
    `mockkpr docs` lists the user documentation.
    """
    # Logging follows MOCKKPR_LOG_LEVEL / MOCKKPR_LOG_FORMAT for every command; `serve`
    # configures it again from its own --config file.
    configure(load_settings())
