"""``mockkpr docs [TOPIC]``: the user documentation, wherever mockkpr was installed from.

A wheel carries README.md and ``docs/*`` as ``mockkpr/userdocs/`` (setup.py copies them at
build time); an editable install or a checkout reads the repository's own files. Messages and
help texts point here (``mockkpr docs scenarios``) rather than to files a wheel user lacks.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import click

from mockkpr.errors import ConfigError

#: The packaged copy (a wheel) and the repository (a checkout or an editable install).
_PACKAGED = "userdocs"
_REPOSITORY = Path(__file__).parents[2]


def _sources() -> dict[str, Traversable]:
    """Topic name -> document: ``readme`` and the stem of every ``docs/`` file."""
    packaged = resources.files("mockkpr").joinpath(_PACKAGED)
    found: dict[str, Traversable] = {}
    if packaged.is_dir():
        for item in packaged.iterdir():
            found[_topic(item.name)] = item
        return found
    readme = _REPOSITORY / "README.md"
    docs = _REPOSITORY / "docs"
    if readme.is_file() and docs.is_dir():
        found["readme"] = readme
        for path in docs.iterdir():
            if path.suffix in (".md", ".json"):
                found[_topic(path.name)] = path
    return found


def _topic(name: str) -> str:
    if name == "README.md":
        return "readme"
    return name.removesuffix(".md")


def topics() -> dict[str, Traversable]:
    """Every topic, sorted, README first; :class:`ConfigError` when none can be found."""
    found = _sources()
    if not found:
        raise ConfigError("the user documentation is not installed with this copy of mockkpr; "
                          "install mockkpr from a wheel or a checkout of its repository")
    return dict(sorted(found.items(), key=lambda item: (item[0] != "readme", item[0])))


def text_of(topic: str) -> str:
    """The text of ``topic`` (a name from :func:`topics`, ``.md`` optional)."""
    found = topics()
    name = _topic(topic.lower().removeprefix("docs/"))
    if name not in found:
        raise ConfigError(f"no documentation topic {topic!r}; topics: {', '.join(found)}")
    return found[name].read_text(encoding="utf-8")


def _title(document: Traversable) -> str:
    if document.name.endswith(".json"):
        schema = json.loads(document.read_text(encoding="utf-8"))
        return f"JSON Schema: {schema.get('title', document.name)}"
    with document.open("r", encoding="utf-8") as handle:
        first = handle.readline().strip()
    return first.lstrip("# ").strip() or document.name


@click.command("docs")
@click.argument("topic", required=False)
def docs(topic: str | None) -> None:
    """Print the user documentation on TOPIC; without one, list the topics.

    The same text as the repository's front page and documentation folder, installed with
    mockkpr.
    """
    if topic is not None:
        click.echo(text_of(topic), nl=False)
        return
    found = topics()
    width = max(len(name) for name in found)
    for name, document in found.items():
        click.echo(f"{name:<{width}}  {_title(document)}")
    click.echo("\nmockkpr docs TOPIC prints one (e.g. `mockkpr docs container | less`).")
