"""Readiness probe for container health checks: ``python -m mockkpr.control.probe``.

Asks the control API of the endpoint running on this machine (``MOCKKPR_CONTROL_HOST`` and
``MOCKKPR_CONTROL_PORT``, a wildcard host meaning loopback) for ``/readyz``. Exit code 0 when
it answers 200 (ready), 1 otherwise, with one line on standard error saying why. Only the
standard library's HTTP client is used, so that a probe every few seconds stays cheap.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from mockkpr.control.urls import control_url
from mockkpr.errors import MockKprError
from mockkpr.settings import load_settings

READY = 0
NOT_READY = 1


def probe(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """``(exit code, reason)`` for ``GET {url}/readyz``."""
    target = f"{url.rstrip('/')}/readyz"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310
            return READY, f"{target}: {response.status}"
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace").strip()
        return NOT_READY, f"{target}: {exc.code} {body}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return NOT_READY, f"{target}: {reason}"


def main(argv: list[str] | None = None) -> int:
    """Probe the control URL given as the only argument, or the one the settings name."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        url = args[0]
    else:
        try:
            settings = load_settings()
        except MockKprError as exc:
            print(f"mockkpr probe: {exc}", file=sys.stderr)
            return NOT_READY
        url = control_url(settings.control_host, settings.control_port)
    code, reason = probe(url)
    if code != READY:
        print(f"mockkpr probe: not ready: {reason}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
