"""Validator speed and memory on a big annual file, beside bare lxml parsing and XSD validation.

    .venv/bin/python benchmarks/bench_validate.py [--persons 95000] [--generation 2019] [--repeat 2]

Generates a synthetic annual file with mockkpr's generator (about 5.3 kB per person in 2019:
95,000 persons make about 500 MB), then measures, each in its own process so that peak
memory is its own, ``--repeat`` times in turn (the machine is shared: compare figures of one
run, and the best of the repeats):

- ``lxml-parse``: iterparse over the file, clearing each PERSON (the floor for any reader);
- ``lxml-parse+xsd``: the same with lxml's streaming validation against mockkpr's schema;
- ``mockkpr-validate``: ``mockkpr.iplos.validate`` (schema per row, every rule, the report).

``ratio_validate_to_lxml_xsd`` is mockkpr's best CPU time over the best of lxml-parse+xsd
(issue 13: at most 2). Then small documents: a 1 kB event message, a 1 kB identity message
and a 6 kB annual file with one person, each validated in-process many times, beside bare
lxml (parse the bytes, validate against the schema); ``fixed_cost_ms`` is the difference, what
mockkpr adds per document (issue 13: at most 0.1 ms for 1 kB).

Results go to ``benchmarks/results/validate.json`` and are printed. The profile command in
docs/performance.md shows where the time goes. Targets: peak RSS < 300 MB, validator at most
2x bare lxml parse + XSD.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _small(folder: Path, repeat: int) -> list[dict[str, Any]]:
    """Per-document cost of small documents: mockkpr's validate beside bare lxml."""
    import timeit

    from lxml import etree

    from mockkpr.generator import GenerationSpec, write
    from mockkpr.iplos import Generation, validate
    from mockkpr.iplos.schemas import load_schema
    from mockkpr.settings import Settings
    from mockkpr.xmlsafe import PARSER_OPTIONS

    write(GenerationSpec(kommune="0301", year=2022, persons=1, seed=3,
                         generation=Generation.EVENT_56), folder / "event")
    write(GenerationSpec(kommune="0301", year=2019, persons=1, seed=3,
                         generation=Generation.ANNUAL_2019), folder / "annual")
    documents = [next((folder / "event").glob("KPR_IPL_*.xml")),
                 next((folder / "annual").glob("KPR_IDE_*.xml")),
                 next((folder / "annual").glob("KPR_IPL_*.xml"))]
    settings = Settings()
    parser = etree.XMLParser(**PARSER_OPTIONS)
    out = []
    for path in documents:
        data = path.read_bytes()
        report = validate(data, settings=settings)
        fmt = report.document_format or report.identity_format
        assert fmt is not None
        assert report.accepted
        schema = load_schema(fmt.schema)
        number = 2000

        def bare(data: bytes = data, schema: etree.XMLSchema = schema) -> None:
            schema.validate(etree.fromstring(data, parser))

        def ours(data: bytes = data) -> None:
            validate(data, settings=settings)

        best_bare = best_ours = float("inf")
        for _ in range(max(3, repeat * 3)):  # in turn, best of each
            best_bare = min(best_bare, timeit.timeit(bare, number=number) / number)
            best_ours = min(best_ours, timeit.timeit(ours, number=number) / number)
        out.append({"document": f"{fmt.label}, {len(data)} bytes", "bytes": len(data),
                    "rows": report.rows.total,
                    "lxml_parse_xsd_ms": round(best_bare * 1e3, 4),
                    "mockkpr_validate_ms": round(best_ours * 1e3, 4),
                    "fixed_cost_ms": round((best_ours - best_bare) * 1e3, 4)})
        print(json.dumps(out[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=95_000)
    parser.add_argument("--generation", choices=["2018", "2019"], default="2019")
    parser.add_argument("--repeat", type=int, default=2,
                        help="measure each kind this many times, in turn (default 2)")
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
        kinds = ("lxml-parse", "lxml-parse+xsd", "mockkpr-validate")
        for _ in range(args.repeat):
            for kind in kinds:
                out = subprocess.run([sys.executable, __file__, "--child", kind, path, schema,
                                      str(args.persons)], check=True, capture_output=True,
                                     text=True)
                run = json.loads(out.stdout)
                runs.append(run)
                print(json.dumps(run))
        small = _small(Path(folder), args.repeat)
    best = {kind: min(r["cpu_seconds"] for r in runs if r["kind"] == kind) for kind in kinds}
    result = {"generation": args.generation, "persons": args.persons, "repeat": args.repeat,
              "best_cpu_seconds": best,
              "ratio_validate_to_lxml_xsd": round(best["mockkpr-validate"]
                                                  / best["lxml-parse+xsd"], 2),
              "ratio_validate_to_lxml_parse": round(best["mockkpr-validate"]
                                                    / best["lxml-parse"], 2),
              # Each round's own ratio: runs next to each other saw similar load.
              "ratio_validate_to_lxml_xsd_per_round": [
                  round(runs[i + 2]["cpu_seconds"] / runs[i + 1]["cpu_seconds"], 2)
                  for i in range(0, len(runs), len(kinds))],
              "peak_rss_mb": max(r["peak_rss_mb"] for r in runs
                                 if r["kind"] == "mockkpr-validate"),
              "runs": runs, "small_documents": small,
              "cpus": os.cpu_count(), "load_average_1min_after": round(os.getloadavg()[0], 2),
              "python": platform.python_version(), "machine": platform.machine(),
              "date": time.strftime("%Y-%m-%d"),
              "command": f"python benchmarks/bench_validate.py --persons {args.persons} "
                         f"--generation {args.generation} --repeat {args.repeat}"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
