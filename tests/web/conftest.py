"""The web view's tests use the control API's real server fixture and the conformance tests'
endpoint."""

from tests.conformance.conftest import endpoint
from tests.control.conftest import control

__all__ = ["control", "endpoint"]
