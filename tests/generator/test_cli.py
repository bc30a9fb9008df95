"""``mockkpr generate`` on the command line (click's CliRunner on the command itself)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockkpr.cli.generate import generate


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(generate, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_generates_files_and_manifest(tmp_path: Path) -> None:
    code, out, err = _run("--kommune", "0301", "--year", "2018", "--persons", "30",
                          "--seed", "42", "--generation", "2018", "--out", str(tmp_path),
                          "--defects", "TJ-TIMERUKE-RANGE=2")
    assert code == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["KPR_IDE_0301_2018.xml", "KPR_IPL_0301_2018.xml", "manifest.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["spec"]["seed"] == 42
    assert manifest["counts"]["persons"] == 30
    assert [d["rule"] for d in manifest["defects"]] == ["TJ-TIMERUKE-RANGE"] * 2
    assert "30 persons, 2 defects" in out


def test_event_generation_splits_messages(tmp_path: Path) -> None:
    code, _, err = _run("--kommune", "4601", "--year", "2024", "--persons", "20",
                        "--generation", "56", "--messages", "2", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("*.xml")) == [
        "KPR_IPL_4601_2024_56_001.xml", "KPR_IPL_4601_2024_56_002.xml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--kommune", "4601", "--year", "2018", "--generation", "2018"],
     "--kommune 4601: not a kommune in 2018 (it is a kommune in 2020, 2021, 2022, 2023, 2024, "
     "2025)"),
    (["--kommune", "9876", "--year", "2019"],
     "--kommune 9876: not a kommune in 2019 (no such kommune number; it must be 4 digits"),
    (["--kommune", "0301", "--year", "2016"],
     "--year 2016: generation 2019 can be generated for 2019-2025"),
    (["--kommune", "0301", "--year", "2019", "--generation", "2018"],
     "--year 2019: generation 2018 can be generated for 2018-2018"),
    (["--kommune", "0301", "--year", "2020", "--generation", "56"],
     "--year 2020: generation 56 can be generated for 2021-2025"),
    (["--kommune", "0301", "--year", "2019", "--persons", "0"],
     "--persons 0: must be between 1 and 10000000"),
    (["--kommune", "0301", "--year", "2019", "--defects", "NOPE=1"],
     "--defects: unknown rule NOPE"),
    (["--kommune", "0301", "--year", "2019", "--defects", "XSD-ROW=0"],
     "--defects: XSD-ROW=0: N must be 1 or more"),
    (["--kommune", "0301", "--year", "2019", "--messages", "2"],
     "--messages: only for --generation 56"),
    (["--kommune", "0301", "--year", "2019", "--bydel", "99"],
     "--bydel 99: not a bydel of 0301 in 2019 (valid: 01, 02,"),
    (["--kommune", "3005", "--year", "2021", "--bydel", "01"],
     "--bydel 01: kommune 3005 has no bydeler in 2021"),
    (["--kommune", "0301", "--year", "2022", "--generation", "56", "--persons", "2",
      "--messages", "500"],
     "--messages 500: more messages than notifications"),
])
def test_bad_options_exit_2_with_the_reason(tmp_path: Path, args: list[str],
                                            message: str) -> None:
    code, _out, err = _run(*args, "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith(f"mockkpr: error: {message}"), err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_click_rejects_malformed_numbers_with_exit_2(tmp_path: Path) -> None:
    code, _, err = _run("--kommune", "0301", "--year", "twenty", "--out", str(tmp_path))
    assert code == 2
    assert "Invalid value for '--year'" in err
