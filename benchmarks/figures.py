"""Figures in the documentation that come from ``benchmarks/results/*.json``, kept in step.

Each figure lives between ``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->`` in a
document; this module renders the text from the results, ``python benchmarks/figures.py``
writes it in, and ``tests/test_docs.py`` fails when a document and its results disagree (so a
re-run benchmark is followed by a regenerated sentence, never a stale one).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESULTS / name).read_text(encoding="utf-8"))
    return data


def container() -> str:
    """The image's size and time to ready (bench_container.py)."""
    result = _load("container.json")
    first = [float(t) for t in result["ready_first_start_s"]]
    cpus = result["machine"]["cpus"]
    return (f"Measured {str(result['measured_at'])[:10]} "
            f"(benchmarks/bench_container.py, `benchmarks/results/container.json`, "
            f"{result['engine']} on {cpus} CPUs shared with other jobs, so the times vary): "
            f"**{float(result['size_mb']):.0f} MB** (image size as the engine reports it), "
            f"**{float(result['ready_first_start_median_s']):.1f} s from `run` to `/readyz` "
            f"200** on a first start (median of {len(first)}, {min(first):.1f}-"
            f"{max(first):.1f} s; the test PKI is made then), "
            f"{float(result['ready_restart_s']):.1f} s on a restart.")


def serve_startup() -> str:
    """``mockkpr serve`` until ``/readyz`` (bench_startup.py)."""
    result = _load("startup.json")
    serve = result["serve_ready"]
    return (f"Measured {result['date']} (benchmarks/bench_startup.py, "
            f"`benchmarks/results/startup.json`, {result['cpus']} CPUs shared with other "
            f"jobs, load {serve['load_average_1min_before']}): `mockkpr serve` ready in "
            f"**{serve['median_s']:.2f} s** (median of {serve['runs']} warm starts, best "
            f"{serve['best_s']:.2f} s; CPU {serve['cpu_to_ready']['median_s']:.2f} s), "
            f"{serve['no_bytecode']['median_s']:.2f} s when mockkpr's modules compile from "
            f"source; a first start that makes the test PKI "
            f"{serve['cold_with_pki_creation_s']:.2f} s. `mockkpr --help`: "
            f"{result['mockkpr_help']['median_s']:.2f} s.")


def broker_scaling() -> str:
    """One and two broker-mode consumers, and the CPU-bound ceiling (bench_broker.py)."""
    result = _load("broker.json")
    one, two, scaling = result["broker_1"], result["broker_2"], result["scaling"]
    cost = two["cpu_ms_per_message"]
    return (f"Measured {str(result['measured_at'])[:10]} (benchmarks/bench_broker.py, "
            f"`benchmarks/results/broker.json`, {one['messages']} messages, "
            f"{result['machine']['cpus']} CPUs, load {result['load_average_1min_before']}): "
            f"one consumer {one['round_trips_per_second']} round trips/s (mockkpr "
            f"{one['cpu_ms_per_message']['mockkpr']} ms CPU a message: "
            f"{one['round_trips_per_second'] * one['cpu_ms_per_message']['mockkpr'] / 1000:.2f}"
            f" of a core), two {two['round_trips_per_second']}/s "
            f"(**{scaling['two_over_one']}x**, cores {two['cores_busy']} busy). With two, a "
            f"message costs {scaling['cpu_ms_per_message_all_parties_with_two']} ms of CPU in "
            f"all (mockkpr {cost['mockkpr']}, RabbitMQ {cost['rabbitmq']}, PostgreSQL "
            f"{cost['postgresql']}, the client {cost['client']}): at that cost these cores answer "
            f"at most "
            f"{scaling['cpu_bound_round_trips_per_second_with_two']}/s "
            f"({scaling['cpu_bound_two_over_one']}x). PostgreSQL transactions per message: "
            f"{two['postgresql_transactions_per_message']}.")


#: Figure name -> (document, renderer).
FIGURES: dict[str, tuple[Path, Callable[[], str]]] = {
    "container": (ROOT / "docs" / "container.md", container),
    "serve-startup": (ROOT / "docs" / "performance.md", serve_startup),
    "broker-scaling": (ROOT / "docs" / "performance.md", broker_scaling),
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- figures:{name} -->\n)(.*?)(\n<!-- /figures:{name} -->)",
                      re.DOTALL)


def rendered(name: str, text: str) -> str:
    """``text`` with figure ``name`` written from the results (wrapped at 96 columns)."""
    sentence = FIGURES[name][1]()
    lines: list[str] = []
    for word in sentence.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= 96:
            lines[-1] += " " + word
        else:
            lines.append(word)
    found = _pattern(name).search(text)
    if found is None:
        raise ValueError(f"no <!-- figures:{name} --> block in the document")
    return text[:found.start(2)] + "\n".join(lines) + text[found.end(2):]


def main() -> int:
    """Rewrite every figure; print which documents changed."""
    for name, (path, _) in FIGURES.items():
        text = path.read_text(encoding="utf-8")
        new = rendered(name, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: figures:{name} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
