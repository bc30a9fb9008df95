"""Start-up of the command line: ``mockkpr --help`` (not a test: timings are never asserted).

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]

Runs ``mockkpr --help`` (the installed console script) ``--runs`` times in fresh processes and
records the median and best wall time, twice: with the byte-code caches as an installed
package has them, and with mockkpr's own modules compiled from source on every start
(``PYTHONDONTWRITEBYTECODE=1`` and a cache folder of their own that stays empty), which is what
an editable install gives under that setting. Also records ``python -c pass`` as the floor.
Results go to ``benchmarks/results/startup.json``. Target from issue 13: under 0.4 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.json"


def _times(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(seconds), 3), "best_s": round(min(seconds), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("mockkpr", path=str(Path(sys.executable).parent))
    if script is None:
        raise SystemExit("mockkpr is not installed beside this interpreter")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([script, "--help"], env=env, check=True, stdout=subprocess.DEVNULL)  # warm
    result: dict[str, object] = {
        "python_c_pass": _times([sys.executable, "-c", "pass"], env, args.runs),
        "mockkpr_help": _times([script, "--help"], env, args.runs),
    }
    with tempfile.TemporaryDirectory() as empty:
        # mockkpr's modules from source each time (the stdlib and site-packages still
        # come from their caches only when those live beside the sources: they do).
        cold = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        package = Path(__file__).resolve().parents[1] / "mockkpr"
        caches = [p for p in package.rglob("__pycache__") if p.is_dir()]
        moved = Path(empty) / "caches"
        moved.mkdir()
        for n, cache in enumerate(caches):
            shutil.move(str(cache), moved / str(n))
        try:
            result["mockkpr_help_no_bytecode"] = _times([script, "--help"], cold, args.runs)
        finally:
            for n, cache in enumerate(caches):
                if not cache.exists():
                    shutil.move(str(moved / str(n)), cache)
    result.update({
        "runs": args.runs, "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(), "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": "python benchmarks/bench_startup.py --runs " + str(args.runs),
    })
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
