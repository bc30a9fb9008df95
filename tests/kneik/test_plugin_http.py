"""The pytest plugin's endpoint tells a vendor's HTTP sender where to go (pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parents[2]


@pytest.mark.integration
def test_a_vendor_test_submits_over_http_with_the_plugins_urls(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    document = ROOT / "fixtures" / "valid" / "iplos-56.xml"
    pytester.makepyfile(test_http=f'''
import ssl
import httpx
from mockkpr.client.kneik import KneikClient

def test_http(kpr):
    assert kpr.http_url.startswith("https://")
    tls = ssl.create_default_context(cafile=str(kpr.registry.ca_path))
    discovery = httpx.get(kpr.http_url + "/helseid/.well-known/openid-configuration",
                          verify=tls).json()
    assert discovery["token_endpoint"] == kpr.token_url
    with KneikClient(kpr.http_url, kpr.registry, 12345, to_her_id=131725) as client:
        answer = client.submit(open({str(document)!r}, "rb").read(), timeout=20)
    assert answer.status == 200
    assert kpr.count() == 1
    entry = kpr.request("GET", "/api/messages/" + answer.ref_id).json()
    assert entry["details"]["http.ref_id"] == answer.ref_id
''')
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=1)
