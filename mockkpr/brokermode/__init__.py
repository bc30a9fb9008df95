"""Broker mode: mockkpr as a consumer on a real RabbitMQ instead of its embedded broker.

``mockkpr serve --broker amqps://USER:PASS@HOST:5671/EXCHANGE`` attaches to KPR's queue on the
broker, runs every delivery through the same :class:`~mockkpr.service.pipeline.Receiver` and
journal as the embedded mode, and publishes the answers to the senders' queues on the broker.
Several processes may consume from one queue (competing consumers) when they share one journal
database (PostgreSQL through ``MOCKKPR_DATABASE_URL``).

How the parts fit (docs/broker-mode.md has the full story)::

    RabbitMQ ──delivery──▶ endpoint.consumer.BrokerConsumer (proton, reactor thread)
                               │ worker thread
                               ▼
                           processing.BrokerProcessor ── coordination.Coordinator (claims)
                               │ Receiver.process → Journal: entry + answers + queued rows
                               ▼
                           outbox.Outbox ──ready answers──▶ BrokerConsumer publishes,
                               ▲                           removes each row once accepted
                               └── orphaned rows of dead processes (maintenance thread)

- **Outbox**: the journal's ``queued`` table, which holds the embedded broker's queues, is the
  outbox in broker mode: an answer is recorded with its entry in one transaction, published
  after the inbound delivery is accepted, and its row deleted when RabbitMQ accepts it. After a
  crash or a lost connection unconfirmed rows are published again: answers are delivered at
  least once, and a repeat carries the same message-id.
- **Claims**: a row per (sender, message-id) with a unique key makes "already answered?" and
  "I am processing it" one race-free step across processes; a process that stops heartbeating
  loses its claims and its unsent answers to the others after ``MOCKKPR_BROKER_LEASE_S``.

Nothing here imports proton except :mod:`mockkpr.endpoint.consumer`.
"""
