"""Outputs unchanged since polls that applied them are neither parsed again (the process's parse cache) nor
applied again (devices/rawstore.py:Stored.unchanged): what changes on the device is still recorded by the
next poll, the rows are those a full apply writes, and what moves every poll still moves."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from devices import session_pool
from devices.choices import PollStatus
from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Poll
from devices.outputs import PARSES, ParseCache, _parse_safely
from devices.parsers.registry import parse
from devices.poll import poll_device
from pki.models import Certificate, Crl, Trustpoint
from simulator import SimulatorHandle
from vpnportal import page_cache

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ROUTER = "1720-1"
MOVING = {"id", "first_seen", "last_seen", "updated_at", "last_poll", "last_ok_poll", "polls_total"}
MOVING_STATE = frozenset({"device_clock", "clock_read_at", "clock_skew_seconds", "engine"})


def _poll(name: str = ROUTER) -> Poll:
    poll = poll_device(Device.objects.get(name=name).pk)
    assert poll is not None
    poll.refresh_from_db()
    return poll


def _rows(model: Any, name: str, skip: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    rows = model.objects.filter(device__name=name).order_by("pk")
    return [
        {k: v for k, v in model_to_dict(r).items() if k not in MOVING | skip} | {"pk": r.pk} for r in rows
    ]


def _snapshot(name: str = ROUTER) -> dict[str, Any]:
    """Every row the state writes from the outputs, without what moves each poll."""
    return {
        "trustpoints": _rows(Trustpoint, name),
        "certificates": _rows(Certificate, name),
        "crls": _rows(Crl, name),
        "ike": _rows(IkeSa, name),
        "ipsec": [(r["pk"], r["interface"], r["inbound_spi"], r["active"]) for r in _rows(IpsecSa, name)],
        "state": _rows(DeviceState, name, MOVING_STATE),
    }


def _last_seen(name: str = ROUTER) -> dict[str, list[Any]]:
    return {
        m.__name__: list(
            m.objects.filter(device__name=name, present=True).values_list("last_seen", flat=True)
        )
        for m in (Trustpoint, Certificate, Crl)
    }


def _steady() -> Poll:
    """Three polls: the first learns the router's pki form (the second runs other commands and stores
    all), the third compares with the second (ok) and finds the pki outputs unchanged."""
    for _ in range(3):
        poll = _poll()
        assert poll.status == PollStatus.OK, poll.reason
    return poll


def _read_certificates(queries: CaptureQueriesContext) -> bool:
    return any(
        q["sql"].startswith("SELECT") and 'FROM "pki_certificate"' in q["sql"]
        for q in queries.captured_queries
    )


def test_a_steady_poll_moves_last_seen_counters_and_samples_without_applying_the_pki_outputs(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    _poll()
    _poll()
    before = _snapshot()
    seen = _last_seen()
    samples = CounterSample.objects.filter(ipsec_sa__device__name=ROUTER).count()
    state = DeviceState.objects.get(device__name=ROUTER)
    with CaptureQueriesContext(connection) as queries:
        poll = _poll()
    assert not _read_certificates(queries)  # applied as unchanged: only last_seen moves
    assert _snapshot() == before
    after = _last_seen()
    assert all(after[m] and min(after[m]) > max(seen[m]) for m in after), (seen, after)
    assert CounterSample.objects.filter(ipsec_sa__device__name=ROUTER).count() > samples
    assert IkeSa.objects.filter(device__name=ROUTER, active=True, last_seen__gte=poll.started_at).exists()
    assert IpsecSa.objects.filter(device__name=ROUTER, active=True, last_seen__gte=poll.started_at).exists()
    now = DeviceState.objects.get(device__name=ROUTER)
    assert now.clock_read_at is not None and state.clock_read_at is not None
    assert now.last_poll_id == now.last_ok_poll_id == poll.pk
    assert now.polls_total == state.polls_total + 1
    assert now.clock_read_at > state.clock_read_at


def test_a_certificate_renewed_on_the_device_is_recorded_by_the_next_poll(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    _steady()
    identity = sim.device(ROUTER).identity()
    assert identity is not None
    old = f"{identity.serial:X}"
    identity.serial += 0x10
    assert identity.not_after is not None
    identity.not_after += timedelta(days=365)
    identity.der = None
    assert _poll().status == PollStatus.OK
    renewed = Certificate.objects.get(device__name=ROUTER, serial=f"{identity.serial:X}")
    assert renewed.present and renewed.valid_to is not None
    assert not Certificate.objects.get(device__name=ROUTER, serial=old).present


def test_a_crl_update_is_recorded_by_the_next_poll(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    _steady()
    crl = sim.device(ROUTER).crl
    assert crl is not None
    before = Crl.objects.get(device__name=ROUTER, present=True).next_update
    assert before is not None
    crl.next_update += timedelta(days=2)
    assert _poll().status == PollStatus.OK
    assert Crl.objects.get(device__name=ROUTER, present=True).next_update == before + timedelta(days=2)


def test_a_configuration_change_is_recorded_by_the_next_poll(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    _steady()
    assert DeviceState.objects.get(device__name=ROUTER).isakmp_identity == "hostname"
    sim.device(ROUTER).isakmp_identity = "address"
    assert _poll().status == PollStatus.OK
    state = DeviceState.objects.get(device__name=ROUTER)
    assert state.isakmp_identity == "address"
    assert state.config_facts["isakmp_identity"] == "address"


def test_after_a_poll_that_was_not_ok_everything_is_applied_and_gives_the_same_rows(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    last = _steady()
    skipped = _snapshot()
    # A new process: nothing parsed yet. The previous poll partial: its outputs may not all be applied.
    PARSES.clear()
    Poll.objects.filter(pk=last.pk).update(status=PollStatus.PARTIAL)
    with CaptureQueriesContext(connection) as queries:
        assert _poll().status == PollStatus.OK
    assert _read_certificates(queries)  # applied in full
    assert _snapshot() == skipped


def test_the_stale_flag_clears_and_the_next_poll_after_a_failure_applies_in_full(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    _steady()
    session_pool.close_all()  # a kept session would go on answering: the refusal is of new logins
    sim.set_fault(ROUTER, "refuse")
    assert _poll().status == PollStatus.FAILED
    assert DeviceState.objects.get(device__name=ROUTER).stale
    sim.clear_fault(ROUTER)
    identity = sim.device(ROUTER).identity()
    assert identity is not None
    identity.serial += 0x20
    identity.der = None
    with CaptureQueriesContext(connection) as queries:
        assert _poll().status == PollStatus.OK
    assert _read_certificates(queries)
    assert not DeviceState.objects.get(device__name=ROUTER).stale
    assert Certificate.objects.filter(
        device__name=ROUTER, serial=f"{identity.serial:X}", present=True
    ).exists()


def _polls_total_line() -> int:
    with override_settings(METRICS_TOKEN="scrape-me"):
        text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    found = re.search(r'vpnportal_polls_total\{device="1720-1"\} (\d+)', text)
    assert found
    return int(found.group(1))


def test_a_poll_invalidates_its_device_s_cached_metrics_though_it_saves_no_row(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    _steady()
    device = Device.objects.get(name=ROUTER)
    assert _polls_total_line() == 3
    versions = page_cache.device_versions([device.pk])
    _poll()
    assert page_cache.device_versions([device.pk]) != versions
    assert _polls_total_line() == 4


def test_the_parse_cache_hands_out_fresh_objects_and_keeps_within_its_bound() -> None:
    cache = ParseCache(limit=2000)
    key = ("cisco_ios", "show clock", None, b"digest")
    cache.put(key, {"warnings": ["w"]})
    first = cache.get(key)
    assert first is not None
    first["warnings"].append("changed by a caller")
    assert cache.get(key) == {"warnings": ["w"]}
    for i in range(100):
        cache.put(("cisco_ios", "show clock", None, bytes([i])), {"clock": "x" * 100})
    assert 0 < len(cache) < 100 and cache.size <= 2000
    assert cache.get(("cisco_ios", "show clock", None, bytes([99]))) is not None  # the newest stay
    assert cache.get(key) is None  # the least recently used went first


def test_a_new_process_applies_each_device_s_first_poll_in_full(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    """Rows written by another version (before a deploy with new parsers, or edited by a data migration)
    are not trusted by a restarted worker: its first poll of each device applies every output again."""
    from devices import poll as poll_module

    _steady()
    Certificate.objects.filter(device__name=ROUTER, present=True).update(
        subject="written by an older version"
    )
    _poll()
    assert Certificate.objects.filter(device__name=ROUTER, subject="written by an older version").exists()
    poll_module.APPLIED_HERE.clear()  # what a restarted process starts with
    assert _poll().status == PollStatus.OK
    assert not Certificate.objects.filter(device__name=ROUTER, subject="written by an older version").exists()


def test_a_steady_poll_bumps_only_its_device_s_page_version(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    """The overview's and the certificate list's cached parts stay warm through a poll that changes nothing
    they show; the device's own pages (its version) are rendered afresh."""
    _steady()
    device = Device.objects.get(name=ROUTER)
    scopes = page_cache.versions(page_cache.SCOPES)
    before = page_cache.device_versions([device.pk])
    _poll()
    assert page_cache.versions(page_cache.SCOPES) == scopes
    assert page_cache.device_versions([device.pk]) != before


def test_the_parse_cache_keeps_an_output_only_when_it_comes_back() -> None:
    """An output new at every poll (counters, the clock) is parsed and not kept: kept, such parses filled
    a 1,000-device worker's whole bound with entries never read again, in its RSS for good."""
    PARSES.clear()
    clock = "*10:15:30.123 UTC Fri Dec 4 2026\n"
    for second in range(10, 20):
        result, crash = _parse_safely("cisco_ios", "show clock", clock.replace(":30.", f":{second}."), None)
        assert result and not crash
    assert len(PARSES) == 0
    _parse_safely("cisco_ios", "show clock", clock, None)
    assert len(PARSES) == 0
    _parse_safely("cisco_ios", "show clock", clock, None)
    assert len(PARSES) == 1  # the second sighting of the same text is kept
    assert _parse_safely("cisco_ios", "show clock", clock, None)[0] == parse("cisco_ios", "show clock", clock)


def test_the_parse_cache_remembers_first_sightings_within_two_generations() -> None:
    cache = ParseCache(seen_per_generation=4)
    keys = [("cisco_ios", "show clock", None, bytes([i])) for i in range(12)]
    assert not any(cache.admit(k) for k in keys[:6])
    assert cache.admit(keys[5]) and cache.admit(keys[4])  # still in one of the two generations
    assert not any(cache.admit(k) for k in keys[6:])
    assert not cache.admit(keys[0])  # forgotten: two generations of newer first sightings came since
