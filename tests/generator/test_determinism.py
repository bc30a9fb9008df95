"""Same arguments and seed -> byte-identical documents and manifest; another seed differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mockkpr.generator.api import generate, write
from mockkpr.generator.defects import parse_defects
from mockkpr.generator.spec import GenerationSpec
from mockkpr.iplos.formats import Generation


@pytest.mark.parametrize(("generation", "year"), [(Generation.ANNUAL_2018, 2018),
                                             (Generation.ANNUAL_2019, 2020),
                                             (Generation.EVENT_56, 2021)])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, generation: Generation,
                                              year: int) -> None:
    def spec(seed: int) -> GenerationSpec:
        return GenerationSpec("0301", year, 120, seed=seed, generation=generation,
                              defects=parse_defects("all", generation))

    first = write(spec(9), tmp_path / "a")
    second = write(spec(9), tmp_path / "b")
    other = write(spec(10), tmp_path / "c")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first == second
    assert json.loads((tmp_path / "a" / "manifest.json").read_text()) == first
    assert [d["sha256"] for d in other["documents"]] != [d["sha256"] for d in first["documents"]]


def test_one_pass_write_equals_streaming_the_documents(tmp_path: Path) -> None:
    """write() draws each annual person once for both files; the bytes are those of
    generate(), which streams the IPLOS file and then the identity file (defects of either
    file, or of both, included)."""
    defects = parse_defects("all", Generation.ANNUAL_2019)
    spec = GenerationSpec("1103", 2019, 200, seed=3, defects=defects)
    manifest = write(spec, tmp_path)
    streamed = {doc.name: doc.read() for doc in generate(spec)}
    assert set(streamed) == {d["name"] for d in manifest["documents"]}
    for name, data in streamed.items():
        assert (tmp_path / name).read_bytes() == data


@pytest.mark.integration
def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Two processes with different PYTHONHASHSEED write identical files (no set or dict
    order of strings leaks into the output)."""
    shas = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed,
               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        code = ("from pathlib import Path; from mockkpr.generator.api import write; "
                "from mockkpr.generator.spec import GenerationSpec; "
                "from mockkpr.iplos.formats import Generation; "
                f"write(GenerationSpec('1201', 2019, 60, seed=5, d_number_share=0.3, "
                f"defects={{'XSD-ROW': 2}}), Path({str(out)!r})); "
                f"write(GenerationSpec('4601', 2023, 60, seed=5, "
                f"generation=Generation.EVENT_56), Path({str(out / 'ev')!r}))")
        subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
        shas.append([json.loads((out / sub / "manifest.json").read_text())["documents"]
                     for sub in (".", "ev")])
    assert shas[0] == shas[1]
