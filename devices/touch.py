"""Move the last-seen time of a device's rows in several tables with one statement.

A poll whose outputs are unchanged (devices/rawstore.py:Stored.unchanged) writes nothing to the rows those
outputs set but their last-seen time. Each of those UPDATEs through the ORM costs a query compiled and a
round trip; on PostgreSQL they go as one statement (data-modifying WITH clauses, each run once and to
completion whether or not the main statement reads them), its text built once per set of tables. Other
databases (SQLite in development) run them one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _statement(targets: tuple[tuple[str, str], ...]) -> str:
    quote = connection.ops.quote_name
    seen = f"SET {quote('last_seen')} = %s WHERE {quote('device_id')} = %s"
    # Names quoted from the models' own, every value a parameter.
    updates = [f"UPDATE {quote(table)} {seen} AND {quote(flag)}" for table, flag in targets]
    heads = [f"t{i} AS ({sql})" for i, sql in enumerate(updates[:-1])]
    return (f"WITH {', '.join(heads)} " if heads else "") + updates[-1]


def touch_last_seen(device_id: int, now: datetime, targets: Sequence[tuple[type[Model], str]]) -> None:
    """`UPDATE model SET last_seen = now WHERE device_id = device_id AND flag` for each (model, flag)."""
    if not targets:
        return
    if connection.vendor != "postgresql":
        for model, flag in targets:
            model._default_manager.filter(device_id=device_id, **{flag: True}).update(last_seen=now)
        return
    sql = _statement(tuple((model._meta.db_table, flag) for model, flag in targets))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, device_id] * len(targets))
