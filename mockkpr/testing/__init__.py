"""Helpers for testing a sender against mockkpr: :mod:`mockkpr.testing.container`.

They need the optional dependency ``testcontainers`` (``pip install 'mockkpr[testing]'``).
"""
