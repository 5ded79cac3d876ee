"""A device's session stays open between polls (devices/session_pool.py): one login for many polls, and a
fresh one whenever the kept session is dead, stale or no longer matches the device row."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from devices import session_pool
from devices.choices import PollStatus
from devices.commands import poll_commands
from devices.models import Device, Poll
from devices.poll import poll_device
from simulator import SimulatorHandle
from tests.polling.conftest import sent_commands

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

IOS = "1720-1"


def logins(sim: SimulatorHandle, name: str) -> int:
    """How many SSH logins the simulated device accepted."""
    return sum(1 for line in sim.received_lines(name) if " auth: user=" in line and line.endswith("accepted"))


def poll(device: Device) -> Poll:
    result = poll_device(device.pk)
    assert result is not None
    return result


def commands_of(device: Device) -> list[str]:
    device.refresh_from_db()
    return [c.text for c in poll_commands(device.platform, device.pki_form)]


def shows(sim: SimulatorHandle, name: str) -> list[str]:
    return [line for line in sent_commands(sim, name) if line.startswith("show")]


def assert_complete(p: Poll, sim: SimulatorHandle, device: Device, before: int) -> None:
    """The poll ended ok and the device answered every command of the set once more."""
    assert (p.status, p.reason) == (PollStatus.OK, ""), (p.reason, p.timings)
    sent = shows(sim, device.name)[before:]
    assert sorted(set(commands_of(device))) == sorted(set(sent)), sent


def test_the_second_poll_reuses_the_first_polls_session(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    first = poll(seed[IOS])
    assert first.status == PollStatus.OK and "reuse" not in first.timings
    before = len(shows(sim, IOS))
    second = poll(seed[IOS])
    assert_complete(second, sim, seed[IOS], before)
    assert second.timings["reuse"] < 1 and not {"connect", "reconnect"} & set(second.timings)
    assert logins(sim, IOS) == 1
    assert session_pool.POOL.kept() == [seed[IOS].pk]


def test_it_drains_what_the_device_printed_while_idle(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    # A log line printed after the last prompt of a poll waits in the kept session's channel.
    sim.set_fault(IOS, "log_after_prompt")
    poll(seed[IOS])
    before = len(shows(sim, IOS))
    second = poll(seed[IOS])
    assert_complete(second, sim, seed[IOS], before)
    assert second.timings["reuse"] < 1
    assert not second.warnings


@pytest.mark.parametrize("how", ["exec_timeout", "reboot", "drop_sessions"])
def test_a_session_the_device_ended_while_idle_is_replaced_and_the_poll_ends_ok(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None, how: str
) -> None:
    if how == "exec_timeout":
        sim.set_fault(IOS, "exec_timeout", seconds=1.5)  # the poll itself never waits that long
    poll(seed[IOS])
    if how == "exec_timeout":
        time.sleep(2.5)
        sim.clear_fault(IOS, "exec_timeout")
    elif how == "reboot":
        sim.reboot(IOS)
        time.sleep(0.3)
    else:
        # The device answers nothing on the kept session: the first command finds it dead.
        sim.set_fault(IOS, "drop_sessions")
    before = len(shows(sim, IOS))
    second = poll(seed[IOS])
    assert_complete(second, sim, seed[IOS], before)
    assert second.timings["reconnect"] > 0
    assert logins(sim, IOS) == 2
    assert session_pool.POOL.kept() == [seed[IOS].pk]  # the fresh session is kept in its place


def test_a_changed_host_key_opens_a_new_session(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    poll(seed[IOS])
    # An administrator clears the pin (the device was replaced): the next poll pins again on a new session.
    Device.objects.filter(pk=seed[IOS].pk).update(host_key="", host_key_pinned_at=None)
    second = poll(seed[IOS])
    assert second.status == PollStatus.OK and "reuse" not in second.timings
    assert logins(sim, IOS) == 2


def test_rotated_credentials_open_a_new_session(
    sim: SimulatorHandle, seed: dict[str, Device], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = sim.device(IOS).password
    monkeypatch.setenv("VPNP_REUSE_PASSWORD", password)
    Device.objects.filter(pk=seed[IOS].pk).update(password="", password_ref="env:VPNP_REUSE_PASSWORD")
    poll(seed[IOS])
    assert poll(seed[IOS]).timings["reuse"] < 1
    # Rotated on the device and in the environment: the kept session was opened with the old one.
    sim.device(IOS).password = password + "-rotated"
    monkeypatch.setenv("VPNP_REUSE_PASSWORD", password + "-rotated")
    third = poll(seed[IOS])
    assert third.status == PollStatus.OK and "reuse" not in third.timings
    assert logins(sim, IOS) == 2
    # Revoked (the reference now names another secret): no poll goes on through the old session.
    monkeypatch.setenv("VPNP_REUSE_PASSWORD", "revoked")
    fourth = poll(seed[IOS])
    assert (fourth.status, fourth.reason) == (PollStatus.FAILED, "authentication failed")
    assert session_pool.POOL.kept() == []


def test_an_idle_session_closes_after_the_reuse_seconds(
    sim: SimulatorHandle, seed: dict[str, Device], settings: Any
) -> None:
    settings.SSH_SESSION_REUSE_SECONDS = 1
    poll(seed[IOS])
    assert session_pool.POOL.kept() == [seed[IOS].pk]
    deadline = time.monotonic() + 5
    while session_pool.POOL.kept() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_pool.POOL.kept() == []  # closed by the reaper, with nobody polling
    assert "reuse" not in poll(seed[IOS]).timings
    assert logins(sim, IOS) == 2


def test_zero_switches_reuse_off(sim: SimulatorHandle, seed: dict[str, Device], settings: Any) -> None:
    settings.SSH_SESSION_REUSE_SECONDS = 0
    poll(seed[IOS])
    assert session_pool.POOL.kept() == []
    poll(seed[IOS])
    assert logins(sim, IOS) == 2


def test_at_most_the_max_are_kept_the_least_recently_used_closing(
    sim: SimulatorHandle, seed: dict[str, Device], settings: Any
) -> None:
    settings.SSH_SESSION_REUSE_MAX = 1
    poll(seed[IOS])
    poll(seed["pix520-1"])
    assert session_pool.POOL.kept() == [seed["pix520-1"].pk]
    assert "reuse" not in poll(seed[IOS]).timings
    assert logins(sim, IOS) == 2
    assert session_pool.POOL.kept() == [seed[IOS].pk]


def test_two_polls_of_one_device_at_once_do_not_share_a_session(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    poll(seed[IOS])  # one kept session: only one of the two runs below may have it
    sim.set_fault(IOS, "slow", seconds=0.5)  # both are on the device at the same time
    results: list[str] = []

    def run() -> None:
        from django.db import connection

        try:
            device = Device.objects.get(pk=seed[IOS].pk)
            results.append(session_pool.run_commands(device, _show_version, {}))
        finally:
            connection.close()

    before = len(sim.received_lines(IOS))
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and all("IOS" in r.splitlines()[1] for r in results), results
    # Each asked on its own session: a shared channel would have mixed the two outputs.
    asked = [line.split()[1] for line in sim.received_lines(IOS)[before:] if line.endswith(": show version")]
    assert len(asked) == 2 and len(set(asked)) == 2, asked
    assert logins(sim, IOS) == 2
    assert session_pool.POOL.kept() == [seed[IOS].pk]  # one kept of the two, the other closed


def _show_version(session: Any) -> str:
    output, error = session.run("show version")
    assert not error
    return str(output).strip()


def test_a_timed_out_commands_session_is_not_kept(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    sim.set_fault(IOS, "slow", seconds=4)
    failed = poll(seed[IOS])
    assert failed.status == PollStatus.FAILED and "timeout" in failed.reason
    assert session_pool.POOL.kept() == []
    sim.clear_fault(IOS, "slow")
    assert "reuse" not in poll(seed[IOS]).timings


@pytest.mark.parametrize("signal", ["worker_process_shutdown", "worker_shutdown"])
def test_worker_shutdown_logs_out_and_nothing_reveals_a_secret(
    sim: SimulatorHandle, seed: dict[str, Device], caplog: pytest.LogCaptureFixture, signal: str
) -> None:
    from celery import signals

    caplog.set_level(logging.DEBUG)
    secrets = ["Pw%Wq7!kept", "En%Wq7!kept"]  # `%` is no base64 character: no ciphertext contains them
    sim.device(IOS).password, sim.device(IOS).enable = secrets
    device = Device.objects.get(pk=seed[IOS].pk)
    device.password, device.secret = secrets
    device.save()
    assert poll(device).status == PollStatus.OK
    kept = session_pool.POOL._idle[seed[IOS].pk]
    shown = " ".join(
        [repr(session_pool.POOL), repr(kept), repr(session_pool.Lease(kept.session, kept.signature))]
    )
    shown += " ".join(str(v) for v in kept.session.__dict__.values())
    assert not [s for s in secrets if s in shown or s in caplog.text]
    assert len(sim.device(IOS).sessions) == 1  # the kept session holds one of the device's lines
    getattr(signals, signal).send(sender=None)
    assert session_pool.POOL.kept() == []
    deadline = time.monotonic() + 5
    while sim.device(IOS).sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sim.device(IOS).sessions  # the line is free again
