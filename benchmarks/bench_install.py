"""What ``pip install`` brings for each extra: packages and size, in fresh virtual environments.

Run: ``python benchmarks/bench_install.py`` (needs the package index, or pip's cache). Builds
the wheel of this checkout, then for each install (``mockkpr``, ``mockkpr[testing]``,
``mockkpr[server]``, ``mockkpr[server,testing]``) makes a fresh venv, installs the wheel with
the extras and counts the distributions and the size of site-packages, pip and setuptools
(which every venv has) left out. Writes ``benchmarks/results/install.json``; nothing asserted.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "install.json"
INSTALLS = ("", "testing", "server", "server,testing")
#: In every venv whatever is installed; not counted.
BASELINE = ("pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth")


def _size(site: Path) -> int:
    total = 0
    for entry in site.iterdir():
        if entry.name.startswith(BASELINE) and not entry.name.startswith("pip_"):
            continue
        paths = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in paths)
    return total


def _measure(wheel: Path, extras: str, work: Path) -> dict[str, object]:
    venv = work / f"venv-{extras.replace(',', '-') or 'core'}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    spec = f"{wheel}[{extras}]" if extras else str(wheel)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", spec], check=True)
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json",
                             "--disable-pip-version-check"], capture_output=True, text=True,
                            check=True).stdout
    names = sorted(p["name"] for p in json.loads(listed)
                   if p["name"].lower() not in ("pip", "setuptools"))
    site = next((venv / "lib").glob("python3*/site-packages"))
    size = _size(site)
    return {"install": f"mockkpr[{extras}]" if extras else "mockkpr",
            "packages": len(names), "size_mb": round(size / 1e6, 1), "names": names}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mockkpr-install-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                        "--disable-pip-version-check", "-w", str(work), str(ROOT)], check=True)
        (wheel,) = work.glob("mockkpr-*.whl")
        installs = [_measure(wheel, extras, work) for extras in INSTALLS]
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "system": platform.platform(),
                    "python": platform.python_version()},
        "counted": "distributions installed besides pip and setuptools; size of "
                   "site-packages without them",
        "installs": installs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for item in installs:
        print(f"{item['install']:<26} {item['packages']:>3} packages {item['size_mb']:>7} MB")


if __name__ == "__main__":
    main()
