"""The ``mockkpr`` command line.

Each command lives in its own module of this package, named in :data:`COMMANDS` and imported
only when it runs; ``mockkpr --help`` lists the commands from :data:`SHORT_HELP` without
importing any of them (nor settings and logging), so that it answers at once. Expected
failures (:class:`~mockkpr.errors.MockKprError`) end with a one-line message on standard error
and exit code 2; they never show a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from mockkpr import __version__
from mockkpr.errors import MockKprError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


#: Command name -> the module of this package that defines it (as an attribute of that name).
#: Modules are imported only when their command runs (or help lists it), so that
#: ``mockkpr serve`` does not pay for the imports of every other command.
COMMANDS = {name: f"mockkpr.cli.{name}"
            for name in ("validate", "generate", "pki", "serve", "send", "messages", "demo",
                         "scenarios", "broker", "certify", "coverage", "docs")}

#: Command name -> the first paragraph of its help, which the command list shortens exactly as
#: click would (a test keeps these in step with the commands' own help texts). A command
#: missing here is imported for its help instead.
SHORT_HELP = {
    "validate": "Validate IPLOS files (annual 2018/2019, event 56.0.0, identity KPR_IDE).",
    "generate": "Generate synthetic IPLOS data (and a manifest.json) into --out.",
    "pki": "Create and inspect a test PKI and its address registry (test material only).",
    "serve": "Run the KPR validation endpoint (embedded AMQP 1.0 broker) until interrupted.",
    "send": "Send FILE to KPR and print the verdict.",
    "messages": "See what a running mockkpr endpoint received and answered.",
    "demo": "Run the endpoint, generate a synthetic report, send it and show the verdicts.",
    "scenarios": "Fault-injection scenarios; arm one with `mockkpr serve --scenario`.",
    "broker": "Broker mode: mockkpr as a consumer on a real RabbitMQ (`mockkpr docs broker-mode`).",
    "certify": "Certify a sender: run the conformance suite and write the evidence.",
    "coverage": "Show what the journal's traffic exercised: requirements, rules, message "
                "kinds, code values, scenarios and answers - and what it never did.",
    "docs": "Print the user documentation on TOPIC; without one, list the topics.",
}


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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, as click writes it, without importing the lazy commands (in a
        light install, where some cannot be imported, each is tried so that the list says
        what it needs)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        lazy = _server_extra_installed()
        rows = []
        for name in names:
            if lazy and name not in self.commands and name in SHORT_HELP:
                stand_in = click.Command(name, help=SHORT_HELP[name])
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MockKprError as exc:
            click.echo(f"mockkpr: error: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)


def _server_extra_installed() -> bool:
    """True when every module of the ``server`` extra can be found (none is imported)."""
    from mockkpr.cli._extras import EXTRA_OF

    for module, extra in EXTRA_OF.items():
        if extra != "server":
            continue
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockkpr")
def main() -> None:
    """mockkpr: a fake KPR validation endpoint on AMQP 1.0 and a synthetic IPLOS generator.

    Settings come from MOCKKPR_* environment variables (`mockkpr docs readme`, Configuration);
    `mockkpr docs` lists the user documentation.
    """
    # Logging follows MOCKKPR_LOG_LEVEL / MOCKKPR_LOG_FORMAT for every command; `serve`
    # configures it again from its own --config file. (Imported here: --help needs neither.)
    from mockkpr.log import configure
    from mockkpr.settings import load_settings

    configure(load_settings())
