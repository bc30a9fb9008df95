"""The evidence bundle: written signed, verified offline, and every kind of tampering caught."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from mockkpr.cli import main
from mockkpr.cms.detached import sign_detached
from mockkpr.conformance import report_json
from mockkpr.conformance.bundle import (
    CATALOGUE,
    MANIFEST,
    SIGNATURE,
    verify_bundle,
    write_bundle,
)
from mockkpr.conformance.cases import suite_digest
from mockkpr.conformance.signing import Attestation, Identity, ephemeral, from_files
from mockkpr.errors import ConfigError, InputError
from mockkpr.pki.files import certificate_pem
from mockkpr.registry import Registry
from tests.conformance.builders import certification


@pytest.fixture(scope="module")
def identity() -> Identity:
    return ephemeral()


@pytest.fixture
def bundle(registry: Registry, identity: Identity, tmp_path: Path) -> Path:
    return write_bundle(certification(registry, tmp_path), identity, tmp_path / "evidence.zip")


def files_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path: Path, files: dict[str, bytes], extra: list[tuple[str, bytes]] = ()) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, data in extra:
            archive.writestr(name, data)


def resign(files: dict[str, bytes], identity: Identity, **changes: object) -> None:
    """Change the manifest (and fix the hashes of changed files) and sign it again."""
    manifest = json.loads(files[MANIFEST])
    manifest.update(changes)
    for item in manifest["files"]:
        item["sha256"] = hashlib.sha256(files[item["path"]]).hexdigest()
        item["bytes"] = len(files[item["path"]])
    files[MANIFEST] = json.dumps(manifest).encode()
    files[SIGNATURE] = sign_detached(files[MANIFEST], signer_cert=identity.certificate,
                                     signer_key=identity.key)


def test_an_untouched_bundle_verifies(bundle: Path, identity: Identity,
                                      registry: Registry, tmp_path: Path) -> None:
    result = verify_bundle(bundle, pin=identity.fingerprint.replace(":", "").lower())
    assert result.problems == []
    assert result.fingerprint == identity.fingerprint
    assert result.signer == identity.certificate
    assert result.suite_digest == suite_digest()
    assert result.current_suite
    assert result.verdict == {"exit_code": 1, "counts": {"pass": 1, "fail": 1, "warn": 1,
                                                         "not-judged": 0, "error": 1}}
    names = set(files_of(bundle))
    assert {"summary.json", "junit.xml", "report.html", "harness.log", "signer-certificate.pem",
            "suite/requirements.yaml", CATALOGUE, "runs/baseline/run.json",
            "runs/baseline/log.txt", "runs/baseline/sender/identity.json",
            "runs/baseline/messages/00001.json", "runs/baseline/messages/00001.payload.xml",
            "runs/baseline/answers/00001-0-apprec.der"} <= names
    summary = json.loads(files_of(bundle)["summary.json"])
    for case in summary["cases"]:
        assert set(case["evidence"]) <= names, case["id"]
    again = write_bundle(certification(registry, tmp_path), identity, tmp_path / "b2.zip")
    assert set(files_of(again)) == names  # file names are deterministic


def test_a_changed_file_is_named(bundle: Path) -> None:
    files = files_of(bundle)
    files["runs/baseline/messages/00001.json"] = files[
        "runs/baseline/messages/00001.json"].replace(b"accepted", b"rejected")
    rewrite(bundle, files)
    (problem,) = verify_bundle(bundle).problems
    assert problem.startswith("runs/baseline/messages/00001.json: sha256 ")
    assert problem.endswith("bytes) - the file was changed")


def test_a_changed_signature_or_manifest_is_caught(bundle: Path) -> None:
    files = files_of(bundle)
    signature = bytearray(files[SIGNATURE])
    signature[-5] ^= 0x40
    rewrite(bundle, {**files, SIGNATURE: bytes(signature)})
    (problem,) = verify_bundle(bundle).problems
    assert problem == ("manifest.json.p7s: the signature does not verify: Invalid signature - "
                       "manifest.json was changed after it was signed, or the signature is "
                       "not the harness's")
    manifest = json.loads(files[MANIFEST])
    manifest["verdict"]["exit_code"] = 0
    rewrite(bundle, {**files, MANIFEST: json.dumps(manifest).encode()})
    assert verify_bundle(bundle).problems[0].startswith(
        "manifest.json.p7s: the signature does not verify")


def test_another_signer_is_caught_by_the_pin(bundle: Path, identity: Identity) -> None:
    files = files_of(bundle)
    stranger = ephemeral()
    resign(files, stranger)
    rewrite(bundle, files)
    assert verify_bundle(bundle).problems == []  # a valid signature, by someone else
    (problem,) = verify_bundle(bundle, pin=identity.fingerprint).problems
    assert problem == (f"manifest.json.p7s: signed by a certificate with fingerprint "
                       f"{stranger.fingerprint}, not the pinned {identity.fingerprint}")


def test_a_wrong_suite_digest_is_caught(bundle: Path, identity: Identity) -> None:
    files = files_of(bundle)
    files[CATALOGUE] = files[CATALOGUE].replace(b'"level": "shall"', b'"level": "should"', 1)
    resign(files, identity)  # even re-signed by the harness key itself
    rewrite(bundle, files)
    problems = verify_bundle(bundle).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"suite digest: the manifest says {suite_digest()}, "
                                  "suite/requirements.yaml and suite/cases.json give sha256:")
    resign(files, identity, suite_digest="sha256:" + "0" * 64)
    rewrite(bundle, files)
    assert "suite digest: summary.json says " in " ".join(verify_bundle(bundle).problems)


def test_added_missing_and_repeated_files_are_caught(bundle: Path) -> None:
    files = files_of(bundle)
    del files["junit.xml"]
    with pytest.warns(UserWarning, match="Duplicate name: 'report.html'"):  # zipfile warns
        rewrite(bundle, files, extra=[("note.txt", b"trust me"), ("report.html", b"<p>ok</p>")])
    problems = verify_bundle(bundle).problems
    assert "report.html: the zip holds this name more than once" in problems
    assert "note.txt: in the bundle but not in the manifest" in problems
    assert "junit.xml: listed in the manifest but missing" in problems


def test_not_a_bundle_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK not really")
    with pytest.raises(InputError, match="not a readable zip file"):
        verify_bundle(tmp_path / "x.zip")
    rewrite(tmp_path / "y.zip", {"summary.json": b"{}"})
    with pytest.raises(InputError, match=r"not an evidence bundle \(no manifest.json\)"):
        verify_bundle(tmp_path / "y.zip")


def test_certify_verify_exit_codes(bundle: Path, identity: Identity, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["certify", "verify", str(bundle), "--fingerprint",
                              identity.fingerprint])
    assert ok.exit_code == 0, ok.output
    assert f"SHA-256 fingerprint {identity.fingerprint}" in ok.output
    assert "OK: the signature verifies and every file is as signed by the pinned signer." \
        in ok.output
    unpinned = runner.invoke(main, ["certify", "verify", str(bundle)])
    assert unpinned.exit_code == 2
    assert "give --fingerprint (the certifying body's certificate)" in unpinned.output
    selfish = runner.invoke(main, ["certify", "verify", str(bundle), "--self-attested"])
    assert selfish.exit_code == 0, selfish.output
    assert "SELF-ATTESTED: no signer pinned" in selfish.output
    files = files_of(bundle)
    files["summary.json"] += b" "
    rewrite(bundle, files)
    bad = runner.invoke(main, ["certify", "verify", str(bundle), "--self-attested"])
    assert bad.exit_code == 1
    assert "INVALID: 1 problem(s):" in bad.output
    assert "summary.json: sha256 " in bad.output
    missing = runner.invoke(main, ["certify", "verify", str(tmp_path / "none.zip"),
                                   "--self-attested"])
    assert missing.exit_code == 2
    assert "not an evidence bundle (not a readable zip file" in missing.output


def test_a_self_attested_identity_is_made_in_memory_each_run(tmp_path: Path) -> None:
    first, second = ephemeral(), ephemeral()
    assert first.fingerprint != second.fingerprint
    assert first.attestation is Attestation.SELF
    assert "never written" in first.origin


def encrypted_key(identity: Identity, path: Path, passphrase: bytes | None) -> Path:
    algorithm = (serialization.BestAvailableEncryption(passphrase) if passphrase
                 else serialization.NoEncryption())
    path.write_bytes(identity.key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8, algorithm))
    return path


def test_a_certification_key_must_be_passphrase_protected(identity: Identity,
                                                          tmp_path: Path) -> None:
    cert = tmp_path / "body-cert.pem"
    cert.write_bytes(certificate_pem(identity.certificate))
    plain = encrypted_key(identity, tmp_path / "plain.pem", None)
    with pytest.raises(ConfigError, match="is not passphrase-protected: an unencrypted key on "
                                          "this machine can be read by the sender command"):
        from_files(plain, cert, b"x")
    locked = encrypted_key(identity, tmp_path / "locked.pem", b"s3cret")
    with pytest.raises(ConfigError, match="is encrypted: give its passphrase"):
        from_files(locked, cert, None)
    with pytest.raises(ConfigError, match="the passphrase does not open it"):
        from_files(locked, cert, b"wrong")
    opened = from_files(locked, cert, b"s3cret")
    assert (opened.fingerprint, opened.attestation) == (identity.fingerprint,
                                                        Attestation.CERTIFICATION)
    other = tmp_path / "other-cert.pem"
    other.write_bytes(certificate_pem(ephemeral().certificate))
    with pytest.raises(ConfigError, match="is not the key of the certificate in"):
        from_files(locked, other, b"s3cret")


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_openssl_recipe_pins_the_signer(bundle: Path, identity: Identity,
                                             tmp_path: Path) -> None:
    """docs/conformance.md: openssl verifies with the certifying body's certificate as the
    only trust anchor, so a bundle re-signed by anyone else fails."""
    pinned = tmp_path / "certifying-body.pem"
    pinned.write_bytes(certificate_pem(identity.certificate))

    def openssl_verify(path: Path) -> subprocess.CompletedProcess[str]:
        out = tmp_path / f"unpacked-{path.stem}"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(out)
        return subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", SIGNATURE,
             "-content", MANIFEST, "-CAfile", str(pinned), "-partial_chain", "-purpose", "any",
             "-out", "/dev/null"], cwd=out, capture_output=True, text=True, check=False)

    good = openssl_verify(bundle)
    assert good.returncode == 0, good.stderr
    assert "Verification successful" in good.stderr
    files = files_of(bundle)
    resign(files, ephemeral())  # a stranger's valid signature over a changed manifest
    forged = tmp_path / "forged.zip"
    rewrite(forged, files)
    bad = openssl_verify(forged)
    assert bad.returncode != 0
    assert "Verification failure" in bad.stderr or "verify error" in bad.stderr


def test_evidence_paths_name_bundle_files(registry: Registry, tmp_path: Path) -> None:
    execution = certification(registry, tmp_path).executions["baseline"]
    assert report_json.evidence_paths(execution)[:2] == ["runs/baseline/run.json",
                                                         "runs/baseline/log.txt"]
