"""``mockkpr coverage``: what the traffic in a journal exercised, and what it never did.

Reads a running endpoint's journal through its control API (``--control-url``, the default
from the settings) or a journal database directly (``--database-url``, e.g.
``sqlite:///mockkpr-data/journal.sqlite3``), and prints, per dimension - requirements,
validation rules that fired, message kinds, code values, scenarios, answers - what was
exercised (with counts) and what never was (:mod:`mockkpr.conformance.coverage`). Exit 0, or 2
when the journal cannot be read.
"""

from __future__ import annotations

import json
import sys

import click

from mockkpr.errors import MockKprError


@click.command("coverage")
@click.option("--control-url", help="A running endpoint's control API (default: the settings' "
                                    "control host and port).")
@click.option("--database-url", help="Read this journal database instead (SQLAlchemy URL).")
@click.option("--limit", type=click.IntRange(1), default=1000, show_default=True,
              help="At most this many messages, the newest.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def coverage(control_url: str | None, database_url: str | None, limit: int,
             as_json: bool) -> None:
    """Show what the journal's traffic exercised: requirements, rules, message kinds, code
    values, scenarios and answers - and what it never did."""
    from mockkpr.conformance.coverage import of_entries

    try:
        if database_url is not None:
            from mockkpr.journal.models import MessageFilter
            from mockkpr.journal.store import Journal

            # bounds that prune nothing: reading a journal must not change it
            journal = Journal(database_url, max_messages=sys.maxsize, max_age_days=None)
            try:
                entries = journal.list(MessageFilter(), limit=limit, newest_first=False,
                                       with_payload=True, with_report=True)
            finally:
                journal.close()
            found = of_entries(entries)
        else:
            from mockkpr.cli._endpoint import control_token
            from mockkpr.cli._endpoint import control_url as default_url
            from mockkpr.conformance.drivers import journal_via_api
            from mockkpr.settings import load_settings

            settings = load_settings()
            url = control_url or default_url(settings)
            received = journal_via_api(url, limit, control_token(settings))
            found = of_entries([r.entry for r in received], [dict(r.details) for r in received])
    except MockKprError as exc:
        click.echo(f"mockkpr coverage: cannot read the journal: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps(found.as_json(), indent=2) if as_json else found.text(), nl=as_json)
