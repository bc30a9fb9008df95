"""Reading scenario files (YAML or JSON) and the packaged library of ready scenarios.

Every problem is a :class:`~mockkpr.errors.ConfigError` naming the file, the path inside it
(``faults[1].when.nth``), the line when it is known, and what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mockkpr.errors import ConfigError
from mockkpr.faults.model import FAULT_KINDS, Scenario

SCHEMA_FILE = "scenario.schema.json"
LIBRARY = "library"
_PATH_IN_MESSAGE = re.compile(r"^((?:faults|expect)\[\d+\](?:\.[a-z_]+)*): (.*)$", re.S)


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format (shipped as ``scenario.schema.json``)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mockkpr.invalid/scenario.schema.json"
    return schema


def shipped_schema() -> dict[str, Any]:
    """The schema file shipped in the package (kept equal to :func:`scenario_schema`)."""
    text = resources.files("mockkpr.faults").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _path(loc: tuple[int | str, ...]) -> str:
    """``('faults', 0, 'reject', 'when', 'nth')`` → ``faults[0].when.nth``."""
    text = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(previous, int) and part in FAULT_KINDS:
            pass  # the discriminated union's tag, not a key in the file
        else:
            text += f".{part}" if text else part
        previous = part
    return text


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line of ``path`` (``faults[0].when.nth``) in the composed YAML, if found."""
    node = root
    found: int | None = node.start_mark.line + 1 if node is not None else None
    for key, index in re.findall(r"([a-z_]+)|\[(\d+)\]", path):
        if isinstance(node, yaml.MappingNode) and key:
            match = [(k, v) for k, v in node.value if getattr(k, "value", None) == key]
            if not match:
                return found
            found = match[0][0].start_mark.line + 1
            node = match[0][1]
        elif isinstance(node, yaml.SequenceNode) and index:
            position = int(index)
            if position >= len(node.value):
                return found
            node = node.value[position]
            found = node.start_mark.line + 1
        else:
            return found
    return found


def _problem(error: Any, root: yaml.Node | None) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    path = _path(tuple(error["loc"]))
    inner = _PATH_IN_MESSAGE.match(message)
    if inner:  # a check across fields names its own path
        path, message = inner.group(1), inner.group(2)
    if error["type"] == "extra_forbidden":
        message = "unknown key (not part of the scenario format; see `mockkpr docs scenarios`)"
    elif error["type"] == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        message = f"unknown fault kind {tag!r}; known: {', '.join(FAULT_KINDS)}"
    elif error["type"] == "union_tag_not_found":
        message = f"a fault needs a kind: one of {', '.join(FAULT_KINDS)}"
    line = _line_of(root, path) if path else None
    where = (path or "(top level)") + (f" (line {line})" if line else "")
    return f"{where}: {message}"


def parse_scenario(text: str | bytes, *, source: str = "<scenario>") -> Scenario:
    """A scenario from YAML or JSON text; :class:`ConfigError` naming ``source`` if unusable."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: a scenario must be UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a scenario is a mapping with name, faults and expect; "
                          f"found {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error, root) for error in exc.errors()]
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load_scenario(path: Path) -> Scenario:
    """The scenario in the file at ``path``, or the packaged one named ``path`` (no suffix)."""
    if not path.exists() and path.suffix == "" and path.name in library_names():
        return library_scenario(path.name)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read scenario file {path}: {exc.strerror or exc}") from None
    return parse_scenario(text, source=str(path))


@dataclass(frozen=True)
class LibraryEntry:
    """A packaged scenario: its name and one-line description."""

    name: str
    description: str


def _library() -> Any:
    return resources.files("mockkpr.faults").joinpath(LIBRARY)


def library_names() -> list[str]:
    """Names of the packaged scenarios (``mockkpr/faults/library/*.yaml``), sorted."""
    return sorted(entry.name.removesuffix(".yaml") for entry in _library().iterdir()
                  if entry.name.endswith(".yaml"))


def library_text(name: str) -> str:
    """The YAML text of a packaged scenario; :class:`ConfigError` for an unknown name."""
    if name not in library_names():
        raise ConfigError(f"no packaged scenario {name!r}; known: {', '.join(library_names())}")
    text: str = _library().joinpath(f"{name}.yaml").read_text("utf-8")
    return text


def library_scenario(name: str) -> Scenario:
    """A packaged scenario by name."""
    return parse_scenario(library_text(name), source=f"library scenario {name}")


def library() -> list[LibraryEntry]:
    """Every packaged scenario with its description, by name."""
    return [LibraryEntry(name, library_scenario(name).description) for name in library_names()]
