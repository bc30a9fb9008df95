"""The web view's tests use the control API's real server fixture, the conformance tests'
endpoint and the HTTP route's endpoint."""

from tests.conformance.conftest import endpoint
from tests.control.conftest import control
from tests.kneik.conftest import event_message, http_endpoint, route

__all__ = ["control", "endpoint", "event_message", "http_endpoint", "route"]
