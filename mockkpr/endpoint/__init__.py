"""The AMQP 1.0 layer: the only part of mockkpr that imports proton."""
