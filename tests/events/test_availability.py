"""Availability from status changes: time up over time known (pure function)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.availability import availability

NOW = datetime(2026, 3, 2, tzinfo=UTC)
H = timedelta(hours=1)


def test_it_counts_up_time_over_known_time() -> None:
    changes = [(NOW - 30 * H, "up"), (NOW - 12 * H, "down"), (NOW - 6 * H, "up")]
    assert availability(changes, NOW - 24 * H, NOW) == 0.75


def test_it_leaves_unknown_time_out_and_counts_degraded_as_not_up() -> None:
    changes = [(NOW - 24 * H, "unknown"), (NOW - 8 * H, "up"), (NOW - 4 * H, "degraded"), (NOW - 2 * H, "up")]
    assert availability(changes, NOW - 24 * H, NOW) == 0.75


def test_it_knows_nothing_before_the_first_change() -> None:
    assert availability([], NOW - 24 * H, NOW) is None
    assert availability([(NOW - H, "unknown")], NOW - 24 * H, NOW) is None
    assert availability([(NOW - H, "up")], NOW - 24 * H, NOW) == 1.0
