"""Annual files are written and hashed on a thread of their own: an error writing them still
reaches the user as a one-line message, with no partial file left behind."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from mockkpr.generator.api import generate, write
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos.formats import Generation

_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
from mockkpr.cli import main
main(sys.argv[1:], prog_name="mockkpr")
"""


def test_a_file_that_cannot_be_written_in_full_is_a_clear_error(tmp_path: Path) -> None:
    """Files may grow to 300 kB only: generating 2000 persons (about 10 MB) stops with exit
    code 2, says which file could not be written and why, and leaves no file behind."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, "generate", "--kommune", "0301", "--year", "2019",
         "--persons", "2000", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("mockkpr: error: ")
    assert "cannot write (File too large)" in message
    assert sorted(p.name for p in out.iterdir()) == []


def test_written_files_have_the_sizes_and_hashes_of_the_streamed_documents(
    tmp_path: Path,
) -> None:
    """The manifest's sizes and sha256 sums, made on the writer thread, are those of the
    bytes generate() streams for the same spec."""
    spec = GenerationSpec("0301", 2019, 300, seed=4, generation=Generation.ANNUAL_2019)
    manifest = write(spec, tmp_path)
    streamed = {doc.name: doc.read() for doc in generate(spec)}
    for entry in manifest["documents"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert data == streamed[entry["name"]]
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert json.loads((tmp_path / "manifest.json").read_text())["documents"] == \
        manifest["documents"]
