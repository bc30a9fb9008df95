"""Helpers for testing a sender against mockkpr.

- :mod:`mockkpr.testing.container` — the image as a testcontainers module (needs the optional
  dependency ``testcontainers``: ``pip install 'mockkpr[testing]'``);
- :mod:`mockkpr.testing.plugin` — the pytest plugin (entry point ``pytest11``): endpoint
  fixtures in process, in a container or external;
- :mod:`mockkpr.testing.conformance` — :class:`ConformanceSuite`, the whole conformance suite
  in a vendor's own pytest run (docs/conformance.md).
"""
