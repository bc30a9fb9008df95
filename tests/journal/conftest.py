"""Fixtures for the journal's tests: a fresh database per test, SQLite and PostgreSQL.

``journal_url`` (and so ``journal``) runs each test twice: on a SQLite file and on a fresh
database in the session's throw-away PostgreSQL cluster (``postgres_cluster`` in
tests/conftest.py). Without PostgreSQL binaries or the ``psycopg`` driver the PostgreSQL runs
are skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockkpr.journal.store import Journal


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh journal database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    """An open journal on a fresh database, closed after the test."""
    with Journal(journal_url) as opened:
        yield opened
