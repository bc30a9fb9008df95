"""The evidence bundle: everything a third party needs to check a certification run, signed.

A zip file (``evidence.zip``) holding::

    manifest.json            bundle version, tool version, suite digest, run id, seed, verdict,
                             and every other file with its SHA-256 and size
    manifest.json.p7s        detached CMS signature over manifest.json (harness certificate in it)
    signer-certificate.pem   the harness certificate, for reading (the signature carries it too)
    summary.json junit.xml report.html harness.log
    suite/requirements.yaml suite/cases.json          the suite the digest names
    data/{data}/...                                   the documents the sender was given
    runs/{run}/run.json log.txt                       what the harness did, scenario, faults fired
    runs/{run}/sender/{document}.json                 each task and the sender's full output
    runs/{run}/messages/{id}.json [.payload.xml]      every message received, decrypted payload
    runs/{run}/answers/{id}-{n}-{kind}.der            the AppRecs sent (CMS, as on the wire)

:func:`verify_bundle` checks a bundle offline with nothing else: the signature over the
manifest, every file against its hash (and no file unlisted), and that the suite digest is the
one of the bundled requirements and catalogue. Entries are written in name order with fixed
timestamps, so equal contents give equal bytes.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from mockkpr.cms.detached import sign_detached, verify_detached
from mockkpr.conformance.model import digest_of, requirements_bytes
from mockkpr.conformance.signing import Identity
from mockkpr.errors import InputError, PkiError
from mockkpr.pki.files import certificate_pem

if TYPE_CHECKING:
    from mockkpr.conformance.harness import Certification, Execution
    from mockkpr.conformance.judge import Received, SendRecord

# Verification needs only this module, the CMS code and the model; writing a bundle imports
# the reports and the catalogue (the harness, the generator, the endpoint) when it runs.

BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
REQUIREMENTS = "suite/requirements.yaml"
CATALOGUE = "suite/cases.json"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


def signer_info(identity: Identity) -> dict[str, str]:
    """Subject and SHA-256 fingerprint of the signing certificate, and the kind of run."""
    return {"subject": identity.certificate.subject.rfc4514_string(),
            "fingerprint": identity.fingerprint, "attestation": identity.attestation.value}


# ------------------------------------------------------------------ contents
def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def entry_json(message: Received) -> dict[str, Any]:
    """A received message as JSON: the journal entry without payload and answer bodies."""
    entry = message.entry
    return {
        "id": entry.id, "message_id": entry.message_id, "msg_id": entry.msg_id,
        "received_at": entry.received_at.isoformat(), "queue": entry.queue, "user": entry.user,
        "sender_her_id": entry.sender_her_id, "receiver_her_id": entry.receiver_her_id,
        "subject": entry.subject, "outcome": entry.outcome.value,
        "apprec_status": entry.apprec_status, "error_condition": entry.error_condition,
        "error_description": entry.error_description, "error_data": list(entry.error_data),
        "properties": entry.properties, "application_properties": entry.application_properties,
        "body_size": entry.body_size, "details": dict(message.details),
        "msghead": entry.msghead, "report": entry.report,
        "payload_bytes": len(entry.payload) if entry.payload is not None else None,
        "answers": [{"kind": a.kind, "sent_at": a.sent_at.isoformat(), "queue": a.message.queue,
                     "message_id": a.message.message_id,
                     "correlation_id": a.message.correlation_id, "subject": a.message.subject,
                     "content_type": a.message.content_type,
                     "application_properties": a.message.application_properties,
                     "body_bytes": len(a.message.body),
                     "disposition": (message.dispositions[n] if message.dispositions is not None
                                     else "(not recorded)")}
                    for n, a in enumerate(entry.answers)],
    }


def _send_json(record: SendRecord) -> dict[str, Any]:
    task, outcome = record.task, record.outcome
    return {
        "task": {"file": task.file.name, "url": task.url, "registry": str(task.registry),
                 "from_her_id": task.from_her_id, "to_her_id": task.to_her_id,
                 "timeout": task.timeout,
                 **({} if task.http is None else {"http": {
                     "authority": task.http.authority, "token_url": task.http.token_url,
                     "client_id": task.http.client_id, "jwk": str(task.http.jwk),
                     "control": task.http.control}})},
        "document": {"role": record.document.role.value, "name": record.document.name,
                     "sha256": record.document.sha256, "bytes": record.document.size},
        "seconds": round(record.seconds, 3), "failure": record.failure, "error": record.error,
        "outcome": None if outcome is None else {
            "exit_code": outcome.exit_code, "seconds": round(outcome.seconds, 3),
            "stdout": outcome.stdout, "stderr": outcome.stderr},
    }


def _run_files(execution: Execution) -> Iterator[tuple[str, bytes]]:
    from mockkpr.conformance import report_json

    base = report_json.run_dir(execution)
    obs = execution.observations
    run = {**report_json.execution_json(execution), "definition": execution.run.describe(),
           "scenario_text": execution.run.prepare.scenario,
           "firings": [f.as_json() for f in obs.firings] if obs else [],
           "expectations": [r.as_json() for r in obs.expectations] if obs else []}
    yield f"{base}/run.json", _json(run)
    yield f"{base}/log.txt", ("\n".join(execution.log) + "\n").encode()
    if obs is None:
        return
    for record in obs.sends:
        yield f"{base}/sender/{record.document.role.value}.json", _json(_send_json(record))
    for message in obs.messages:
        entry = message.entry
        stem = f"{base}/messages/{entry.id:05d}"
        yield f"{stem}.json", _json(entry_json(message))
        if entry.payload is not None:
            yield f"{stem}.payload.xml", entry.payload
        for n, answer in enumerate(entry.answers):
            if answer.message.body:
                yield f"{base}/answers/{entry.id:05d}-{n}-{answer.kind}.der", answer.message.body


def contents(certification: Certification, identity: Identity) -> dict[str, bytes]:
    """Every file of the bundle except the manifest and its signature."""
    from mockkpr.conformance import report_html, report_json, report_junit
    from mockkpr.conformance.cases import catalogue_bytes

    files: dict[str, bytes] = {
        "summary.json": report_json.render(certification).encode(),
        "junit.xml": report_junit.render(certification),
        "report.html": report_html.render(certification, signer=signer_info(identity)).encode(),
        "signer-certificate.pem": certificate_pem(identity.certificate),
        REQUIREMENTS: requirements_bytes(),
        CATALOGUE: catalogue_bytes(),
    }
    logs = []
    for execution in certification.executions.values():
        logs.extend(execution.log)
        files.update(_run_files(execution))
        if execution.observations is not None:
            for record in execution.observations.sends:
                path = record.document.path
                files[f"data/{path.parent.name}/{path.name}"] = path.read_bytes()
    files["harness.log"] = ("\n".join(logs) + "\n").encode()
    return files


def manifest(certification: Certification, files: dict[str, bytes],
             identity: Identity) -> dict[str, Any]:
    """The manifest over ``files``."""
    return {
        "bundle_version": BUNDLE_VERSION, "created_at": datetime.now(UTC).isoformat(),
        "tool": {"name": "mockkpr", "version": certification.tool_version},
        "suite_digest": certification.suite_digest, "run_id": certification.run_id,
        "seed": certification.seed,
        "attestation": {"kind": identity.attestation.value, "signer": identity.origin},
        "verdict": {"exit_code": certification.exit_code, "counts": certification.counts()},
        "files": [{"path": p, "sha256": hashlib.sha256(files[p]).hexdigest(),
                   "bytes": len(files[p])} for p in sorted(files)],
    }


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, _FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def write_bundle(certification: Certification, identity: Identity, path: Path) -> Path:
    """Write the signed bundle to ``path``; return it."""
    files = contents(certification, identity)
    manifest_bytes = _json(manifest(certification, files, identity))
    signature = sign_detached(manifest_bytes, signer_cert=identity.certificate,
                              signer_key=identity.key, chain=identity.chain)
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = signature
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in sorted(files):
                _add(archive, name, files[name])
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the evidence bundle ({exc.strerror})") from None
    return path


# ------------------------------------------------------------------ verification
@dataclass
class Verification:
    """The result of checking a bundle; ``problems`` empty means it is intact."""

    path: Path
    problems: list[str] = field(default_factory=list)
    signer: x509.Certificate | None = None
    fingerprint: str | None = None
    suite_digest: str | None = None
    files: int = 0
    verdict: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    tool_version: str | None = None
    attestation: str | None = None

    @property
    def valid(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    @property
    def current_suite(self) -> bool:
        """Whether the bundle's suite is the one of this mockkpr installation."""
        from mockkpr.conformance.cases import suite_digest

        return self.suite_digest == suite_digest()


def _sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    hasher, size = hashlib.sha256(), 0
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def verify_bundle(path: Path, *, pin: str | None = None) -> Verification:
    """Check the bundle at ``path`` offline; ``pin`` is the signer fingerprint to require.

    Raises :class:`InputError` when it is not a bundle at all (no zip, no manifest); every
    other problem is listed in the result.
    """
    result = Verification(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not an evidence bundle (not a readable zip file: {exc})"
                         ) from None
    with archive:
        names = [info.filename for info in archive.infolist()]
        for name in (MANIFEST, SIGNATURE):
            if name not in names:
                raise InputError(f"{path}: not an evidence bundle (no {name})")
        repeated = sorted({n for n in names if names.count(n) > 1})
        result.problems += [f"{n}: the zip holds this name more than once" for n in repeated]
        manifest_bytes = archive.read(MANIFEST)
        _check_signature(result, archive.read(SIGNATURE), manifest_bytes, pin)
        try:
            data = json.loads(manifest_bytes)
            listed = {item["path"]: item for item in data["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            result.problems.append(f"{MANIFEST}: not a readable manifest ({exc})")
            return result
        result.suite_digest = data.get("suite_digest")
        result.verdict = data.get("verdict", {})
        result.created_at = data.get("created_at")
        result.tool_version = data.get("tool", {}).get("version")
        result.attestation = (data.get("attestation") or {}).get("kind")
        result.files = len(listed)
        _check_files(result, archive, listed, set(names))
        _check_suite(result, archive, listed)
    return result


def _check_signature(result: Verification, signature: bytes, manifest_bytes: bytes,
                     pin: str | None) -> None:
    try:
        verified = verify_detached(signature, manifest_bytes)
    except PkiError as exc:
        result.problems.append(f"{SIGNATURE}: {exc} - manifest.json was changed after it was "
                               "signed, or the signature is not the harness's")
        return
    result.signer, result.fingerprint = verified.signer, verified.fingerprint
    if pin is not None and _normalised(pin) != _normalised(verified.fingerprint):
        result.problems.append(f"{SIGNATURE}: signed by a certificate with fingerprint "
                               f"{verified.fingerprint}, not the pinned {pin}")


def _normalised(fingerprint: str) -> str:
    return fingerprint.replace(":", "").replace(" ", "").upper()


def _check_files(result: Verification, archive: zipfile.ZipFile,
                 listed: dict[str, dict[str, Any]], present: set[str]) -> None:
    for name in sorted(present - set(listed) - {MANIFEST, SIGNATURE}):
        result.problems.append(f"{name}: in the bundle but not in the manifest")
    for name, item in sorted(listed.items()):
        if name not in present:
            result.problems.append(f"{name}: listed in the manifest but missing")
            continue
        digest, size = _sha256(archive, name)
        if digest != item.get("sha256") or size != item.get("bytes"):
            result.problems.append(f"{name}: sha256 {digest} ({size} bytes), the manifest says "
                                   f"{item.get('sha256')} ({item.get('bytes')} bytes) - the "
                                   "file was changed")


def _check_suite(result: Verification, archive: zipfile.ZipFile,
                 listed: dict[str, dict[str, Any]]) -> None:
    if REQUIREMENTS not in listed or CATALOGUE not in listed:
        result.problems.append(f"suite digest: {REQUIREMENTS} or {CATALOGUE} is missing")
        return
    computed = digest_of(archive.read(REQUIREMENTS), archive.read(CATALOGUE))
    if computed != result.suite_digest:
        result.problems.append(f"suite digest: the manifest says {result.suite_digest}, "
                               f"{REQUIREMENTS} and {CATALOGUE} give {computed}")
    if "summary.json" in listed:
        try:
            claimed = json.loads(archive.read("summary.json"))["suite"]["digest"]
        except (ValueError, KeyError, TypeError):
            claimed = None
        if claimed != result.suite_digest:
            result.problems.append(f"suite digest: summary.json says {claimed}, the manifest "
                                   f"{result.suite_digest}")
