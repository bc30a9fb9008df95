"""`mockkpr demo`, the README's first command: the whole round trip on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mockkpr.cli import main

pytestmark = pytest.mark.integration


def test_demo_sends_clean_and_defective_reports_and_gets_the_expected_receipts(
        tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--persons", "40", "--data-dir", str(tmp_path)],
                                env={"MOCKKPR_CONTROL_PORT": "18181"})
    assert result.exit_code == 0, result.output
    assert "demo: every answer was as expected." in result.output
    assert result.output.count("ACCEPTED (status 1 OK)") == 3
    assert "ACCEPTED WITH ERRORS (status 3 OK, feil i delmelding)" in result.output
    assert "XSD-ROW" in result.output
    assert (tmp_path / "pki" / "registry.yaml").exists()
    assert (tmp_path / "journal.sqlite3").exists()
    # The closing hint names what `mockkpr serve` in this shell would use.
    assert result.output.splitlines()[-1] == (
        f"The journal in {tmp_path.resolve()} keeps every message with all its findings: run "
        f"`mockkpr serve --data-dir {tmp_path}` and open http://127.0.0.1:18181/ or run "
        "`mockkpr messages list`.")
