"""Fixtures for the journal's tests: a real SQLite journal file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.journal.store import Journal


@pytest.fixture
def journal_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite journal file in the test's directory."""
    return f"sqlite:///{tmp_path / 'journal.sqlite3'}"


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    """An open journal on a fresh SQLite file, closed after the test."""
    with Journal(journal_url) as opened:
        yield opened
