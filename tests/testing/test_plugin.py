"""The pytest plugin and ConformanceSuite, run the way a vendor runs them (pytester)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.conformance.bundle import verify_bundle
from mockkpr.endpoint.app import Endpoint, registry_path
from mockkpr.settings import Settings

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parents[2]

VENDOR = '''
import pytest
from mockkpr.conformance.senders import SendOutcome, reference_sender
from mockkpr.testing.conformance import ConformanceSuite


class TestReference(ConformanceSuite):
    cases = ("KPR-CONF-015", "KPR-CONF-044", "KPR-CONF-071")
    timeout = 10

    @pytest.fixture
    def sender(self):
        return reference_sender()


class TestIdle(ConformanceSuite):
    cases = ("KPR-CONF-003", "KPR-CONF-044")

    @pytest.fixture
    def sender(self):
        return lambda task: SendOutcome(0, "done", "", 0.0)
'''


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load the plugin by -p only (once installed, its entry point would load it
    a second time under another name)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.mark.integration
def test_a_vendor_suite_runs_every_selected_case(pytester: pytest.Pytester, isolated: None,
                                                 tmp_path: Path) -> None:
    pytester.makepyfile(test_vendor=VENDOR)
    out = tmp_path / "out"
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--mockkpr-out", str(out),
                                "-rA")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines([
        "KPR-CONF-003 Attaches to KPR's async queue: FAIL (shall; REQ-CONN-TARGET; "
        "run baseline)",
        "  FAIL  a message arrived",
        "        expected: at least one message on 131725_async",
        "KPR-CONF-044 Asks for a receipt (Ack J): NOT-JUDGED (should; REQ-ENV-ACK; run "
        "baseline)",
        "        hint:     root cause REQ-CONN-TARGET: nothing reached KPR's queue",
        "PASSED test_vendor.py::TestReference::test_conformance[[]KPR-CONF-015[]]",
        "PASSED test_vendor.py::TestReference::test_conformance[[]KPR-CONF-071[]]",
        "FAILED test_vendor.py::TestIdle::test_conformance[[]KPR-CONF-003[]]*",
    ], consecutive=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["mode"] == "pytest"
    assert [c["status"] for c in summary["cases"]] == ["pass", "pass", "pass", "fail",
                                                       "not-judged"]
    assert verify_bundle(out / "evidence.zip").problems == []


def test_a_suite_without_a_sender_fixture_says_what_to_do(pytester: pytest.Pytester,
                                                          isolated: None) -> None:
    pytester.makepyfile(test_vendor='''
from mockkpr.testing.conformance import ConformanceSuite

class TestNothing(ConformanceSuite):
    cases = ("KPR-CONF-015",)
''')
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(errors=1)  # the fixture's setup
    result.stdout.fnmatch_lines(["*define a `sender` fixture in your ConformanceSuite subclass*"])


def test_the_docs_example_collects_the_whole_suite(pytester: pytest.Pytester,
                                                   isolated: None) -> None:
    docs = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    section = docs.split("## The pytest plugin", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 12
    pytester.makepyfile(test_vendor=code)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--collect-only", "-q")
    from mockkpr.conformance.cases import CATALOGUE

    result.stdout.fnmatch_lines([f"*{len(CATALOGUE)} tests collected*"])
    result.stdout.fnmatch_lines(["test_vendor.py::TestOurSender::test_conformance[[]KPR-CONF-001[]]"])


def test_the_plugin_imports_nothing_heavy() -> None:
    """Loaded into every pytest run once installed: it must not pull the endpoint in."""
    code = ("import sys, mockkpr.testing.plugin; print(sorted(m for m in sys.modules if "
            "m.startswith(('proton', 'mockkpr.endpoint', 'mockkpr.conformance', "
            "'mockkpr.generator', 'sqlalchemy', 'fastapi', 'testcontainers'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]"


def test_an_unrelated_test_run_is_untouched(pytester: pytest.Pytester, isolated: None) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--help")
    result.stdout.fnmatch_lines(["*--mockkpr-mode={inprocess,container,external}*"])
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=1)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("external"), amqps_port=0,
                        control_port=0, scenario=None, registry=None, database_url=None)
    with Endpoint(settings) as endpoint:
        yield endpoint


@pytest.mark.integration
def test_external_mode_drives_a_running_endpoint(pytester: pytest.Pytester, isolated: None,
                                                 running: Endpoint) -> None:
    pytester.makepyfile(test_vendor=VENDOR)
    result = pytester.runpytest(
        "-p", "mockkpr.testing.plugin", "--mockkpr-mode", "external",
        "--mockkpr-url", running.urls.amqps + "/NHNTESTServiceBus",
        "--mockkpr-control-url", running.urls.control,
        "--mockkpr-registry", str(registry_path(running.settings)),
        "-k", "TestReference and (015 or 071)")
    result.assert_outcomes(passed=2)
    assert running.journal is not None
    from mockkpr.journal.models import MessageFilter

    kept = running.journal.list(MessageFilter(), newest_first=False)
    assert [e.subject for e in kept] == ["KPR_IPL"]  # the last run's, rejected-apprec


def test_external_mode_needs_its_options(pytester: pytest.Pytester, isolated: None) -> None:
    pytester.makepyfile(test_vendor=VENDOR)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--mockkpr-mode", "external",
                                "-k", "TestIdle and 003")
    result.stdout.fnmatch_lines(["*--mockkpr-mode external needs --mockkpr-url, "
                                 "--mockkpr-control-url, --mockkpr-registry*"])
    assert result.ret != 0


def test_the_mockkpr_fixture_resets_the_endpoint(pytester: pytest.Pytester,
                                                 isolated: None) -> None:
    document = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
    pytester.makepyfile(test_fixture=f'''
from mockkpr.client import KprClient
from mockkpr.envelope import Status

def test_first(mockkpr):
    assert mockkpr.driver.messages() == []
    xml = open({str(document)!r}, "rb").read()
    with KprClient(mockkpr.amqp_url, mockkpr.registry, 12345) as client:
        assert client.send_and_wait(xml, timeout=10).status is Status.OK
    assert len(mockkpr.driver.messages()) == 1

def test_second(mockkpr):
    assert mockkpr.driver.messages() == []
''')
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=2)
