"""Statements of every poll written out once instead of compiled by the ORM each time.

A poll sends some fifteen statements. Through the ORM each costs ~0.7 ms of the poller's CPU, ~0.6 of it
building the SQL (the queryset, its WHERE tree, the compiler); sent as text with parameters it costs ~0.1
(measured on the bench machine). So the per-poll writes whose shape never changes go as text built once
per shape (functools.cache), with each value prepared by its model field exactly as the ORM's UPDATE
prepares it (`get_db_prep_save`: JSON, datetimes, per database), and no signal sent (an ORM `update()`
sends none either).

- `update_row`: one row's columns by primary key, optionally adding to counters (`F(name) + n`).
- `touch_last_seen`: a device's present rows in several tables seen now; on PostgreSQL one statement
  (data-modifying WITH clauses, each run once and to completion whether or not the main statement reads
  them), elsewhere (SQLite in development) one UPDATE per table.
- `earlier_polls`, `raw_ids`: the two reads of devices/rawstore.py (PostgreSQL; None elsewhere: the
  caller uses the ORM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


@cache
def _touch_statement(targets: tuple[tuple[str, str], ...]) -> str:
    seen = f"SET {_q('last_seen')} = %s WHERE {_q('device_id')} = %s"
    # Names quoted from the models' own, every value a parameter.
    updates = [f"UPDATE {_q(table)} {seen} AND {_q(flag)}" for table, flag in targets]
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
    sql = _touch_statement(tuple((model._meta.db_table, flag) for model, flag in targets))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, device_id] * len(targets))


def _column(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


@cache
def _update_statement(model: type[Model], names: tuple[str, ...], added: tuple[str, ...]) -> str:
    sets = [f"{_q(_column(model, n))} = %s" for n in names]
    sets += [f"{_q(c)} = {_q(c)} + %s" for c in (_column(model, n) for n in added)]
    table, pk = _q(model._meta.db_table), _q(str(model._meta.pk.column))  # type: ignore[union-attr]
    # Names quoted from the model's own, every value a parameter.
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} = %s"  # noqa: S608


def update_row(
    model: type[Model], pk: Any, values: Mapping[str, Any], add: Mapping[str, int] | None = None
) -> int:
    """`model.objects.filter(pk=pk).update(**values, **{k: F(k) + n for k, n in add})`, as text; returns
    the rows changed. Values are plain values (no expressions)."""
    add = add or {}
    names, added = tuple(values), tuple(add)
    fields: list[Any] = [model._meta.get_field(n) for n in names]
    params = [
        f.get_db_prep_save(values[n], connection=connection) for n, f in zip(names, fields, strict=True)
    ]
    params += [add[n] for n in added]
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(model, names, added), [*params, pk])
        return int(cursor.rowcount)


def earlier_polls(
    device_id: int, started_at: datetime, exclude: int, limit: int
) -> list[tuple[Any, ...]] | None:
    """(id, outputs_complete, status, started_at) of the device's polls started at `started_at` or before,
    but `exclude`, newest first (by start, then id), at most `limit`; None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER, [device_id, started_at, exclude, limit])
        return list(cursor.fetchall())


# PostgreSQL's quoting of the names (the tables and columns of devices/models.py).
_EARLIER = (
    'SELECT "id", "outputs_complete", "status", "started_at" FROM "devices_poll" '
    'WHERE "device_id" = %s AND "started_at" <= %s AND NOT ("id" = %s) '
    'ORDER BY "started_at" DESC, "id" DESC LIMIT %s'
)
_RAW_IDS = 'SELECT "sha256", "id" FROM "devices_rawoutput" WHERE "sha256" = ANY(%s)'


def raw_ids(digests: Iterable[str]) -> dict[str, int] | None:
    """RawOutput id by sha256 of those that exist among `digests`; None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_RAW_IDS, [list(digests)])
        return dict(cursor.fetchall())
