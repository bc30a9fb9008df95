"""The reference sender (``mockkpr send``) as a Python client: :class:`KprClient`."""

from mockkpr.client.sender import (
    Answer,
    DeliveryRefused,
    KprClient,
    SentMessage,
    Target,
    Wire,
    connected,
)

__all__ = ["Answer", "DeliveryRefused", "KprClient", "SentMessage", "Target", "Wire",
           "connected"]
