"""The KPR receiver's behaviour, independent of AMQP: what to answer to an inbound message.

The AMQP layer (:mod:`mockkpr.endpoint`) turns wire messages into :class:`InboundMessage`
values, calls :func:`mockkpr.service.pipeline.process` and sends the resulting
:class:`OutboundMessage` values; nothing here imports proton.
"""
