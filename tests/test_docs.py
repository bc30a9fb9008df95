"""The documentation a newcomer reads first stays true to the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mockkpr.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_table_lists_exactly_the_settings() -> None:
    """Every MOCKKPR_* variable is in README's table, and the table names no other."""
    table = README.split("<!-- settings:begin -->")[1].split("<!-- settings:end -->")[0]
    documented = set(re.findall(r"`(MOCKKPR_[A-Z0-9_]+)`", table))
    actual = {f"MOCKKPR_{name.upper()}" for name in Settings.model_fields}
    assert documented == actual


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    """The README's first code block holds the setup-and-run command and the test command;
    .ci/run calls exactly that test command."""
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0] == "scripts/demo"
    demo = (ROOT / "scripts" / "demo").read_text(encoding="utf-8")
    assert "scripts/bootstrap" in demo
    assert "mockkpr demo" in demo
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"exec {block[1]}" in ci


def test_ci_script_is_executable_and_valid_bash() -> None:
    for script in (ROOT / ".ci" / "run", ROOT / "scripts" / "test", ROOT / "scripts" / "demo",
                   ROOT / "scripts" / "bootstrap"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_documented_figures_are_the_benchmark_results() -> None:
    """Figures in the docs are written from benchmarks/results (benchmarks/figures.py): a
    re-run benchmark without a regenerated document fails here."""
    from benchmarks import figures

    for name, (path, _) in figures.FIGURES.items():
        text = path.read_text(encoding="utf-8")
        assert figures.rendered(name, text) == text, (
            f"{path.name}: figures:{name} differs from the results; run "
            "`python benchmarks/figures.py`")


def test_readme_states_no_timing_of_its_own() -> None:
    """Timings belong to the generated figures (docs/container.md), not to prose."""
    assert "about 2 s" not in README
