"""The pytest plugin and ConformanceSuite, run the way a vendor runs them (pytester)."""

from __future__ import annotations

import json
import os
import shutil
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
    from mockkpr.conformance.cases import select

    result.stdout.fnmatch_lines([f"*{len(select(None))} tests collected*"])
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


#: The running endpoint's control API requires this token (as one beyond loopback does).
TOKEN = "synthetic-plugin-token-0123456789"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("external"), amqps_port=0,
                        control_port=0, scenario=None, registry=None, database_url=None,
                        control_token=TOKEN)
    with Endpoint(settings) as endpoint:
        yield endpoint


@pytest.mark.integration
def test_external_mode_drives_a_running_endpoint(pytester: pytest.Pytester, isolated: None,
                                                 running: Endpoint) -> None:
    """Every request of the plugin (readiness, resets, the conformance driver) carries the
    endpoint's control token, given by --mockkpr-control-token."""
    pytester.makepyfile(test_vendor=VENDOR)
    options = ("-p", "mockkpr.testing.plugin", "--mockkpr-mode", "external",
               "--mockkpr-url", running.urls.amqps + "/NHNTESTServiceBus",
               "--mockkpr-control-url", running.urls.control,
               "--mockkpr-registry", str(registry_path(running.settings)),
               "-k", "TestReference and (015 or 071)")
    without = pytester.runpytest(*options)
    without.stdout.fnmatch_lines(["*control API DELETE */api/scenario: 401 *needs its token*"])
    assert without.ret != 0
    result = pytester.runpytest(*options, "--mockkpr-control-token", TOKEN)
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


def test_the_kpr_fixture_resets_the_endpoint(pytester: pytest.Pytester,
                                             isolated: None) -> None:
    document = ROOT / "fixtures" / "valid" / "iplos-2019.xml"
    pytester.makepyfile(test_fixture=f'''
import mockkpr  # the fixture no longer shadows the package
from mockkpr.client import KprClient
from mockkpr.envelope import Status

def test_first(kpr):
    assert kpr.messages() == []
    xml = open({str(document)!r}, "rb").read()
    with KprClient(kpr.amqp_url, kpr.registry, 12345) as client:
        assert client.send_and_wait(xml, timeout=10).status is Status.OK
    assert len(kpr.messages()) == 1
    assert mockkpr.__version__

def test_second(kpr):
    assert kpr.messages() == []
''')
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=2)


def test_the_old_fixture_name_still_works_with_a_deprecation_warning(
        pytester: pytest.Pytester, isolated: None) -> None:
    pytester.makepyfile(test_old="def test_old(mockkpr):\n    assert mockkpr.count() == 0\n")
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "-W",
                                "error::mockkpr.testing.plugin.MockKprDeprecationWarning")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*MockKprDeprecationWarning: the `mockkpr` fixture is renamed "
                                 "`kpr` (it shadowed `import mockkpr` in a test); the old name "
                                 "goes in the next release*"])
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=1, warnings=1)


ENDPOINT_API = f'''
from datetime import timedelta
from pathlib import Path

import pytest

from mockkpr.client import KprClient
from mockkpr.envelope import Status

XML = Path({str(ROOT / "fixtures" / "valid" / "iplos-2019.xml")!r}).read_bytes()


def send(kpr, timeout=10):
    with KprClient(kpr.amqp_url, kpr.registry, 12345) as client:
        return client.send_and_wait(XML, timeout=timeout)


def test_urls_and_credentials(kpr):
    assert kpr.amqp_url.startswith("amqps://") and kpr.amqp_url.endswith("/NHNTESTServiceBus")
    assert kpr.control_url.startswith("http://")
    assert kpr.credentials(12345) == ("mockkpr-12345", "test-12345")
    assert kpr.request("GET", "/readyz").json()["status"] == "ready"


def test_wait_verify_and_the_apprec(kpr):
    answer = send(kpr)
    message = kpr.wait(sender=12345, subject="KPR_IPL", timeout=5)
    assert message.message_id == answer.sent.message_id
    assert (message.outcome, message.apprec_status, message.sender) == ("accepted", "1", "12345")
    assert kpr.count(sender=12345) == 1
    assert kpr.assert_received(count=1, sender="12345") == [message]
    apprec = kpr.apprec(message)
    assert apprec.status is Status.OK
    assert apprec.original.msg_id == answer.sent.msg_id
    assert kpr.apprec_bytes(message) == answer.wire.body
    assert kpr.payload(message).startswith(b"<IPLOS ")  # the document out of its MsgHead
    assert kpr.feedback(message)["reports"][0]["verdict"]["accepted"] is True
    assert kpr.message(answer.sent.msg_id) == message


def test_wait_after_a_message_waits_for_the_next(kpr):
    send(kpr)
    first = kpr.wait(sender=12345)
    with pytest.raises(AssertionError) as nothing:
        kpr.wait(sender=12345, after=first, timeout=0.3)
    assert str(nothing.value).startswith(
        "no message matching {{'sender': '12345', 'after_id': %d}} was answered within 0.3 s; "
        "the endpoint received 1:" % first.id)
    send(kpr)
    assert kpr.wait(sender=12345, after=first).id > first.id


def test_assert_received_lists_what_did_arrive(kpr):
    send(kpr)
    with pytest.raises(AssertionError) as wrong:
        kpr.assert_received(count=2, sender=12345)
    lines = str(wrong.value).splitlines()
    assert lines[0] == ("expected exactly 2 message(s) matching {{'sender': '12345'}}, found 1; "
                        "the endpoint received 1:")
    assert lines[1].endswith("from 12345 KPR_IPL accepted AppRec 1")
    with pytest.raises(AssertionError, match="expected at least one message"):
        kpr.assert_received(subject="KPR_IDE")


def test_arm_a_scenario_and_check_its_expectations(kpr):
    state = kpr.arm("rejected-apprec")
    assert state["scenario"]["name"] == "rejected-apprec"
    assert send(kpr).status is Status.AVVIST
    assert kpr.wait(sender=12345).apprec_status == "2"
    kpr.disarm()
    assert send(kpr).status is Status.OK


def test_the_clock(kpr):
    before = kpr.clock.now()
    kpr.clock.advance(timedelta(days=2))
    assert kpr.clock.now() - before >= timedelta(days=2)
    kpr.clock.reset()
    assert kpr.clock.now() - before < timedelta(days=1)


def test_unknown_filters_are_refused(kpr):
    with pytest.raises(TypeError, match="unknown filter"):
        kpr.messages(colour="red")
'''


@pytest.mark.integration
def test_the_endpoint_api_a_vendor_test_uses(pytester: pytest.Pytester,
                                             isolated: None) -> None:
    pytester.makepyfile(test_api=ENDPOINT_API)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=7)


def test_inprocess_mode_without_the_server_extra_says_what_to_install(
        pytester: pytest.Pytester, isolated: None) -> None:
    pytester.makeconftest('''
import sys, importlib.abc

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "sqlalchemy" or name == "mockkpr.endpoint.app":
            raise ModuleNotFoundError(f"No module named {{name!r}}", name="sqlalchemy")

sys.modules.pop("mockkpr.endpoint.app", None)
sys.meta_path.insert(0, Block())
''')
    pytester.makepyfile(test_one="def test_one(kpr):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(errors=1)
    assert ("--mockkpr-mode inprocess (the default) runs the endpoint in pytest's process and "
            "needs the server extra (sqlalchemy is missing): pip install 'mockkpr[server]', or "
            "use --mockkpr-mode container (pip install 'mockkpr[testing]' and the image)"
            ) in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


@pytest.mark.integration
def test_the_readme_plugin_example_runs_as_written(pytester: pytest.Pytester,
                                                   isolated: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In your pytest suite", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_readme=code)
    shutil.copyfile(ROOT / "fixtures" / "valid" / "iplos-2019.xml",
                    pytester.path / "iplos.xml")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}"
                               f"{os.environ['PATH']}")
    result = pytester.runpytest("-p", "mockkpr.testing.plugin")
    result.assert_outcomes(passed=1)


HTTP_VENDOR = '''
import pytest
from mockkpr.conformance.senders import reference_http_sender
from mockkpr.testing.conformance import ConformanceSuite


class TestOurHttpSender(ConformanceSuite):
    route = "http"
    cases = ("KPR-CONF-100", "KPR-CONF-104")
    timeout = 10

    @pytest.fixture
    def sender(self):
        return reference_http_sender()
'''


@pytest.mark.integration
def test_a_vendor_suite_can_judge_the_http_route(pytester: pytest.Pytester,
                                                 isolated: None) -> None:
    """``route = "http"``: the HTTP route's cases against the plugin's endpoint, which
    serves the HTTP API."""
    pytester.makepyfile(test_http_vendor=HTTP_VENDOR)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "PASSED test_http_vendor.py::TestOurHttpSender::test_conformance[[]KPR-CONF-100[]]",
        "PASSED test_http_vendor.py::TestOurHttpSender::test_conformance[[]KPR-CONF-104[]]",
    ], consecutive=False)
