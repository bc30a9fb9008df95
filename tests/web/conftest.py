"""The web view's tests use the control API's real server fixture."""

from tests.control.conftest import control

__all__ = ["control"]
