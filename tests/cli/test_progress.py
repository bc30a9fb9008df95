"""Long jobs off a terminal (CI logs): a progress line every few seconds, and a JSON summary
of what ``generate`` made."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockkpr.cli import _progress, main

ROOT = Path(__file__).parents[2]


def _lines(stderr: str, event: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines()
            if line.startswith("{") and json.loads(line)["event"] == event]


def test_validate_off_a_terminal_logs_progress_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_progress, "INTERVAL_S", 0.0)  # every step, instead of every 5 s
    document = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
    result = CliRunner().invoke(main, ["validate", str(document)],
                                env={"MOCKKPR_LOG_FORMAT": "json"})
    assert result.exit_code == 0, result.output
    lines = _lines(result.stderr, "progress")
    assert lines, result.stderr
    last = lines[-1]
    assert (last["job"], last["subject"], last["unit"]) == ("validate", str(document), "B")
    assert last["total"] == document.stat().st_size
    assert 0 < int(str(last["done"])) <= document.stat().st_size
    assert _lines(result.stderr, "progress.done")[0]["percent"] == 100.0
    assert "progress" not in result.stdout


def test_a_quick_job_prints_no_progress_at_all() -> None:
    """Under the interval (5 s) nothing is logged: small jobs stay quiet in CI."""
    document = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
    done = subprocess.run([sys.executable, "-c", "from mockkpr.cli import main; main()",
                           "validate", str(document)], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "progress" not in done.stderr


def test_generate_json_summary_and_progress(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(_progress, "INTERVAL_S", 0.0)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "generate", "--kommune", "0301", "--year", "2019", "--persons", "1200", "--seed", "7",
        "--out", str(out), "--defects", "TJ-TIMERUKE-RANGE=2", "--format", "json"],
        env={"MOCKKPR_LOG_FORMAT": "json"})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # standard output is the JSON alone
    assert summary["manifest"] == str(out / "manifest.json")
    assert (summary["generation"], summary["kommune"], summary["year"], summary["seed"]) == \
        ("2019", "0301", 2019, 7)
    assert summary["counts"]["persons"] == 1200
    assert [d["rule"] for d in summary["defects"]] == ["TJ-TIMERUKE-RANGE"] * 2
    for document in summary["documents"]:
        data = Path(document["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (document["bytes"],
                                                                 document["sha256"])
    progress = _lines(result.stderr, "progress")
    assert progress[0]["job"] == "generate"
    assert progress[-1]["done"] == 1200
    assert progress[-1]["unit"] == "person"
