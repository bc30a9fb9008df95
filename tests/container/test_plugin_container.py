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


def test_container_mode_gives_the_endpoint_api(image: str, pytester: pytest.Pytester,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same KprEndpoint calls a test makes in process work against the image."""
    from tests.testing.test_plugin import ENDPOINT_API

    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_api=ENDPOINT_API)
    result = pytester.runpytest("-p", "mockkpr.testing.plugin", "--mockkpr-mode", "container",
                                "--mockkpr-image", image)
    result.assert_outcomes(passed=7)


def test_a_missing_image_says_how_to_build_it(engine: object) -> None:
    from mockkpr.errors import EndpointError
    from mockkpr.testing.container import MockKprContainer

    with pytest.raises(EndpointError) as missing, MockKprContainer("mockkpr-absent:nothing"):
        pass
    text = str(missing.value)
    assert text.startswith("the image mockkpr-absent:nothing was not found (")
    assert text.endswith("): build it from a checkout of mockkpr with docker/build.sh (it tags "
                         "mockkpr:latest), or `docker build -f docker/Dockerfile -t mockkpr .`, "
                         "or pass the reference of an image you can pull")
