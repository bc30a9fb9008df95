"""The reference sender (``mockkpr send``) as a Python client: :class:`KprClient`."""

from mockkpr.client.connection import DeliveryFailed, RetryPolicy
from mockkpr.client.sender import Answer, KprClient, SentMessage, Target, Wire, connected

__all__ = ["Answer", "DeliveryFailed", "KprClient", "RetryPolicy", "SentMessage", "Target",
           "Wire", "connected"]
