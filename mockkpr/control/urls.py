"""The URL a client on this machine uses to reach the control API (no web imports here)."""

from __future__ import annotations

# Listening on every interface means a local client connects to loopback.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def local_host(host: str) -> str:
    """The address a local client connects to for a server listening on ``host``."""
    return _WILDCARDS.get(host, host)


def control_url(host: str, port: int) -> str:
    """``http://host:port`` for a server listening on ``host``, IPv6 hosts bracketed."""
    host = local_host(host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
