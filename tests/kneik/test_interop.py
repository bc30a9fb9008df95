"""Independent HTTP clients against the route: curl, and Node's fetch with the ``jose`` package.

Node builds its client assertion with ``jose`` from npm (neither joserfc nor PyJWT) and checks
the issued token against the published JWKS; curl posts what a shell script would. TLS is
checked against the test CA and refuses TLS 1.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.kneik.support import HttpRoute, assertion, protected, submission

pytestmark = pytest.mark.integration

JS = Path(__file__).parent / "js"


def _curl(*args: str) -> tuple[int, str]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    done = subprocess.run(["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}",
                           *args], capture_output=True, text=True, timeout=60, check=True)
    text, _, status = done.stdout.rpartition("\n")
    return int(status), text


def test_node_fetch_with_jose_gets_a_token_and_submits(
        route: HttpRoute, event_message: bytes, jose_dir: Path, tmp_path: Path) -> None:
    registry = route.registry
    body = submission(protected(event_message, registry.party(12345), registry.party(131725)),
                      pascal=True)
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(body))
    client = registry.client("client-12345")
    assert client is not None
    assert client.private_jwk_path is not None
    done = subprocess.run(
        ["node", str(JS / "kneik_send.mjs"), route.base + "/helseid", "client-12345",
         str(client.private_jwk_path), route.base, str(body_file)],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(registry.ca_path),
             "JOSE_DIR": str(jose_dir)},
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["token_status"] == 200
    assert result["token_client"] == "client-12345"
    assert result["token_scope"] == ["hdir:kneik/iplos/submit"]
    assert result["status"] == 200, result
    assert result["answer"]["messageId"] == body["MessageHeader"]["MessageId"]
    assert route.entry(result["answer"]["refId"])["outcome"] == "accepted"


def test_curl_gets_a_token_and_submits(
        route: HttpRoute, event_message: bytes, tmp_path: Path) -> None:
    registry = route.registry
    ca = str(registry.ca_path)
    endpoint = route.discovery()["token_endpoint"]
    status, text = _curl("--cacert", ca, endpoint,
                         "--data-urlencode", "grant_type=client_credentials",
                         "--data-urlencode", "client_assertion_type=urn:ietf:params:oauth:"
                         "client-assertion-type:jwt-bearer",
                         "--data-urlencode", "client_assertion="
                         + assertion(registry, "client-12345", endpoint))
    assert status == 200, text
    token = json.loads(text)["access_token"]
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(submission(protected(
        event_message, registry.party(12345), registry.party(131725)))))
    status, text = _curl("--cacert", ca, route.base + "/message/process",
                         "-H", f"Authorization: Bearer {token}",
                         "-H", "Content-Type: application/json",
                         "--data-binary", f"@{body_file}")
    assert status == 200, text
    assert route.entry(json.loads(text)["refId"])["outcome"] == "accepted"
    status, text = _curl("--cacert", ca, route.base + "/messages",
                         "-H", "Content-Type: application/json", "--data-binary", "{}")
    assert status == 401
    assert json.loads(text)["error"] == "unauthorized"


def _handshake(route: HttpRoute, *options: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    where = urlsplit(route.base)
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"{where.hostname}:{where.port}",
         "-CAfile", str(route.registry.ca_path), "-verify_return_error", *options],
        input="", capture_output=True, text=True, timeout=30, check=False)


def test_tls_1_2_and_1_3_are_served_and_1_1_is_refused(route: HttpRoute) -> None:
    assert _handshake(route, "-tls1_2").returncode == 0
    assert _handshake(route, "-tls1_3").returncode == 0
    old = _handshake(route, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert old.returncode != 0
    assert "CONNECTED" in old.stdout  # the hello went out; the server ended the handshake
    assert any(reason in old.stderr for reason in (
        "alert protocol version", "unsupported protocol", "unexpected eof")), old.stderr
