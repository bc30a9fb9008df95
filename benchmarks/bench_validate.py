"""Validator speed and memory on a big annual file, beside bare lxml parsing and XSD validation.

    .venv/bin/python benchmarks/bench_validate.py [--persons 95000] [--generation 2019]

Generates a synthetic annual file with mockkpr's generator (about 5.3 kB per person in 2019:
95,000 persons make about 500 MB), then measures, each in its own process so that peak
memory is its own:

- ``lxml-parse``: iterparse over the file, clearing each PERSON (the floor for any reader);
- ``lxml-parse+xsd``: the same with lxml's streaming validation against mockkpr's schema;
- ``mockkpr-validate``: ``mockkpr.iplos.validate`` (schema per row, every rule, the report).

Results go to ``benchmarks/results/validate.json`` and are printed. Targets from the issue:
peak RSS < 300 MB and >= 30,000 persons per second on one core.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "validate.json"


def _measure(kind: str, path: str, schema_file: str, persons_hint: int) -> dict[str, Any]:
    """Run one measurement in this process (called in a child process)."""
    from lxml import etree

    start_cpu, start = time.process_time(), time.perf_counter()
    persons = 0
    if kind == "mockkpr-validate":
        from mockkpr.iplos import validate

        report = validate(path)
        persons = persons_hint  # the report counts rows of every kind, not persons
        extra = {"accepted": report.accepted, "rows": report.rows.total,
                 "findings": sum(report.totals_per_rule.values())}
    else:
        from mockkpr.iplos.schemas import load_schema

        options: dict[str, Any] = {"events": ("end",), "tag": "{*}PERSON"}
        if kind == "lxml-parse+xsd":
            options["schema"] = load_schema(schema_file)
        for _, element in etree.iterparse(path, **options):
            persons += 1
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
        extra = {}
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    size = Path(path).stat().st_size
    return {
        "kind": kind, "persons": persons, "bytes": size, "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2), "persons_per_second": round(persons / cpu),
        "mb_per_second": round(size / 1e6 / cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=95_000)
    parser.add_argument("--generation", choices=["2018", "2019"], default="2019")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "PATH", "SCHEMA", "PERSONS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, schema, persons = args.child
        print(json.dumps(_measure(kind, path, schema, int(persons))))
        return

    from mockkpr.generator import GenerationSpec, write
    from mockkpr.iplos import Generation

    generation = Generation(args.generation)
    year = 2018 if generation is Generation.ANNUAL_2018 else 2019
    with tempfile.TemporaryDirectory() as folder:
        manifest = write(GenerationSpec(kommune="0301", year=year, persons=args.persons,
                                        seed=7, generation=generation), Path(folder))
        iplos = next(d for d in manifest["documents"] if d["name"].startswith("KPR_IPL"))
        path = str(Path(folder) / iplos["name"])
        schema = f"iplos-{args.generation}.xsd"
        runs = []
        for kind in ("lxml-parse", "lxml-parse+xsd", "mockkpr-validate"):
            out = subprocess.run([sys.executable, __file__, "--child", kind, path, schema,
                                  str(args.persons)], check=True, capture_output=True, text=True)
            run = json.loads(out.stdout)
            runs.append(run)
            print(json.dumps(run))
    result = {"generation": args.generation, "persons": args.persons, "runs": runs,
              "python": platform.python_version(), "machine": platform.machine(),
              "date": time.strftime("%Y-%m-%d")}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
