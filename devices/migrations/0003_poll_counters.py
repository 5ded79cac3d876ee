"""Monotonic poll counters on DeviceState for /metrics, started from the polls already stored."""

from typing import Any

from django.db import migrations, models
from django.db.models import Count, Q


def count_stored_polls(apps: Any, schema_editor: Any) -> None:
    """Start each device's counters at the finished polls the database still holds."""
    poll_model = apps.get_model("devices", "Poll")
    state_model = apps.get_model("devices", "DeviceState")
    finished = (
        poll_model.objects.exclude(status="running")
        .values("device_id")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status="failed")))
    )
    for row in finished:
        state_model.objects.filter(device_id=row["device_id"]).update(
            polls_total=row["total"], poll_failures_total=row["failed"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0002_diagnosis_finding"),
    ]

    operations = [
        migrations.AddField(
            model_name="devicestate",
            name="poll_failures_total",
            field=models.BigIntegerField(default=0, help_text="Of those, the polls that failed."),
        ),
        migrations.AddField(
            model_name="devicestate",
            name="polls_total",
            field=models.BigIntegerField(default=0, help_text="Polls of the device finished so far."),
        ),
        migrations.RunPython(count_stored_polls, migrations.RunPython.noop),
    ]
