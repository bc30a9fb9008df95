"""The one settings object.

Every setting is read from a ``MOCKKPR_*`` environment variable (``MOCKKPR_DATA_DIR`` for
``data_dir``) and may be overridden by a command-line flag; no other module reads the
environment. README.md has the table of variables; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from mockkpr.errors import ConfigError


class Settings(BaseSettings):
    """Typed configuration of mockkpr. Field descriptions are the user documentation."""

    model_config = SettingsConfigDict(env_prefix="MOCKKPR_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path(".mockkpr"),
        description="Directory for the journal, the generated test PKI and the registry.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level of log events written to standard error."
    )
    log_format: Literal["console", "json"] = Field(
        "console", description="`console` for people, `json` for one JSON object per line."
    )
    max_payload_bytes: int = Field(
        1 << 30,
        gt=0,
        description="Largest IPLOS document (after reassembly and decryption) that is validated.",
    )
    max_findings: int = Field(
        10_000,
        ge=0,
        description="Findings kept in a report; counts and totals stay exact beyond it.",
    )
    accept_synthetic_ids: bool = Field(
        True,
        description="Accept synthetic national ids (month + 80, Tenor) without a finding, as a "
        "test endpoint must.",
    )
    flag_real_ids: bool = Field(
        True,
        description="Report national ids that look like ordinary (real) numbers, to guard "
        "against real personal data in test submissions.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the journal database (e.g. "
        "`postgresql+psycopg://user:pw@host/mockkpr`); unset means the SQLite file "
        "`journal.sqlite3` in the data directory.",
    )
    journal_max_messages: int = Field(
        10_000,
        gt=0,
        description="Most inbound messages kept in the journal; the oldest are deleted beyond it.",
    )
    journal_max_age_days: float | None = Field(
        30,
        gt=0,
        description="Journal entries older than this many days are deleted; unset keeps them "
        "(up to `journal_max_messages`).",
    )
    control_host: str = Field(
        "127.0.0.1",
        description="Address the HTTP control API listens on (`0.0.0.0` in a container).",
    )
    control_port: int = Field(
        8080,
        ge=0,
        le=65535,
        description="TCP port of the HTTP control API (0 picks a free port).",
    )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, with command-line ``overrides`` on top.

    ``None`` values in ``overrides`` mean "flag not given" and are ignored. Invalid values raise
    :class:`~mockkpr.errors.ConfigError` naming the variable.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"MOCKKPR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
