"""What ``pip install`` brings: the wheel's contents and metadata, the light install's
commands, and help texts that point to documentation a wheel user has."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mockkpr.cli import COMMANDS, main

ROOT = Path(__file__).parents[1]
#: What the server extra installs: blocked to play a light install (`pip install mockkpr`).
SERVER_MODULES = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "prometheus_client", "faker",
                  "numpy", "jinja2", "pika")
LIGHT_COMMANDS = {"send", "messages", "validate", "pki", "docs", "scenarios"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built by pip from this checkout, as a user or an index would get it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("mockkpr-*.whl")
    return zipfile.ZipFile(built)


@pytest.mark.slow
@pytest.mark.integration
def test_the_wheel_carries_the_attribution_the_licence_and_the_user_docs(
        wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert "mockkpr/refdata/SOURCES.md" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    assert f"{dist_info}/licenses/mockkpr/refdata/SOURCES.md" in names
    docs = {p.name for p in (ROOT / "docs").iterdir() if p.suffix in (".md", ".json")}
    assert {n.removeprefix("mockkpr/userdocs/") for n in names
            if n.startswith("mockkpr/userdocs/")} == docs | {"README.md"}
    assert not any(n.startswith(("tests/", "fixtures/", "benchmarks/")) for n in names)


@pytest.mark.slow
@pytest.mark.integration
def test_the_wheel_metadata(wheel: zipfile.ZipFile) -> None:
    dist_info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = email.message_from_bytes(wheel.read(dist_info))
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier")
    assert "Framework :: Pytest" in classifiers
    assert "Topic :: Software Development :: Testing :: Mocking" in classifiers
    assert "Typing :: Typed" in classifiers
    requires = metadata.get_all("Requires-Dist")
    # the client lives with a range; the server's SASL plug-in narrows it to verified versions
    assert "python-qpid-proton>=0.38" in requires
    assert 'python-qpid-proton<0.41,>=0.39; extra == "server"' in requires
    assert not any(r.startswith("python-qpid-proton==") for r in requires)
    core = {re.split(r"[<>=\[ ;]", r)[0] for r in requires if "extra ==" not in r}
    assert core.isdisjoint({"sqlalchemy", "fastapi", "uvicorn", "faker", "pika", "jinja2",
                            "prometheus-client", "testcontainers"})
    assert set(metadata.get_all("Provides-Extra")) >= {"server", "testing", "postgres"}


def _light(*args: str, blocked: tuple[str, ...] = SERVER_MODULES,
           code: str = "from mockkpr.cli import main; main()") -> subprocess.CompletedProcess[str]:
    """Run ``code`` (the CLI by default) in a process where ``blocked`` cannot be imported,
    as after ``pip install mockkpr`` without the server extra."""
    blocker = (
        "import sys, importlib.abc\n"
        f"BLOCKED = {set(blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.argv = ['mockkpr', *{list(args)!r}]\n")
    return subprocess.run([sys.executable, "-c", blocker + code], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_light_install_lists_every_command_and_says_what_the_others_need() -> None:
    listed = _light("--help")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"serve\s+\(not installed: pip install 'mockkpr\[server\]'\)",
                     listed.stdout), listed.stdout
    refused = _light("serve", "--port", "5671")
    assert refused.returncode == 2
    assert refused.stderr == ("mockkpr: error: `mockkpr serve` needs the sqlalchemy package, "
                              "which this installation lacks: pip install 'mockkpr[server]' "
                              "(or run the container image)\n")
    for name in sorted(LIGHT_COMMANDS):
        helped = _light(name, "--help")
        assert helped.returncode == 0, (name, helped.stderr)
        assert "not installed" not in helped.stdout


def test_a_light_install_has_the_client_and_the_container_module() -> None:
    code = ("import sys\nfrom mockkpr.client import KprClient\n"
            "from mockkpr.testing.container import MockKprContainer\n"
            "from mockkpr.testing.plugin import KprEndpoint\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(SERVER_MODULES)!r}))")
    done = _light(code=code)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_the_container_module_without_testcontainers_says_what_to_install() -> None:
    done = _light(code="import mockkpr.testing.container", blocked=("testcontainers",))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: mockkpr.testing.container needs testcontainers: "
        "pip install 'mockkpr[testing]'")


def _texts(command: click.Command, path: str) -> list[tuple[str, str]]:
    found = [(path, command.help or ""), (path, command.short_help or "")]
    found += [(f"{path} {p.name}", getattr(p, "help", None) or "") for p in command.params]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                found += _texts(sub, f"{path} {name}")
    return found


def test_help_texts_point_to_packaged_docs_not_repository_files() -> None:
    """A wheel user has no README.md or docs/: help says `mockkpr docs TOPIC`."""
    texts = _texts(main, "mockkpr")
    assert set(COMMANDS) <= {path.split(" ")[1] for path, _ in texts if " " in path}
    offending = [(path, text) for path, text in texts
                 if re.search(r"README|docs/\S+\.(md|json)|\.md\b", text)]
    assert offending == []


def test_mockkpr_docs_prints_the_documentation() -> None:
    listed = CliRunner().invoke(main, ["docs"])
    assert listed.exit_code == 0, listed.output
    assert "container  " in listed.stdout
    assert "readme  " in listed.stdout
    shown = CliRunner().invoke(main, ["docs", "container"])
    assert shown.stdout == (ROOT / "docs" / "container.md").read_text(encoding="utf-8")
    missing = CliRunner().invoke(main, ["docs", "nothing"])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("mockkpr: error: no documentation topic 'nothing'; "
                                     "topics: readme, ")


def test_every_mockkpr_docs_topic_named_anywhere_exists() -> None:
    """Help texts, messages and documents that say `mockkpr docs TOPIC` name a real topic."""
    from mockkpr.cli.docs import topics

    sources = [*ROOT.glob("mockkpr/**/*.py"), ROOT / "README.md", *ROOT.glob("docs/*.md")]
    named = {(path.name, topic) for path in sources
             for topic in re.findall(r"mockkpr docs ([a-z][\w.-]*[a-z])",
                                     path.read_text(encoding="utf-8"))}
    assert named
    known = set(topics())
    assert {(name, topic) for name, topic in named if topic not in known | {"TOPIC"}} == set()
