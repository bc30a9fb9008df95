"""``mockkpr scenarios``: the packaged fault-injection scenarios, the format's schema, checks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mockkpr.faults import library, load_scenario, scenario_schema
from mockkpr.faults.load import library_text


@click.group("scenarios")
def scenarios() -> None:
    """Fault-injection scenarios; arm one with `mockkpr serve --scenario`.

    The format and every fault: `mockkpr docs scenarios`.
    """


@scenarios.command("list")
def list_scenarios() -> None:
    """The packaged scenarios, one per line: name and what it asks of the sender."""
    entries = library()
    width = max(len(e.name) for e in entries)
    for entry in entries:
        click.echo(f"{entry.name:<{width}}  {entry.description}")


@scenarios.command("show")
@click.argument("name")
def show(name: str) -> None:
    """Print a packaged scenario's YAML (a starting point for your own)."""
    click.echo(library_text(name), nl=False)


@scenarios.command("schema")
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    click.echo(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))


@scenarios.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Check a scenario file; exit 2 with the problem (path and line in the file) if bad."""
    scenario = load_scenario(file)
    click.echo(f"{file}: scenario {scenario.name!r} with {len(scenario.faults)} fault(s) and "
               f"{len(scenario.expect)} expectation(s) is valid")
