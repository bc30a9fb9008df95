"""Fixtures of the conformance suite's tests: one endpoint per module, senders."""

from __future__ import annotations

import sys

# TEMPORARY (until branch conf-wire is merged): mockkpr.conformance.senders does not exist on
# this branch; its contract names come from a stand-in in tests/ (never in the package).
try:
    import mockkpr.conformance.senders  # noqa: F401
except ModuleNotFoundError:
    from tests.conformance import _standin_senders

    sys.modules["mockkpr.conformance.senders"] = _standin_senders
