"""``mockkpr generate``: synthetic IPLOS data that names no real person.

Annual generations (2018, 2019) write one ``KPR_IPL`` file and one ``KPR_IDE`` identity file;
56.0.0 writes a year of event messages. A ``manifest.json`` beside them says what was made.
See docs/generator.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mockkpr.cli._progress import progress
from mockkpr.errors import MockKprError
from mockkpr.generator.api import MANIFEST_NAME, write
from mockkpr.generator.defects import parse_defects
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos.formats import Generation

EXIT_UNUSABLE = 2


@click.command("generate")
@click.option("--kommune", required=True, help="Kommune number (4 digits) valid in the year.")
@click.option("--year", type=int, required=True, help="Reporting year.")
@click.option("--persons", type=int, default=1000, show_default=True,
              help="Number of service recipients.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Same arguments and seed give byte-identical output.")
@click.option("--generation", type=click.Choice([g.value for g in Generation]), default="2019",
              show_default=True, help="Format: annual 2018 or 2019, or event message 56.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Output directory (created if missing).")
@click.option("--defects", "defects_text", metavar="RULE=N[,RULE=N]|all",
              help="Inject exactly N violations of each validator rule ('all': one of each "
                   "injectable rule that can share the output). Recorded in the manifest; "
                   "see `mockkpr docs generator`.")
@click.option("--bydel", help="Sending bydel (2 digits) for kommuner with bydeler.")
@click.option("--d-number-share", type=float, default=0.01, show_default=True,
              help="Share of persons with a synthetic D-number instead of a fødselsnummer.")
@click.option("--messages", type=int, help="56: split the year into this many messages.")
@click.option("--max-notifications", type=int, help="56: at most this many per message.")
@click.option("--running-number", type=int, default=1, show_default=True,
              help="Annual: iiLopenr of the files.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]),
              default="text", show_default=True,
              help="json: one JSON summary on standard output (files, counts, defects).")
def generate_command(kommune: str, year: int, persons: int, seed: int, generation: str,
                     out_dir: Path, defects_text: str | None, bydel: str | None,
                     d_number_share: float, messages: int | None,
                     max_notifications: int | None, running_number: int,
                     output_format: str) -> None:
    """Generate synthetic IPLOS data (and a manifest.json) into --out.

    Exit codes: 0 written, 2 unusable options (the message says which).
    """
    try:
        chosen = Generation(generation)
        defects = parse_defects(defects_text, chosen) if defects_text is not None else {}
        spec = GenerationSpec(kommune=kommune, year=year, persons=persons, seed=seed,
                              generation=chosen, defects=defects, bydel=bydel,
                              d_number_share=d_number_share, messages=messages,
                              max_notifications=max_notifications,
                              running_number=running_number)
        with progress("generate", str(out_dir), total=persons, unit="person") as advance:
            manifest = write(spec, out_dir, progress=advance)
    except MockKprError as exc:
        click.echo(f"mockkpr: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    if output_format == "json":
        click.echo(json.dumps(summary(manifest, out_dir), ensure_ascii=False, indent=2))
        return
    for document in manifest["documents"]:
        click.echo(f"{out_dir / document['name']}: {document['bytes']} bytes")
    counts = manifest["counts"]
    click.echo(f"{out_dir / MANIFEST_NAME}: {counts['persons']} persons, "
               f"{len(manifest['defects'])} defects")


def summary(manifest: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """What ``generate --format json`` prints: the files made (path, kind, bytes, SHA-256),
    the counts and the injected defects; the manifest beside them has everything."""
    return {
        "manifest": str(out_dir / MANIFEST_NAME),
        "generation": manifest["spec"]["generation"],
        "kommune": manifest["spec"]["kommune"],
        "year": manifest["spec"]["year"],
        "seed": manifest["spec"]["seed"],
        "documents": [{"path": str(out_dir / d["name"]), "kind": d["kind"],
                       "bytes": d["bytes"], "sha256": d["sha256"]}
                      for d in manifest["documents"]],
        "counts": manifest["counts"],
        "defects": manifest["defects"],
    }


generate = generate_command
generate.name = "generate"
