"""The control API's token: given, made up, or read back (no web imports: the command line
uses it). Who needs it and why: :mod:`mockkpr.control.security`."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from mockkpr.settings import Settings

#: The file in the data directory holding a token the server made up.
TOKEN_FILE = "control-token"  # noqa: S105  (a file name)


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the API to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(settings: Settings) -> tuple[str | None, str]:
    """The API's token and where it came from (``environment``, ``file``, ``generated`` or
    ``none``).

    Given in the settings: that. Not given, listening on loopback: none. Not given, listening
    beyond loopback: the one in ``MOCKKPR_DATA_DIR/control-token``, made (at random, mode 0600)
    when missing, so that a restart on the same data keeps it and ``mockkpr messages`` beside
    the server finds it.
    """
    if settings.control_token:
        return settings.control_token, "environment"
    if is_loopback(settings.control_host):
        return None, "none"
    path = settings.data_dir / TOKEN_FILE
    existing = read_token_file(path)
    if existing:
        return existing, "file"
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusively: processes sharing the data directory agree on the first one's
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token_file(path) or token, "file"
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token, "generated"


def read_token_file(path: Path) -> str | None:
    """The token a server wrote to ``path``, or None."""
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None
