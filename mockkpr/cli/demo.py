"""``mockkpr demo``: the whole round trip on the embedded default, in one command.

Starts the embedded endpoint (test PKI on first start), generates a synthetic annual report
with its identity file, sends both as the test municipality exactly as an EPJ's sender does,
then a copy with deliberate defects, and prints each verdict. Exit 0 when every answer is the
one expected (OK for the clean pair, "OK, feil i delmelding" for the defective copy).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from mockkpr.cli._endpoint import control_url
from mockkpr.client import KprClient
from mockkpr.client.verdict import describe
from mockkpr.endpoint.app import Endpoint
from mockkpr.envelope import Status
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
from mockkpr.settings import Settings, load_settings

SENDER = 12345
DEFECTS = {"TJ-TIMERUKE-RANGE": 2, "XSD-ROW": 1}


@click.command("demo")
@click.option("--persons", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Persons in the generated report.")
@click.option("--seed", type=int, default=42, show_default=True, help="Generator seed.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory (MOCKKPR_DATA_DIR, default .mockkpr).")
def demo(persons: int, seed: int, data_dir: Path | None) -> None:
    """Run the endpoint, generate a synthetic report, send it and show the verdicts."""
    settings = load_settings(data_dir=data_dir)
    out = settings.data_dir / "demo"
    click.echo(f"Generating {persons} synthetic persons for kommune 0301, year 2019 ...")
    clean = write(GenerationSpec(kommune="0301", year=2019, persons=persons, seed=seed,
                                 generation=Generation.ANNUAL_2019), out / "clean")
    flawed = write(GenerationSpec(kommune="0301", year=2019, persons=persons, seed=seed,
                                  generation=Generation.ANNUAL_2019, defects=DEFECTS),
                   out / "defects")
    expected = [(out / "clean", clean, Status.OK),
                (out / "defects", flawed, Status.OK_FEIL_I_DELMELDING)]
    failures = 0
    # The demo's own endpoint takes free ports, so a running `mockkpr serve` is no obstacle.
    with Endpoint(settings.model_copy(update={"amqps_port": 0, "amqp_port": None,
                                              "control_port": 0})) as endpoint:
        urls = endpoint.urls
        assert endpoint.registry is not None
        click.echo(f"Endpoint listening on {urls.amqps} (control API {urls.control})\n")
        with KprClient(f"{urls.amqps}/NHNTESTServiceBus", endpoint.registry, SENDER,
                       to_her_id=settings.kpr_her_id) as client:
            for folder, manifest, wanted in expected:
                names = [d["name"] for d in manifest["documents"]]
                # The identity message first, then the IPLOS file it belongs to.
                for name in sorted(names, key=lambda n: not n.startswith("KPR_IDE")):
                    answer = client.send_and_wait((folder / name).read_bytes(), timeout=120)
                    click.echo(f"{folder.name}/{name}")
                    click.echo(describe(answer))
                    status_wanted = Status.OK if name.startswith("KPR_IDE") else wanted
                    if answer.status is not status_wanted:
                        failures += 1
                        click.echo(f"  expected status {status_wanted.value}", err=True)
    if failures:
        click.echo(f"demo: {failures} answer(s) were not as expected", err=True)
        sys.exit(1)
    click.echo("demo: every answer was as expected.")
    click.echo(closing_hint(settings, data_dir))


def closing_hint(settings: Settings, data_dir: Path | None) -> str:
    """Where the journal is and the commands that show it, for the settings in force.

    The demo ran on ports of its own; ``mockkpr serve`` in the same shell listens where the
    settings say, so the hint names that port and the data directory the demo wrote.
    """
    serve = "mockkpr serve" + (f" --data-dir {shlex.quote(str(data_dir))}" if data_dir else "")
    url = control_url(settings)
    listing = "mockkpr messages list"
    if settings.control_port == 0:
        url, listing = "the control API URL it prints", listing + " --control-url URL"
    return (f"The journal in {settings.data_dir.resolve()} keeps every message with all its "
            f"findings: run `{serve}` and open {url}/ or run `{listing}`.")
