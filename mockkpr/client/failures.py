"""Why a connection to the bus could not be made, and what the user can do about it.

proton reports a failed connection as text (``Connection amqps://... disconnected:
Condition('amqp:unauthorized-access', 'Authentication failed [mech=PLAIN]')``). This module
reads that text once and turns it into a :class:`ConnectFailed` that says the cause in plain
words, names the fix and tells the retry logic whether trying again can help:

========================================= ========= =============================================
cause                                     permanent what to do
========================================= ========= =============================================
``amqp:unauthorized-access``              yes       check the password in the registry or URL
TLS ``certificate verify failed``         yes       trust the endpoint's CA (``/api/pki/ca.pem``
                                                    or its registry), or connect by a name its
                                                    certificate was made for
TLS spoken to a plain port, or the        yes       match ``amqp://``/``amqps://`` to the port
reverse
unknown host name                         yes       check the URL's host
connection refused                        no        start ``mockkpr serve``, or check the port
time-out, reset, anything else            no        (the peer's own words are kept)
========================================= ========= =============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockkpr.errors import EndpointError

_CONDITION = re.compile(r"Condition\('(?P<name>[^']*)', '(?P<description>.*)'\)")


class ConnectFailed(EndpointError):
    """No connection to the bus could be made.

    ``permanent``: trying again with the same settings cannot help (a wrong password, an
    untrusted certificate, the wrong protocol for the port, an unknown host). ``cause`` is a
    short name of the cause (``unauthorized``, ``untrusted-certificate``, ``wrong-protocol``,
    ``unknown-host``, ``refused``, ``timeout``, ``other``).
    """

    def __init__(self, text: str, *, cause: str, permanent: bool) -> None:
        super().__init__(text)
        self.cause = cause
        self.permanent = permanent


@dataclass(frozen=True)
class Attempt:
    """What the client tried: for the messages."""

    url: str  # amqps://HOST:PORT
    user: str
    ca_path: str  # the CA file the client trusts (TLS only)
    tls: bool

    @property
    def host_port(self) -> str:
        return self.url.split("://", 1)[-1]


def peer_words(text: str) -> str:
    """proton's text with its ``Condition('name', 'description')`` repr made readable."""
    found = _CONDITION.search(text)
    if found is None:
        return text
    return f"{found['name']}: {found['description']}"


def classify(error: BaseException, attempt: Attempt, *, timeout: float) -> ConnectFailed:
    """The :class:`ConnectFailed` for ``error``, raised while connecting as ``attempt``."""
    text = str(error) or type(error).__name__
    found = _CONDITION.search(text)
    name = found["name"] if found else ""
    description = found["description"] if found else text
    lowered = description.lower()
    start = f"cannot connect to {attempt.url} as {attempt.user}"
    if name == "amqp:unauthorized-access":
        return ConnectFailed(
            f"{start}: the endpoint refused the user name or password "
            "(amqp:unauthorized-access). Check the password of this user in the registry "
            "(`mockkpr pki show DIR --show-passwords`) or the user:password in the URL.",
            cause="unauthorized", permanent=True)
    if "certificate verify failed" in lowered:
        return ConnectFailed(
            f"{start}: the endpoint's TLS certificate is not trusted ({description}). Either "
            f"it was not issued by the CA this client trusts ({attempt.ca_path}): fetch the "
            "endpoint's CA from its control API (GET /api/pki/ca.pem) or use the endpoint's own "
            "registry (--registry); or it was not made for the host name in the URL: connect "
            "to localhost, or add the name to MOCKKPR_TLS_NAMES before the endpoint's first "
            "start.", cause="untrusted-certificate", permanent=True)
    # mockkpr's TLS port closes a connection that does not start with TLS before sending a
    # byte (no SASL in clear): proton then finds no protocol header at all
    if "expected amqp protocol header" in lowered or (
            not attempt.tls and name == "amqp:connection:framing-error"
            and "no protocol header found" in lowered):
        return ConnectFailed(
            f"{start}: {attempt.host_port} did not answer in plain AMQP (it may expect TLS). "
            "Use amqps:// for the TLS port (MOCKKPR_AMQPS_PORT, 5671), or amqp:// with the "
            "plain port (MOCKKPR_AMQP_PORT).", cause="wrong-protocol", permanent=True)
    if attempt.tls and name == "amqp:connection:framing-error" and "ssl" in lowered:
        return ConnectFailed(
            f"{start}: the TLS handshake failed ({description}); {attempt.host_port} may not "
            "speak TLS. Use amqp:// for a plain port (MOCKKPR_AMQP_PORT), or the TLS port "
            "(MOCKKPR_AMQPS_PORT, 5671) with amqps://.", cause="wrong-protocol", permanent=True)
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        host = attempt.host_port.rsplit(":", 1)[0]
        return ConnectFailed(f"{start}: the host name {host} is not known. Check the URL's host.",
                             cause="unknown-host", permanent=True)
    if "connection refused" in lowered:
        return ConnectFailed(
            f"{start}: nothing listens on {attempt.host_port} (connection refused). Start the "
            "endpoint (`mockkpr serve`, or the container) or check the port: --url, "
            "MOCKKPR_AMQPS_PORT.", cause="refused", permanent=False)
    if "timed out" in lowered:
        return ConnectFailed(
            f"{start}: no answer within {timeout:g} s. Check that the host and port are the "
            "endpoint's and that nothing between blocks them.", cause="timeout", permanent=False)
    return ConnectFailed(f"{start}: {peer_words(text)}", cause="other", permanent=False)
