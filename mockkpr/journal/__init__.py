"""The journal: every inbound message, its findings and every answer sent, durably recorded.

Also the durable store behind the embedded endpoint's queues and split-message reassembly.
SQLite in ``MOCKKPR_DATA_DIR`` by default; any SQLAlchemy URL (PostgreSQL) through
``MOCKKPR_DATABASE_URL``.
"""
