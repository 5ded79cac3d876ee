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
- `ipsec_rows`: a device's IpsecSa rows (devices/state.py), through a raw queryset.
- `insert_rows`: bulk_create as text; `newest_samples`: the newest counter sample per SA.
- `earlier_polls`, `raw_ids`: the two reads of devices/rawstore.py (PostgreSQL; None elsewhere: the
  caller uses the ORM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import BinaryField, Model

from devices.models import IpsecSa


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
def _update_statement(
    model: type[Model], names: tuple[str, ...], added: tuple[str, ...], where: tuple[str, ...]
) -> str:
    sets = [f"{_q(_column(model, n))} = %s" for n in names]
    sets += [f"{_q(c)} = {_q(c)} + %s" for c in (_column(model, n) for n in added)]
    table, pk = _q(model._meta.db_table), _q(str(model._meta.pk.column))  # type: ignore[union-attr]
    conditions = "".join(f" AND {_q(_column(model, n))} = %s" for n in where)
    # Names quoted from the model's own, every value a parameter.
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} = %s{conditions}"  # noqa: S608


def update_row(
    model: type[Model],
    pk: Any,
    values: Mapping[str, Any],
    add: Mapping[str, int] | None = None,
    where: Mapping[str, Any] | None = None,
) -> int:
    """`model.objects.filter(pk=pk, **where).update(**values, **{k: F(k) + n for k, n in add})`, as text;
    returns the rows changed. Values are plain values (no expressions), `where` plain equalities (no
    None: SQL's `= NULL` is never true)."""
    add, where = add or {}, where or {}
    names, added, conditions = tuple(values), tuple(add), tuple(where)
    params = [_prepared(model, n, values[n]) for n in names]
    params += [add[n] for n in added]
    params += [pk, *(_prepared(model, n, where[n]) for n in conditions)]
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(model, names, added, conditions), params)
        return int(cursor.rowcount)


def _prepared(model: type[Model], name: str, value: Any) -> Any:
    field: Any = model._meta.get_field(name)
    return field.get_db_prep_save(value, connection=connection)


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


@cache
def _insert_statement(model: type[Model], rows: int) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_q(f.column) for f in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    table, pk = _q(model._meta.db_table), _q(str(model._meta.pk.column))  # type: ignore[union-attr]
    # Names quoted from the model's own, every value a parameter.
    return f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {pk}", fields  # noqa: S608


def insert_rows(model: type[Model], objs: list[Any]) -> list[Any]:
    """`model.objects.bulk_create(objs)` as text on PostgreSQL (each value prepared by its field as
    bulk_create prepares it, the new ids set on the objects, no signal); the ORM's elsewhere, or when a
    field needs a placeholder of its own."""
    if not objs:
        return objs
    sql, fields = _insert_statement(model, len(objs))
    # A binary column's placeholder is %s on PostgreSQL; another field with a placeholder of its own (none
    # of the models written here has one) goes through the ORM.
    if connection.vendor != "postgresql" or any(
        hasattr(f, "get_placeholder") and not isinstance(f, BinaryField) for f in fields
    ):
        return list(model._default_manager.bulk_create(objs))
    params = [
        f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for obj in objs for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


class Sample(NamedTuple):
    """What a counter sample's successor reads of it (devices/history.py:record_samples)."""

    ipsec_sa_id: int
    at: datetime
    inbound_spi: int | None
    outbound_spi: int | None
    pkts_encaps: int
    pkts_decaps: int
    send_errors: int
    recv_errors: int
    other_errors: int


_NEWEST = (
    'SELECT DISTINCT ON ("ipsec_sa_id") "ipsec_sa_id", "at", "inbound_spi", "outbound_spi", "pkts_encaps", '
    '"pkts_decaps", "send_errors", "recv_errors", "other_errors" FROM "devices_countersample" '
    'WHERE "ipsec_sa_id" = ANY(%s) ORDER BY "ipsec_sa_id", "at" DESC, "id" DESC'
)


def newest_samples(ids: list[int]) -> dict[int, Sample] | None:
    """The newest CounterSample of each IpsecSa id, as CounterSampleQuerySet.newest_by_sa picks it (by
    `at`, then id); None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_NEWEST, [ids])
        return {row[0]: Sample(*row) for row in cursor.fetchall()}


def ipsec_rows(device_id: int) -> list[Any]:
    """`IpsecSa.objects.filter(device_id=device_id)` through a raw query: the same model instances (each
    field read back by its converters), without compiling the queryset."""
    return list(IpsecSa.objects.raw('SELECT * FROM "devices_ipsecsa" WHERE "device_id" = %s', [device_id]))


# -- the claim's reads: a device with its state, a dispatched Poll row with both ------------------------


@cache
def _model_columns(
    model: type[Model], alias: str
) -> tuple[str, tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """`alias.col, ...` of the model's concrete fields, their attnames, and each field's converters from the
    database value (what the ORM's compiler applies: the backend's, then the field's)."""
    fields = model._meta.concrete_fields
    cols = ", ".join(f"{_q(alias)}.{_q(f.column)}" for f in fields)
    converters = tuple(
        tuple(
            connection.ops.get_db_converters(f.get_col(alias))
            + f.get_col(alias).get_db_converters(connection)
        )
        for f in fields
    )
    return cols, tuple(f.attname for f in fields), converters


def _instance(model: type[Model], alias: str, row: Sequence[Any], at: int) -> tuple[Any, int]:
    """The model instance from row[at:] (as the ORM builds it: converted values, Model.from_db) and where
    the next model's columns begin."""
    _, names, converters = _model_columns(model, alias)
    values = list(row[at : at + len(names)])
    for i, (convs, field) in enumerate(zip(converters, model._meta.concrete_fields, strict=True)):
        for converter in convs:
            values[i] = converter(values[i], field.get_col(alias), connection)
    return model.from_db(connection.alias, list(names), values), at + len(names)


def _with_state(device: Any, row: Sequence[Any], at: int) -> None:
    """Cache the device's DeviceState (or its absence) as select_related("state") does."""
    from devices.models import Device, DeviceState

    rel: Any = Device._meta.get_field("state")
    if row[at] is None:  # no state row: device.state raises DoesNotExist, as after select_related
        rel.set_cached_value(device, None)
        return
    state, _ = _instance(DeviceState, "s", row, at)
    rel.set_cached_value(device, state)
    DeviceState._meta.get_field("device").set_cached_value(state, device)  # type: ignore[union-attr]


@cache
def _device_select() -> str:
    from devices.models import Device, DeviceState

    d, _, _ = _model_columns(Device, "d")
    s, _, _ = _model_columns(DeviceState, "s")
    # Names quoted from the models' own, every value a parameter.
    return (
        f"SELECT {d}, {s} FROM {_q(Device._meta.db_table)} {_q('d')} "  # noqa: S608
        f"LEFT JOIN {_q(DeviceState._meta.db_table)} {_q('s')} ON {_q('s')}.{_q('device_id')} = {_q('d')}.{_q('id')}"
    )


def device_with_state(device_id: int) -> Any:
    """`Device.objects.select_related("state").get(pk=device_id)` as text on PostgreSQL (the same instances,
    the state cached on the device and the device on the state); the ORM's elsewhere."""
    from devices.models import Device

    if connection.vendor != "postgresql":
        return Device.objects.select_related("state").get(pk=device_id)
    with connection.cursor() as cursor:
        cursor.execute(f"{_device_select()} WHERE {_q('d')}.{_q('id')} = %s", [device_id])
        row = cursor.fetchone()
    if row is None:
        raise Device.DoesNotExist("Device matching query does not exist.")
    device, at = _instance(Device, "d", row, 0)
    _with_state(device, row, at)
    return device


@cache
def _own_poll_select() -> str:
    from devices.models import Device, DeviceState, Poll

    p, _, _ = _model_columns(Poll, "p")
    d, _, _ = _model_columns(Device, "d")
    s, _, _ = _model_columns(DeviceState, "s")
    pd, sd = f"{_q('p')}.{_q('device_id')}", f"{_q('s')}.{_q('device_id')}"
    # Names quoted from the models' own, every value a parameter.
    return (
        f"SELECT {p}, {d}, {s} FROM {_q(Poll._meta.db_table)} {_q('p')} "  # noqa: S608
        f"INNER JOIN {_q(Device._meta.db_table)} {_q('d')} ON {pd} = {_q('d')}.{_q('id')} "
        f"LEFT JOIN {_q(DeviceState._meta.db_table)} {_q('s')} ON {sd} = {_q('d')}.{_q('id')} "
        f"WHERE {pd} = %s AND {_q('p')}.{_q('slot')} = %s AND {_q('p')}.{_q('task_id')} = %s "
        f"AND {_q('p')}.{_q('status')} = %s ORDER BY {_q('p')}.{_q('id')} ASC LIMIT 1"
    )


def own_poll(device_id: int, slot: datetime, task_id: str, status: str) -> Any:
    """`Poll.objects.select_related("device", "device__state").filter(device_id=, slot=, task_id=,
    status=).first()` as text on PostgreSQL (the same instances and caches); the ORM's elsewhere."""
    from devices.models import Device, Poll

    if connection.vendor != "postgresql":
        return (
            Poll.objects.select_related("device", "device__state")
            .filter(device_id=device_id, slot=slot, task_id=task_id, status=status)
            .first()
        )
    with connection.cursor() as cursor:
        cursor.execute(_own_poll_select(), [device_id, _prepared(Poll, "slot", slot), task_id, status])
        row = cursor.fetchone()
    if row is None:
        return None
    poll, at = _instance(Poll, "p", row, 0)
    device, at = _instance(Device, "d", row, at)
    Poll._meta.get_field("device").set_cached_value(poll, device)  # type: ignore[union-attr]
    _with_state(device, row, at)
    return poll
