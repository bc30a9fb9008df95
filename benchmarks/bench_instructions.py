"""Machine instructions of the validator and the generator, counted by callgrind (not a test).

    .venv/bin/python benchmarks/bench_instructions.py [--persons 600]

Seconds on a shared machine move with everyone else's work; instruction counts do not. This
script counts, with ``valgrind --tool=callgrind``, the instructions of

- ``lxml-parse+xsd``: lxml's iterparse with streaming validation over a generated annual file
  (2019, ``--persons`` persons), the same baseline as ``bench_validate.py``;
- ``mockkpr-validate``: ``mockkpr.iplos.validate`` of that file, on the incremental path big
  files take (small files are judged from the parse that finds their root);
- ``mockkpr-generate``: generating ``--persons`` persons with ``write()``, per person
  (``--generator-only`` counts just this one).

Each is run twice, for one and for three passes (or persons and four times as many), so that
start-up and imports cancel out. The ratio of the first two is the validator's cost relative
to bare lxml, the figure issue 13 asks to be at most 2. Results go to
``benchmarks/results/instructions.json``. Needs valgrind (``apt-get install valgrind``).
Slow: about 50 times slower than running natively.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "instructions.json"

_BARE = """
import sys
from lxml import etree
from mockkpr.iplos.schemas import load_schema
from mockkpr.xmlsafe import PARSER_OPTIONS
schema = load_schema("iplos-2019.xsd")
for _ in range(int(sys.argv[2])):
    for _, el in etree.iterparse(sys.argv[1], events=("end",), tag="{*}PERSON", schema=schema,
                                 **PARSER_OPTIONS):
        el.clear(keep_tail=True)
        while el.getprevious() is not None:
            del el.getparent()[0]
"""

_VALIDATE = """
import sys
from mockkpr.iplos import engine, validate
engine.DocumentValidator._whole = lambda *args: None  # the path a big file takes
validate(sys.argv[1])  # imports and the schema, outside the difference
for _ in range(int(sys.argv[2])):
    report = validate(sys.argv[1])
    assert report.accepted
"""

_GENERATE = """
import sys, tempfile
from pathlib import Path
from mockkpr.generator import GenerationSpec, write
from mockkpr.iplos import Generation
with tempfile.TemporaryDirectory() as folder:
    write(GenerationSpec("0301", 2019, int(sys.argv[2]), seed=1,
                         generation=Generation.ANNUAL_2019), Path(folder))
"""


def _count(code: str, *args: str) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(textwrap.dedent(code))
    try:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               sys.executable, script.name, *args],
                              capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _per(code: str, path: str, low: int, high: int) -> int:
    return (_count(code, path, str(high)) - _count(code, path, str(low))) // (high - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=600)
    parser.add_argument("--generator-only", action="store_true",
                        help="count only the generator (persons: a multiple of its block of "
                             "512 keeps whole blocks) and update that figure in the results")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    if args.generator_only:
        _generator_only(args.persons)
        return
    from mockkpr.generator import GenerationSpec, write
    from mockkpr.iplos import Generation

    with tempfile.TemporaryDirectory() as folder:
        write(GenerationSpec("0301", 2019, args.persons, seed=5,
                             generation=Generation.ANNUAL_2019), Path(folder))
        path = str(next(Path(folder).glob("KPR_IPL_*.xml")))
        size = Path(path).stat().st_size
        bare = _per(_BARE, path, 1, 3)
        ours = _per(_VALIDATE, path, 1, 3)
    generate = _per(_GENERATE, "-", args.persons, 4 * args.persons)
    result = {
        "persons": args.persons, "file_bytes": size,
        "instructions": {"lxml-parse+xsd": bare, "mockkpr-validate": ours,
                         "mockkpr-generate_per_person": generate},
        "ratio_validate_to_lxml_xsd": round(ours / bare, 2),
        "python": platform.python_version(), "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": f"python benchmarks/bench_instructions.py --persons {args.persons}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


def _generator_only(persons: int) -> None:
    per_person = _per(_GENERATE, "-", persons, 4 * persons)
    result = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    result.setdefault("instructions", {})["mockkpr-generate_per_person"] = per_person
    result["generator"] = {
        "persons": persons, "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(), "machine": platform.machine(),
        "command": f"python benchmarks/bench_instructions.py --generator-only --persons {persons}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"mockkpr-generate_per_person": per_person}, indent=2))


if __name__ == "__main__":
    main()
