"""The one error hierarchy of mockkpr.

Findings are values (:class:`mockkpr.iplos.findings.Finding`); exceptions mean that processing
cannot go on. Every exception mockkpr raises on purpose derives from :class:`MockKprError`::

    MockKprError
    ├── ConfigError        settings, registry, scenario or option values that cannot be used
    ├── InputError         a file or payload that cannot be read at all (missing, too large, empty)
    ├── PkiError           a certificate or key that cannot be loaded or created
    ├── TransportError     a message the endpoint answers with a transport error (profile §4);
    │                      carries the AMQP error condition, description and data items
    └── EndpointError      a server, listener or client that cannot start or connect

The command line maps ``ConfigError`` and ``InputError`` to exit code 2 with the message alone,
never a traceback.
"""

from __future__ import annotations


class MockKprError(Exception):
    """Base class of every error mockkpr raises on purpose."""


class ConfigError(MockKprError):
    """A setting, option, registry entry or scenario that cannot be used as given."""


class InputError(MockKprError):
    """A file or payload that cannot be read at all (as opposed to one with findings)."""


class PkiError(MockKprError):
    """A certificate, key or CRL that cannot be created, loaded or used."""


class EndpointError(MockKprError):
    """A listener, broker connection or client connection that cannot be established."""


class TransportError(MockKprError):
    """A message that the endpoint answers with a transport error instead of an AppRec.

    ``condition`` is the error condition sent in the ``errorCondition`` application property
    (for example ``transport:invalid-certificate``), ``description`` the ``errorDescription`` and
    ``data`` the items of ``errorConditionData`` (each sent followed by ``;``).
    """

    def __init__(self, condition: str, description: str, data: tuple[str, ...] = ()) -> None:
        super().__init__(f"{condition}: {description}" + (f" ({';'.join(data)};)" if data else ""))
        self.condition = condition
        self.description = description
        self.data = data
