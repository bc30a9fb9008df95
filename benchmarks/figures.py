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


#: Figure name -> (document, renderer).
FIGURES: dict[str, tuple[Path, Callable[[], str]]] = {
    "container": (ROOT / "docs" / "container.md", container),
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
