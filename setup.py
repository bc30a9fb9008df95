"""Build hook: the user documentation goes into the wheel as ``mockkpr/userdocs/``.

Everything else is configured in pyproject.toml. ``docs/*.md`` (and the JSON schemas there)
and README.md are copied into the built package, so that ``mockkpr docs TOPIC`` prints them
for a user who installed a wheel and has no repository. An editable install reads them from
the repository instead (:mod:`mockkpr.userdocs`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildWithDocs(build_py):
    """``build_py`` that also copies the user documentation into the package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "mockkpr" / "userdocs"
        sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                   *sorted((ROOT / "docs").glob("*.json"))]
        present = [source for source in sources if source.is_file()]
        if not present:
            return
        target.mkdir(parents=True, exist_ok=True)
        for source in present:
            shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildWithDocs})
