"""Fixtures of the plugin's tests."""

from __future__ import annotations

from tests.conformance import _standin_senders

# TEMPORARY (until branch conf-wire is merged): see tests/conformance/_standin_senders.py.
_standin_senders.install()
