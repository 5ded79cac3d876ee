"""devices/plainsql.py: the per-poll statements written out read and write what the ORM's do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Poll, RawOutput
from devices.plainsql import earlier_polls, insert_rows, newest_samples, raw_ids, touch_last_seen, update_row
from pki.models import Certificate, Crl, Trustpoint

pytestmark = pytest.mark.django_db


def test_only_the_devices_present_rows_move_and_in_one_statement() -> None:
    then = timezone.now() - timedelta(hours=1)
    ours, other = (
        Device.objects.create(name=n, host="127.0.0.1", platform="cisco_ios", username="u")
        for n in ("a", "b")
    )
    for device in (ours, other):
        Trustpoint.objects.create(device=device, name="tp", last_seen=then)
        Trustpoint.objects.create(device=device, name="gone", last_seen=then, present=False)
        Certificate.objects.create(device=device, key="1", role="ca", status="available", last_seen=then)
        Crl.objects.create(device=device, issuer="cn=ca", last_seen=then)
        IkeSa.objects.create(device=device, last_seen=then)
    now = timezone.now()
    targets = [(Trustpoint, "present"), (Certificate, "present"), (Crl, "present")]
    with CaptureQueriesContext(connection) as queries:
        touch_last_seen(ours.pk, now, targets)
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    for model in (Trustpoint, Certificate, Crl):
        assert set(model.objects.filter(device=ours, present=True).values_list("last_seen", flat=True)) == {
            now
        }
        assert set(model.objects.filter(device=other).values_list("last_seen", flat=True)) == {then}
    assert Trustpoint.objects.get(device=ours, name="gone").last_seen == then
    assert IkeSa.objects.get(device=ours).last_seen == then
    touch_last_seen(ours.pk, now, [(IkeSa, "active")])
    assert IkeSa.objects.get(device=ours).last_seen == now
    assert IkeSa.objects.get(device=other).last_seen == then


def test_update_row_writes_what_the_orms_update_writes() -> None:
    device = Device.objects.create(name="a", host="127.0.0.1", platform="cisco_ios", username="u")
    poll = Poll.objects.create(device=device, slot=timezone.now())
    state = DeviceState.objects.create(device=device, polls_total=4)
    at = timezone.now()
    values = {
        "status": "ok",
        "reason": "it's fine; \\ 'quoted' %s",
        "finished_at": at,
        "duration_ms": 12,
        "timings": {"connect": 0.5, "nested": [1, "x"]},
        "warnings": ["show clock: odd"],
        "outputs_complete": False,
    }
    assert update_row(Poll, poll.pk, values) == 1
    row = Poll.objects.get(pk=poll.pk)
    assert {k: getattr(row, k) for k in values} == values
    facts = {"hostname": "r1", "list": [1, 2], "none": None}
    update_row(
        DeviceState,
        state.pk,
        {"config_facts": facts, "last_poll_id": poll.pk, "stale": False},
        {"polls_total": 1},
    )
    state.refresh_from_db()
    assert (state.config_facts, state.last_poll_id, state.stale, state.polls_total) == (
        facts,
        poll.pk,
        False,
        5,
    )
    assert update_row(Poll, poll.pk + 1000, {"status": "failed"}) == 0


def test_the_reads_of_rawstore_return_what_the_orm_returns() -> None:
    device = Device.objects.create(name="a", host="127.0.0.1", platform="cisco_ios", username="u")
    start = timezone.now() - timedelta(hours=2)
    polls = [
        Poll.objects.create(
            device=device, slot=start + timedelta(minutes=k), started_at=start + timedelta(minutes=k % 3)
        )
        for k in range(6)
    ]
    last = polls[-1]
    orm = list(
        Poll.objects.filter(device_id=device.pk, started_at__lte=last.started_at)
        .exclude(pk=last.pk)
        .order_by("-started_at", "-id")
        .values_list("pk", "outputs_complete", "status", "started_at")[:4]
    )
    got = earlier_polls(device.pk, last.started_at, last.pk, 4)
    assert got == (orm if connection.vendor == "postgresql" else None)
    raw = RawOutput.objects.create(sha256="a" * 64, size=1, content=b"x")
    ids = raw_ids({"a" * 64, "b" * 64})
    assert ids == ({"a" * 64: raw.pk} if connection.vendor == "postgresql" else None)


def test_insert_rows_and_newest_samples_match_the_orm() -> None:
    device = Device.objects.create(name="a", host="127.0.0.1", platform="cisco_ios", username="u")
    sa = IpsecSa.objects.create(device=device, interface="Ethernet0")
    other = IpsecSa.objects.create(device=device, interface="Ethernet1")
    at = timezone.now() - timedelta(minutes=10)
    rows = [
        CounterSample(ipsec_sa=sa, at=at + timedelta(minutes=k), pkts_encaps=k, inbound_spi=k or None)
        for k in range(3)
    ] + [CounterSample(ipsec_sa=other, at=at, pkts_decaps=7)]
    created = insert_rows(CounterSample, rows)
    assert all(r.pk for r in created) and len({r.pk for r in created}) == 4
    assert [CounterSample.objects.get(pk=r.pk).pkts_encaps for r in created] == [0, 1, 2, 0]
    orm = CounterSample.objects.newest_by_sa([sa.pk, other.pk])
    got = newest_samples([sa.pk, other.pk])
    if connection.vendor == "postgresql":
        assert got is not None and got.keys() == orm.keys()
        for pk, row in orm.items():
            assert got[pk].at == row.at and got[pk].pkts_encaps == row.pkts_encaps
            assert (got[pk].inbound_spi, got[pk].pkts_decaps) == (row.inbound_spi, row.pkts_decaps)
    # A unique constraint still raises Django's IntegrityError: a duplicated claim is a no-op.
    poll = insert_rows(Poll, [Poll(device=device, slot=at)])[0]
    assert Poll.objects.get(pk=poll.pk).slot == at
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Poll, [Poll(device=device, slot=at)])


def _fields(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if k != "_state"}


def test_the_claims_reads_build_what_the_orms_select_related_builds() -> None:
    from devices.plainsql import device_with_state, own_poll

    with_state, without = (
        Device.objects.create(name=n, host="127.0.0.1", platform="cisco_ios", username="u")
        for n in ("a", "b")
    )
    DeviceState.objects.create(device=with_state, stale=True, config_facts={"pfs": ["group2"]})
    slot = timezone.now().replace(microsecond=0)
    poll = Poll.objects.create(device=with_state, slot=slot, task_id="t-1", timings={"connect": 0.1})
    Poll.objects.create(device=without, slot=slot, task_id="t-2")
    for device in (with_state, without):
        orm = Device.objects.select_related("state").get(pk=device.pk)
        with CaptureQueriesContext(connection) as queries:
            ours = device_with_state(device.pk)
            state = getattr(ours, "state", None)
        assert len(queries.captured_queries) == 1  # the state came with the device
        assert _fields(ours) == _fields(orm) and ours._state.adding is False and ours._state.db == "default"
        if device is without:
            assert state is None
            with pytest.raises(DeviceState.DoesNotExist):
                ours.state  # noqa: B018
        else:
            assert state is not None and _fields(state) == _fields(orm.state)
            assert state.device is ours
    with pytest.raises(Device.DoesNotExist):
        device_with_state(with_state.pk + without.pk)
    # t-2 is the other device's row: not this device's.
    for task_id, expected in (("t-1", poll), ("t-2", None), ("other", None)):
        device_id = with_state.pk
        orm_row = (
            Poll.objects.select_related("device", "device__state")
            .filter(device_id=device_id, slot=slot, task_id=task_id, status="running")
            .first()
        )
        with CaptureQueriesContext(connection) as queries:
            row = own_poll(device_id, slot, task_id, "running")
            if row is not None:
                _ = row.device.state
        assert len(queries.captured_queries) == 1
        if expected is None:
            assert row is None and orm_row is None
            continue
        assert row is not None and orm_row is not None and row.pk == expected.pk
        assert _fields(row) == _fields(orm_row) and row.timings == {"connect": 0.1}
        assert _fields(row.device) == _fields(orm_row.device)
        assert _fields(row.device.state) == _fields(orm_row.device.state)
