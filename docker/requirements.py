"""Print the requirements of mockkpr and the extras in $EXTRAS, one a line (for the image).

Extras that name mockkpr itself (``postgres = ["mockkpr[server]", ...]``) are expanded, so
pip never looks for mockkpr on an index.
"""

import os
import re
import tomllib

with open(os.environ.get("PYPROJECT", "/src/pyproject.toml"), "rb") as handle:
    project = tomllib.load(handle)["project"]
optional = project["optional-dependencies"]
wanted = [e for e in os.environ.get("EXTRAS", "").split(",") if e]
seen: set[str] = set()
lines = list(project["dependencies"])
while wanted:
    extra = wanted.pop()
    if extra in seen:
        continue
    seen.add(extra)
    for requirement in optional[extra]:
        itself = re.fullmatch(r"mockkpr\[([^\]]+)\]", requirement)
        if itself:
            wanted.extend(itself.group(1).split(","))
        else:
            lines.append(requirement)
print("\n".join(lines))
