"""The one settings object.

Every setting is read from a ``MOCKKPR_*`` environment variable (``MOCKKPR_DATA_DIR`` for
``data_dir``) and may be overridden by a command-line flag; no other module reads the
environment. A configuration file (YAML or TOML, keys as the field names, e.g.
``amqps_port: 5671``) given with ``--config`` sits below the environment. Precedence, highest
first: command-line flags, environment, configuration file, defaults. README.md has the table
of variables; a test keeps the two in step.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from mockkpr.errors import ConfigError


class Settings(BaseSettings):
    """Typed configuration of mockkpr. Field descriptions are the user documentation."""

    # An empty variable (``MOCKKPR_AMQP_PORT=``) means "not set": the default applies, as a
    # shell user or a Compose file that blanks a variable expects.
    model_config = SettingsConfigDict(env_prefix="MOCKKPR_", extra="forbid", frozen=True,
                                      env_ignore_empty=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init), then the environment, then the ``--config`` file if one is given."""
        path = _CONFIG_FILE.get()
        if path is None:
            return init_settings, env_settings
        file_source: PydanticBaseSettingsSource = (
            TomlConfigSettingsSource(settings_cls, toml_file=path)
            if path.suffix == ".toml"
            else YamlConfigSettingsSource(settings_cls, yaml_file=path)
        )
        return init_settings, env_settings, file_source

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
    kpr_her_id: int = Field(
        131725,
        gt=0,
        description="HER-id of the KPR receiver that mockkpr plays; its keys and queues come "
        "from the address registry.",
    )
    allow_3des: bool = Field(
        False,
        description="Accept payloads whose CMS content encryption is 3DES (des-ede3-cbc) instead "
        "of answering transport:unsupported-message; the profile requires AES-256-CBC.",
    )
    allow_sha1: bool = Field(
        False,
        description="Accept CMS signatures made with SHA-1 (as NHN's receivers do) instead of "
        "answering transport:unsupported-message; the profile's senders sign with SHA-256.",
    )

    # --- the embedded endpoint (mockkpr serve)
    registry: Path | None = Field(
        None,
        description="Address registry file (YAML). Unset: MOCKKPR_DATA_DIR/pki/registry.yaml, "
        "created with a test PKI and the default parties on first start.",
    )
    tls_names: list[str] = Field(
        default_factory=list,
        description="Extra host names or IP addresses for the TLS certificate a first start "
        'creates (localhost and 127.0.0.1 always), e.g. ["mockkpr"] for senders in other '
        "containers; as an environment variable a JSON list.",
    )
    pki_url: str = Field(
        "http://localhost:8080/pki",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="Base URL of the test CA's CRL (`ca.crl`) and certificate (`ca.crt`), "
        "which the control API serves under /pki; written into every certificate a new test "
        "PKI gets, so it must be what senders reach (e.g. `http://mockkpr:8080/pki` in a "
        "compose network, `http://localhost:18080/pki` for a published port 18080).",
    )
    host: str = Field(
        "localhost",
        description="Interface the AMQP listeners bind to (0.0.0.0 in the container image).",
    )
    amqps_port: int = Field(5671, ge=0, le=65535, description="AMQP over TLS port (0: any).")
    amqp_port: int | None = Field(
        None, ge=0, le=65535,
        description="Plain AMQP port for local tests (unset: no plain listener).",
    )
    prefetch: int = Field(100, ge=1, description="Credit granted to each sender link.")
    delivery_limit: int = Field(
        5, ge=1,
        description="Delivery attempts (released does not count) before a queued answer is "
        "dead-lettered to the party's _dl queue.",
    )
    max_message_bytes: int = Field(
        20 << 20, gt=0,
        description="Largest single AMQP message; larger ones are rejected with "
        "amqp:link:message-size-exceeded (split large files into groups).",
    )
    workers: int = Field(2, ge=1, description="Threads that process messages.")
    processes: int = Field(
        0, ge=0,
        description="Worker processes that decrypt, validate and answer messages, so that "
        "the embedded endpoint uses more than one core (set it to the number of cores); 0: "
        "all in the endpoint's own process. Event messages, split messages and armed "
        "scenarios stay in the endpoint's process (docs/endpoint.md).",
    )
    handshake_timeout: float = Field(
        10.0, gt=0,
        description="Seconds a client has to finish TLS, log in and open its connection; "
        "then it is disconnected (so silent or broken sockets are not kept for ever).",
    )
    login_failures_per_minute: int = Field(
        30, ge=0,
        description="Failed SASL logins allowed per account and per client address per minute "
        "(a burst of that many, then refilled evenly); beyond it, logins of that account or "
        "from that address are refused without their password being checked (0: no limit).",
    )
    group_timeout: float = Field(
        3600.0, gt=0,
        description="Seconds a split message may take from its first part to its last; an "
        "incomplete group is then dropped and its sender gets a transport error.",
    )
    max_open_groups: int = Field(
        100, ge=1,
        description="Incomplete split messages one sender (fromHerId) may have at once; a part "
        "that would open one more is refused with a transport error.",
    )
    max_open_group_bytes: int = Field(
        2 << 30, gt=0,
        description="Bytes of incomplete split messages one sender may have stored at once.",
    )
    accept_unencrypted: bool = Field(
        False,
        description="Accept text/plain or application/soap+xml bodies without CMS "
        "(the real endpoint does not).",
    )
    apprec_version: Literal["1.0", "1.1"] = Field(
        "1.0", description="AppRec version of the receipts (1.0 2004-11-21 or v1.1 2012-02-15)."
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
    scenario: Path | None = Field(
        None,
        description="Scenario to arm at start (a YAML file, or the name of a packaged one, see "
        "`mockkpr scenarios list`); `/readyz` is ready only once it is armed.",
    )
    # --- broker mode (mockkpr serve --broker): a consumer on a real RabbitMQ
    broker: str | None = Field(
        None,
        description="`amqps://USER:PASS@HOST:5671/EXCHANGE` of a RabbitMQ to consume KPR's "
        "queue from instead of running the embedded broker (unset: embedded mode).",
    )
    broker_ca: Path | None = Field(
        None,
        description="CA certificates (PEM) that the broker's TLS certificate must chain to; "
        "unset: the registry's test CA.",
    )
    broker_addresses: Literal["v1", "v2"] = Field(
        "v1",
        description="Link address forms on the broker: `v1` (`/amq/queue/Q`, `/exchange/X/Q`; "
        "RabbitMQ 3.x plugin, NHN's forms) or `v2` (`/queues/Q`, `/exchanges/X/Q`; RabbitMQ 4).",
    )
    broker_lease_s: float = Field(
        15.0,
        gt=0,
        description="Seconds without a heartbeat after which other broker-mode processes take "
        "over a process's unfinished messages and unsent answers.",
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
    control_token: str | None = Field(
        None, min_length=16, repr=False,
        description="Bearer token the control API requires (`Authorization: Bearer TOKEN`, or "
        "once `?token=TOKEN` in a browser); unset on loopback: none required; unset beyond "
        "loopback: a random one is made and printed at start.",
    )
    control_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the control API answers to besides localhost, 127.0.0.1, ::1 "
        'and its own address (JSON list, e.g. ["mockkpr"]; ["*"]: any); other Host headers '
        "get 400 (DNS rebinding).",
    )
    # --- the HTTP submission API and its fake HelseID (docs/http-api.md)
    http_port: int | None = Field(
        None, ge=0, le=65535,
        description="HTTPS port of KPR's HTTP submission API and the fake HelseID, on the "
        "interface of MOCKKPR_HOST with the registry's TLS certificate (0: any free port; "
        "unset: not served).",
    )
    http_max_body_bytes: int = Field(
        32 << 20, gt=0,
        description="Largest submission body on the HTTP route; larger ones get 413.",
    )
    token_lifetime_s: int = Field(
        3600, gt=0,
        description="Seconds an access token from the fake HelseID is valid.",
    )

    @field_validator("control_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        """A blank token (spaces in a variable, an empty one in a config file) means none."""
        return None if isinstance(value, str) and not value.strip() else value


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("mockkpr_config_file", default=None)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: command-line ``overrides``, then the environment, then ``config``.

    ``None`` values in ``overrides`` mean "flag not given" and are ignored. A missing or
    unreadable configuration file, an unknown key and an invalid value raise
    :class:`~mockkpr.errors.ConfigError` naming the file or the variable.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    if config is not None and not config.is_file():
        raise ConfigError(f"configuration file {config} does not exist")
    token = _CONFIG_FILE.set(config)
    try:
        return Settings(**given)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise _invalid(exc) from None
        raise ConfigError(f"configuration file {config}: {exc}") from None
    finally:
        _CONFIG_FILE.reset(token)


def _invalid(exc: ValidationError) -> ConfigError:
    """One message naming every invalid variable."""
    problems = "; ".join(
            f"MOCKKPR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
    return ConfigError(f"invalid settings: {problems}")
