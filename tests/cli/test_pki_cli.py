"""``mockkpr pki init`` and ``pki show``, run through click's CliRunner on the group."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mockkpr.cli.pki import pki
from mockkpr.errors import ConfigError
from mockkpr.registry import load_registry

PARTIES = ["--party", "131725:KPR", "--party", "12345:Oslo kommune Saksbehandling"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "pki"
    result = CliRunner().invoke(
        pki, ["init", str(directory), *PARTIES, "--variants", "expired,revoked"]
    )
    assert result.exit_code == 0, result.output
    return directory


def test_init_output_and_registry(initialised: Path, runner: CliRunner, tmp_path: Path) -> None:
    directory = tmp_path / "fresh"
    result = runner.invoke(
        pki,
        ["init", str(directory), *PARTIES, "--variants", "expired"],
        env={"MOCKKPR_KPR_HER_ID": "131725"},
    )
    assert result.exit_code == 0, result.output
    registry = load_registry(directory / "registry.yaml")
    client = registry.party(12345).client_id
    assert client is not None
    assert result.output.splitlines() == [
        f"created test PKI in {directory} (keys unencrypted: test use only)",
        f"registry: {directory / 'registry.yaml'}",
        "     131725  receiver  KPR  (SASL user mockkpr-131725)",
        "      12345  sender    Oslo kommune Saksbehandling  (SASL user mockkpr-12345, "
        f"HelseID client {client})",
        "     123451  variant   expired signing certificate of 12345",
    ]
    assert sorted(registry.parties) == [12345, 123451, 131725]
    data = yaml.safe_load((directory / "registry.yaml").read_text())
    passwords = [party["sasl"]["password"] for party in data["parties"] if "sasl" in party]
    assert len(passwords) == 2
    assert len(set(passwords)) == 2
    assert all(len(password) >= 32 for password in passwords)
    assert not any(password in result.output for password in passwords)


def test_note_when_the_receiver_is_not_the_configured_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        pki,
        ["init", str(tmp_path / "p"), "--party", "555:Other KPR"],
        env={"MOCKKPR_KPR_HER_ID": "131725"},
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "note: MOCKKPR_KPR_HER_ID is 131725; set it to 555 to play this receiver"
    )


def test_refuses_a_non_empty_directory(initialised: Path, runner: CliRunner) -> None:
    result = runner.invoke(pki, ["init", str(initialised), *PARTIES])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (
        f"{initialised} is not empty; use --force to replace the test PKI in it"
    )


def test_force(runner: CliRunner, tmp_path: Path) -> None:
    directory = tmp_path / "p"
    assert runner.invoke(pki, ["init", str(directory), *PARTIES]).exit_code == 0
    before = (directory / "registry.yaml").read_text()
    result = runner.invoke(pki, ["init", str(directory), *PARTIES, "--force"])
    assert result.exit_code == 0, result.output
    assert (directory / "registry.yaml").read_text() != before  # new keys, new passwords


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "Missing option '--party'"),
        (["--party", "KPR"], "'KPR': expected HERID:NAME with a positive HER-id"),
        (["--party", "abc:KPR"], "'abc:KPR': expected HERID:NAME with a positive HER-id"),
        (["--party", "0:KPR"], "'0:KPR': expected HERID:NAME with a positive HER-id"),
        (["--party", "131725:"], "'131725:': expected HERID:NAME with a positive HER-id"),
        (
            ["--party", "131725:KPR", "--variants", "expired,stale"],
            "unknown variant 'stale'; choose from expired, not-yet-valid, wrong-usage, revoked, "
            "unknown-ca or 'all'",
        ),
    ],
)
def test_bad_options(
    runner: CliRunner, tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(pki, ["init", str(tmp_path / "p"), *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "p").exists()


def test_all_variants(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(pki, ["init", str(tmp_path / "p"), *PARTIES, "--variants", "all"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert [row[0] for row in rows if row[1] == "variant"] == [
        "123451", "123452", "123453", "123454", "123455",
    ]


def test_show_hides_passwords(initialised: Path, runner: CliRunner) -> None:
    result = runner.invoke(pki, ["show", str(initialised)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"registry    {initialised / 'registry.yaml'}"
    assert lines[1] == "CA          CN=mockkpr test CA — not for production,O=mockkpr,C=NO"
    # the revoked variant and the receiver's revoked forgery (fault injection)
    assert lines[3].startswith("CRL         2 revoked, next update ")
    assert "131725  KPR" in lines
    assert "    account     mockkpr-131725  password (hidden; --show-passwords)" in lines
    assert "    queues      131725_async  131725_error  131725_dl" in lines
    assert "    keys held   signing, encryption, previous encryption" in lines
    assert "123451  Oslo kommune Saksbehandling (variant: expired signing certificate)  " \
        "(child of 12345)" in lines
    assert "    account     mockkpr-12345 (inherited)" in lines
    signing = [line for line in lines if line.startswith("    signing")]
    assert [line.rsplit(", ", 1)[1] for line in signing] == [
        "valid", "valid", "EXPIRED", "REVOKED",
    ]
    data = yaml.safe_load((initialised / "registry.yaml").read_text())
    assert data["parties"][0]["sasl"]["password"] not in result.output


def test_show_passwords_from_a_registry_file(initialised: Path, runner: CliRunner) -> None:
    registry_file = initialised / "registry.yaml"
    result = runner.invoke(pki, ["show", str(registry_file), "--show-passwords"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(registry_file.read_text())
    password = data["parties"][0]["sasl"]["password"]
    assert f"    account     mockkpr-131725  password {password}" in result.output.splitlines()


def test_show_without_a_registry(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(pki, ["show", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == f"registry file {tmp_path / 'registry.yaml'} does not exist"


def _load_as_another_user(registry: Path) -> subprocess.CompletedProcess[str]:
    """Load ``registry`` in a process running as uid 65534 (as a container's own user does)."""
    code = ("import sys\nfrom mockkpr.registry import load_registry\nfrom mockkpr.errors import "
            "MockKprError\ntry:\n    load_registry(__import__('pathlib').Path(sys.argv[1]))\n"
            "except MockKprError as exc:\n    print(exc)\n    sys.exit(2)\nprint('loaded')\n")
    return subprocess.run(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
         sys.executable, "-c", code, str(registry)],
        capture_output=True, text=True, check=False, cwd="/",
        env={"PYTHONPATH": str(Path(__file__).parents[2])})


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder every user may enter (pytest's own tmp_path is the owner's only)."""
    directory = Path(tempfile.mkdtemp(prefix="mockkpr-pki-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to read as another user")
def test_keys_for_a_container_that_runs_as_another_user(runner: CliRunner,
                                                        open_dir: Path) -> None:
    """The default keeps keys private and the error says how to share them; --readable-keys
    writes what a container's user (uid 10001 in the image) can read."""
    private = open_dir / "private"
    assert runner.invoke(pki, ["init", str(private), *PARTIES]).exit_code == 0
    assert (private / "registry.yaml").stat().st_mode & 0o777 == 0o600
    refused = _load_as_another_user(private / "registry.yaml")
    assert refused.returncode == 2, refused.stderr
    assert refused.stdout == (
        f"registry file {private / 'registry.yaml'} cannot be read (Permission denied); this "
        "process runs as uid 65534, gid 65534 (the mockkpr image: uid 10001): make the files "
        f"readable for it, e.g. `chmod -R a+rX {private}`, or create them with `mockkpr pki "
        "init DIR --readable-keys`\n")

    shared = open_dir / "shared"
    result = runner.invoke(pki, ["init", str(shared), *PARTIES, "--readable-keys"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"created test PKI in {shared} (keys unencrypted, readable by every user: test use "
        "only)\n")
    modes = {p.relative_to(shared).as_posix(): p.stat().st_mode & 0o777
             for p in shared.rglob("*")}
    assert modes["parties/12345/signing-key.UNENCRYPTED.pem"] == 0o644
    assert modes["registry.yaml"] == 0o644
    assert modes["parties"] == 0o755
    loaded = _load_as_another_user(shared / "registry.yaml")
    assert (loaded.returncode, loaded.stdout) == (0, "loaded\n"), loaded.stderr


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to read as another user")
def test_an_unreadable_key_names_the_fix(runner: CliRunner, open_dir: Path) -> None:
    directory = open_dir / "pki"
    assert runner.invoke(pki, ["init", str(directory), *PARTIES,
                               "--readable-keys"]).exit_code == 0
    key = directory / "parties" / "12345" / "signing-key.UNENCRYPTED.pem"
    key.chmod(0o600)
    refused = _load_as_another_user(directory / "registry.yaml")
    assert refused.returncode == 2
    assert f"private key file {key} cannot be read (Permission denied)" in refused.stdout
    assert f"`chmod -R a+rX {key.parent}`" in refused.stdout
    assert "--readable-keys" in refused.stdout
