"""Found by the soak: a claimed slot must end in a finished Poll row even when Redis or a worker loses it.

The soak restarts Redis (no persistence: queued poll messages are gone) and SIGKILLs a whole worker
(its running poll never finishes and its unacked message is not redelivered for half an hour). Before
the fix both left claims with no Poll row, or a Poll row `running` for ever.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from devices.choices import PollStatus
from devices.models import Device, Poll
from devices.poll import claim
from devices.tasks import dispatch_due_polls, poll_device


def make_device(name: str = "r1") -> Device:
    return Device.objects.create(name=name, host="127.0.0.1", platform="cisco_ios", username="u")


def age(poll: Poll, seconds: float) -> None:
    Poll.objects.filter(pk=poll.pk).update(started_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_it_records_the_claim_as_a_poll_row_before_the_message_leaves(
    django_capture_on_commit_callbacks: Any,
) -> None:
    device = make_device()
    slot = device.next_poll_at
    with (
        mock.patch.object(poll_device, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_due_polls() == 1
    poll = Poll.objects.get(device=device, slot=slot)
    assert poll.status == PollStatus.RUNNING
    assert send.call_args.kwargs["task_id"] == poll.task_id
    # The task that carries this id takes the row over instead of finding the slot taken.
    taken, _ = claim(device.pk, slot, task_id=poll.task_id)
    assert taken is not None and taken.pk == poll.pk


@pytest.mark.django_db
def test_it_finishes_a_claim_whose_message_was_lost() -> None:
    device = make_device()
    with mock.patch.object(poll_device, "apply_async"):  # Redis restarted: the message is gone
        dispatch_due_polls()
    poll = Poll.objects.get(device=device)
    age(poll, settings.POLL_LEASE_SECONDS + 1)
    with mock.patch.object(poll_device, "apply_async"):
        dispatch_due_polls()
    poll.refresh_from_db()
    assert poll.status == PollStatus.FAILED
    assert poll.finished_at is not None
    assert "no worker finished it" in poll.reason


@pytest.mark.django_db
def test_it_finishes_a_poll_whose_worker_was_killed() -> None:
    device = make_device()
    poll, _ = claim(device.pk, device.next_poll_at, task_id="killed-with-its-worker")
    assert poll is not None
    age(poll, settings.POLL_LEASE_SECONDS + 1)
    with mock.patch.object(poll_device, "apply_async"):
        dispatch_due_polls()
    poll.refresh_from_db()
    assert poll.status == PollStatus.FAILED and poll.reason


@pytest.mark.django_db
def test_it_leaves_a_poll_within_its_lease_alone() -> None:
    device = make_device()
    poll, _ = claim(device.pk, device.next_poll_at, task_id="still-working")
    assert poll is not None
    age(poll, settings.POLL_LEASE_SECONDS - 30)
    with mock.patch.object(poll_device, "apply_async"):
        dispatch_due_polls()
    poll.refresh_from_db()
    assert poll.status == PollStatus.RUNNING
