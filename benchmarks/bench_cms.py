"""Time protect() and unprotect() for 1 KB, 1 MB and 50 MB payloads (DER and streamed BER).

Run: ``PYTHONPATH=. python benchmarks/bench_cms.py [--repeat N]``. Prints the best of N runs per
size; nothing is asserted. The BER row (openssl cms -stream, 4 KB chunks) is skipped without the
``openssl`` command.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from mockkpr.cms import protect, unprotect
from mockkpr.pki import PartySpec, create_test_pki
from mockkpr.registry import load_registry

SIZES = {"1 KB": 1024, "1 MB": 1024 * 1024, "50 MB": 50 * 1024 * 1024}


def _best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "pki"
        create_test_pki(directory, [PartySpec(131725, "KPR"), PartySpec(12345, "Kommune")])
        registry = load_registry(directory / "registry.yaml")
        receiver, sender = registry.party(131725), registry.party(12345)
        assert sender.signing_key is not None
        signing_key = sender.signing_key

        def do_protect(payload: bytes) -> bytes:
            return protect(
                payload,
                signer_cert=sender.signing_certificate,
                signer_key=signing_key,
                recipient_cert=receiver.encryption_certificate,
            )

        def do_unprotect(data: bytes) -> bytes:
            return unprotect(
                data,
                own_keys=receiver.own_keys(),
                expected_signer=sender.signing_certificate,
                ca_certs=[registry.ca_certificate],
                crls=[registry.crl],
                now=datetime.now(UTC),
            ).payload

        print(f"{'size':>6}  {'protect':>10}  {'unprotect':>10}  {'unprotect BER':>13}")
        for label, size in SIZES.items():
            payload = (b"<Rad>synthetic row</Rad>\n" * (size // 26 + 1))[:size]
            data = do_protect(payload)
            assert do_unprotect(data) == payload
            protect_s = _best(args.repeat, partial(do_protect, payload))
            unprotect_s = _best(args.repeat, partial(do_unprotect, data))
            ber = _ber(directory, payload)
            ber_s = "-" if ber is None else (
                f"{_best(args.repeat, partial(do_unprotect, ber)) * 1000:10.1f} ms"
            )
            print(
                f"{label:>6}  {protect_s * 1000:7.1f} ms  {unprotect_s * 1000:7.1f} ms  {ber_s:>13}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory {peak:.0f} MB")


def _ber(directory: Path, payload: bytes) -> bytes | None:
    """The payload signed and encrypted by ``openssl cms -stream`` (BER), if openssl exists."""
    if shutil.which("openssl") is None:
        return None
    party = directory / "parties/12345"
    signed = subprocess.run(
        ["openssl", "cms", "-sign", "-nosmimecap", "-noattr", "-md", "sha256", "-binary",
         "-stream", "-outform", "DER", "-nodetach", "-signer", party / "signing-cert.pem",
         "-inkey", party / "signing-key.UNENCRYPTED.pem"],
        input=payload, capture_output=True, check=True,
    ).stdout
    return subprocess.run(
        ["openssl", "cms", "-encrypt", "-aes256", "-binary", "-stream", "-outform", "DER",
         directory / "parties/131725/encryption-cert.pem"],
        input=signed, capture_output=True, check=True,
    ).stdout


if __name__ == "__main__":
    main()
