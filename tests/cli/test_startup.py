"""``mockkpr --help`` lists the commands without importing them.

The command modules (and settings, logging, pydantic, the domain) load only when a command
runs, so that the listing answers at once (benchmarks/bench_startup.py measures it). The
list shows the same text click would write with every command loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from mockkpr import cli


def test_every_command_has_a_short_help_that_matches_its_own() -> None:
    """SHORT_HELP holds each command's first help paragraph: shortened at any width it reads
    as click shortens the command's own help."""
    assert set(cli.SHORT_HELP) == set(cli.COMMANDS), (
        "add the first paragraph of the command's help to mockkpr.cli.SHORT_HELP")
    ctx = click.Context(cli.main)
    for name in cli.COMMANDS:
        command = cli.main.get_command(ctx, name)
        assert command is not None
        for limit in (30, 45, 62, 200):
            stand_in = click.Command(name, help=cli.SHORT_HELP[name])
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_the_lazy_list_is_the_list_click_writes_with_every_command_loaded() -> None:
    """The listing without imports equals the one made from the loaded commands."""
    group = cli._Group(name="mockkpr", callback=cli.main.callback, params=cli.main.params,
                       help=cli.main.help,
                       context_settings={"help_option_names": ["-h", "--help"]})
    lazy = CliRunner().invoke(group, ["--help"], prog_name="mockkpr")
    assert lazy.exit_code == 0
    assert not group.commands  # nothing was loaded for the list
    ctx = click.Context(group)
    for name in cli.COMMANDS:
        group.get_command(ctx, name)
    loaded = CliRunner().invoke(group, ["--help"], prog_name="mockkpr")
    assert group.commands.keys() == cli.COMMANDS.keys()
    assert lazy.output == loaded.output
    assert "generate   Generate synthetic IPLOS data" in lazy.output


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--version"]])
def test_help_and_version_import_no_command_and_no_settings(argv: list[str]) -> None:
    """In a fresh interpreter, help and version load neither a command module nor settings,
    logging, pydantic or the IPLOS package."""
    code = (
        "import json, sys\n"
        "from mockkpr.cli import main\n"
        "try:\n"
        f"    main({argv!r}, prog_name='mockkpr')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert not modules & set(cli.COMMANDS.values())
    for heavy in ("mockkpr.settings", "mockkpr.log", "mockkpr.iplos", "pydantic", "structlog"):
        assert heavy not in modules, heavy


def test_a_command_still_runs_after_the_lazy_load() -> None:
    """Running a command loads it (and its help shows its own options)."""
    result = CliRunner().invoke(cli.main, ["generate", "--help"], prog_name="mockkpr")
    assert result.exit_code == 0
    assert "--persons" in result.output


def test_serve_pauses_garbage_collection_only_while_it_starts() -> None:
    """``mockkpr serve`` pauses the cyclic collector during start-up; once started, or when
    the start fails, it collects again, and a garbage cycle made afterwards is freed."""
    import gc
    import weakref

    from mockkpr.cli.serve import collection_paused

    try:
        with collection_paused() as started:
            assert not gc.isenabled()
            started()
            assert gc.isenabled()
            started()  # once is enough; a second call changes nothing
            assert gc.isenabled()

        class Node:
            other: object = None

        first, second = Node(), Node()
        first.other, second.other = second, first
        gone = weakref.ref(first)
        del first, second
        gc.collect()
        assert gone() is None

        def failing_start() -> None:
            with collection_paused():
                assert not gc.isenabled()
                raise RuntimeError("the endpoint could not start")

        with pytest.raises(RuntimeError):
            failing_start()
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
