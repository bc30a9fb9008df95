"""Benchmark of ``mockkpr generate`` at national scale (not a test: timings are never asserted).

Generates ``--persons`` persons (default 350 000, about Norway's number of recipients of
municipal care in a year) for one generation into a temporary directory with the same code
path as the command line (:func:`mockkpr.generator.api.write`), then records persons per
second, megabytes per second and the peak resident memory of the process in
``benchmarks/results/generate.json`` and prints them.

    PYTHONPATH=. python benchmarks/bench_generate.py [--persons N] [--generation 2019|2018|56]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from mockkpr.generator.api import write
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos.formats import Generation

RESULTS = Path(__file__).parent / "results" / "generate.json"


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=350_000)
    parser.add_argument("--generation", default="2019", choices=[g.value for g in Generation])
    parser.add_argument("--year", type=int)
    parser.add_argument("--kommune", default="0301")
    args = parser.parse_args()
    generation = Generation(args.generation)
    year = args.year or {"2018": 2018, "2019": 2019, "56": 2022}[generation.value]
    spec = GenerationSpec(args.kommune, year, args.persons, seed=1, generation=generation)
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory(prefix="mockkpr-bench-") as folder:
        started = time.perf_counter()
        cpu_started = time.process_time()
        manifest = write(spec, Path(folder))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    total_bytes = sum(d["bytes"] for d in manifest["documents"])
    result = {
        "generation": generation.value,
        "year": year,
        "kommune": args.kommune,
        "persons": args.persons,
        "documents": len(manifest["documents"]),
        "bytes": total_bytes,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "persons_per_second": round(args.persons / seconds),
        "mb_per_second": round(total_bytes / 1e6 / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(before, 1),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": f"python benchmarks/bench_generate.py --persons {args.persons} "
                   f"--generation {generation.value}",
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[generation.value] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
