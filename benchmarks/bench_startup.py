"""Start-up of the command line: ``mockkpr --help`` and ``mockkpr serve`` until ready (not a
test: timings are never asserted).

    .venv/bin/python benchmarks/bench_startup.py [--runs 15] [--serve-runs 9] [--only help|serve]

``--help``: runs ``mockkpr --help`` (the installed console script) ``--runs`` times in fresh
processes and records the median and best wall time, twice: with the byte-code caches as an
installed package has them, and with mockkpr's own modules compiled from source on every start
(``PYTHONDONTWRITEBYTECODE=1`` and a cache folder of their own that stays empty), which is what
an editable install gives under that setting. Also records ``python -c pass`` as the floor.
Target from issue 13: under 0.4 s.

``serve``: starts ``mockkpr serve`` (embedded endpoint, AMQPS and control API on free ports)
and times process start until ``GET /readyz`` answers 200, polling every few milliseconds
with a bare HTTP client. The first start creates the test PKI in a fresh data directory
(``cold_with_pki_creation_s``); then ``--serve-runs`` warm starts on the same directory, each
stopped with SIGTERM once ready (``cpu_to_ready``: the CPU time the process had used by
then, user + system, which moves less with the machine's load than wall time); and as many
with mockkpr's modules compiled from source (``no_bytecode``, as above). Target from issue 13:
ready in under 1 s.

Results go to ``benchmarks/results/startup.json`` (a run with ``--only`` keeps the other
part's figures from the file).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.json"
POLL_SECONDS = 0.003


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(seconds), 3), "best_s": round(min(seconds), 3)}


def _times(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started)
    return _summary(seconds)


@contextmanager
def _no_bytecode(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """An environment in which mockkpr's own modules compile from source on every start (the
    stdlib and site-packages still come from their caches, which live beside them)."""
    with tempfile.TemporaryDirectory() as empty:
        package = Path(__file__).resolve().parents[1] / "mockkpr"
        caches = [p for p in package.rglob("__pycache__") if p.is_dir()]
        moved = Path(empty) / "caches"
        moved.mkdir()
        for n, cache in enumerate(caches):
            shutil.move(str(cache), moved / str(n))
        try:
            yield {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        finally:
            for n, cache in enumerate(caches):
                if not cache.exists():
                    shutil.move(str(moved / str(n)), cache)


def _help(script: str, env: dict[str, str], runs: int) -> dict[str, object]:
    subprocess.run([script, "--help"], env=env, check=True, stdout=subprocess.DEVNULL)  # warm
    result: dict[str, object] = {
        "python_c_pass": _times([sys.executable, "-c", "pass"], env, runs),
        "mockkpr_help": _times([script, "--help"], env, runs),
    }
    with _no_bytecode(env) as cold:
        result["mockkpr_help_no_bytecode"] = _times([script, "--help"], cold, runs)
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (all its threads; Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve_once(script: str, env: dict[str, str], data_dir: Path,
                log: Path) -> tuple[float, float | None]:
    """Seconds from starting ``mockkpr serve`` until ``/readyz`` says 200, and the CPU
    seconds the process had used by then; stops it again."""
    control = _free_port()
    command = [script, "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1",
               "--port", "0", "--control-port", str(control)]
    with log.open("ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            while not _ready(control):
                if process.poll() is not None:
                    raise RuntimeError(f"mockkpr serve ended: {log.read_text()[-2000:]}")
                time.sleep(POLL_SECONDS)
            ready = time.perf_counter() - started
            cpu = _cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(30)
    return ready, cpu


def _serve(script: str, env: dict[str, str], runs: int) -> dict[str, object]:
    quiet = {**env, "MOCKKPR_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as work:
        data_dir, log = Path(work) / "data", Path(work) / "serve.log"
        cold, _ = _serve_once(script, quiet, data_dir, log)
        warm = [_serve_once(script, quiet, data_dir, log) for _ in range(runs)]
        with _no_bytecode(quiet) as compiling:
            sources = [_serve_once(script, compiling, data_dir, log) for _ in range(runs)]
    return {"cold_with_pki_creation_s": round(cold, 3), **_summary([w for w, _ in warm]),
            "warm_runs_s": [round(w, 3) for w, _ in warm],
            "cpu_to_ready": _cpu_summary([c for _, c in warm]),
            "no_bytecode": {**_summary([w for w, _ in sources]),
                            "runs_s": [round(w, 3) for w, _ in sources],
                            "cpu_to_ready": _cpu_summary([c for _, c in sources])}}


def _cpu_summary(seconds: list[float | None]) -> dict[str, float] | None:
    known = [s for s in seconds if s is not None]
    return _summary(known) if known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="--help starts per variant")
    parser.add_argument("--serve-runs", type=int, default=9, help="warm starts of serve")
    parser.add_argument("--only", choices=("help", "serve"))
    args = parser.parse_args()
    script = shutil.which("mockkpr", path=str(Path(sys.executable).parent))
    if script is None:
        raise SystemExit("mockkpr is not installed beside this interpreter")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result: dict[str, object] = {}
    if RESULTS.exists() and args.only:
        result = json.loads(RESULTS.read_text(encoding="utf-8"))
    command = "python benchmarks/bench_startup.py"
    if args.only != "serve":
        result.update(_help(script, env, args.runs))
        result.update({"runs": args.runs, "load_average_1min": round(os.getloadavg()[0], 2),
                       "command": f"{command} --runs {args.runs} --only help"})
    if args.only != "help":
        load_before = round(os.getloadavg()[0], 2)
        serve = _serve(script, env, args.serve_runs)
        result["serve_ready"] = {
            **serve, "runs": args.serve_runs, "load_average_1min_before": load_before,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "command": f"{command} --serve-runs {args.serve_runs} --only serve"}
    result.update({
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "machine": platform.machine(), "date": time.strftime("%Y-%m-%d"),
    })
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
