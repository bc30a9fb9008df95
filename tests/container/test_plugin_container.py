"""The pytest plugin's container mode: a vendor's ConformanceSuite against the image."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytestmark = [pytest.mark.container, pytest.mark.integration, pytest.mark.slow]

VENDOR = '''
import pytest
from mockkpr.conformance.senders import reference_sender
from mockkpr.testing.conformance import ConformanceSuite


class TestReference(ConformanceSuite):
    cases = ("KPR-CONF-015", "KPR-CONF-045", "KPR-CONF-071")
    timeout = 20

    @pytest.fixture
    def sender(self):
        return reference_sender()
'''


def test_container_mode_runs_the_suite_against_the_image(image: str, pytester: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_vendor=VENDOR)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--mockkpr-mode", "container",
                                "--mockkpr-image", image, "-rA")
    result.assert_outcomes(passed=3)
