"""The models and their migrations agree."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_it_has_no_missing_migrations() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# (old state, new state, note) of events as the code wrote them before events had a kind -> their kind.
OLD_EVENTS = [
    ("", "pending", "condition seen", "opened"),
    ("pending", "firing", "fired", "fired"),
    ("firing", "firing", "worse: within 7 days", "worse"),
    ("firing", "firing", "worse: severity warning -> critical", "worse"),
    ("firing", "firing", "still firing since 2026-11-01 08:00 UTC", "reminder"),
    (
        "firing",
        "firing",
        "still firing (not announced before: it fired during a maintenance window)",
        "reminder",
    ),
    ("firing", "unknown", "device unreachable", "unknown"),
    ("pending", "unknown", "device unreachable", "unknown"),
    ("unknown", "firing", "device answers again", "back"),
    ("unknown", "pending", "device answers again", "back"),
    ("firing", "resolved", "resolved", "resolved"),
    ("pending", "resolved", "resolved: device disabled", "resolved"),
    ("firing", "resolved", "resolved: superseded", "superseded"),
    ("firing", "firing", "acknowledged by otto-operator: renewal booked", "acknowledged"),
    ("unknown", "unknown", "acknowledged by system", "acknowledged"),
]


@pytest.mark.django_db(transaction=True)
def test_it_gives_existing_events_their_kind_from_their_notes_and_states() -> None:
    before = [("vpnportal", "0002_alert_observed")]
    after = [("vpnportal", "0004_alertevent_kind_from_note")]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        Alert = old_apps.get_model("vpnportal", "Alert")
        AlertEvent = old_apps.get_model("vpnportal", "AlertEvent")
        alert = Alert.objects.create(
            kind="cert_expiring", key="cert_expiring:1720-1:3B2FD652", state="firing"
        )
        ids = [
            AlertEvent.objects.create(alert=alert, old_state=old, new_state=new, note=note).pk
            for old, new, note, _kind in OLD_EVENTS
        ]
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new_apps = executor.loader.project_state(after).apps
        kinds = dict(new_apps.get_model("vpnportal", "AlertEvent").objects.values_list("pk", "kind"))
        assert [kinds[pk] for pk in ids] == [kind for *_event, kind in OLD_EVENTS]
    finally:
        # Back to the newest migrations of every app, as the rest of the run expects.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
