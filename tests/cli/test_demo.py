"""`mockkpr demo`, the README's first command: the whole round trip on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mockkpr.cli import main

pytestmark = pytest.mark.integration


def test_demo_sends_clean_and_defective_reports_and_gets_the_expected_receipts(
        tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--persons", "40", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "demo: every answer was as expected." in result.output
    assert result.output.count("ACCEPTED (status 1 OK)") == 3
    assert "ACCEPTED WITH ERRORS (status 3 OK, feil i delmelding)" in result.output
    assert "XSD-ROW" in result.output
    assert (tmp_path / "pki" / "registry.yaml").exists()
    assert (tmp_path / "journal.sqlite3").exists()
