"""Fill AlertEvent.kind for the events written before it existed, from their notes and states.

Until then the kind of an event was the start of its note ("worse: ...", "still firing ...",
"acknowledged by ...", "resolved: superseded") or followed from its states. The first rule that
matches wins, so the order below matters: an acknowledgement keeps its state, a reminder or a
worsening goes from firing to firing.
"""

from django.db import migrations
from django.db.models import Q

# (kind, which events) in the order they are tried; each only touches events still without a kind.
RULES = (
    ("acknowledged", Q(note__startswith="acknowledged by")),
    ("worse", Q(note__startswith="worse")),
    ("reminder", Q(note__startswith="still firing")),
    ("superseded", Q(new_state="resolved", note="resolved: superseded")),
    ("resolved", Q(new_state="resolved")),
    ("unknown", Q(new_state="unknown")),
    ("back", Q(old_state="unknown")),
    ("fired", Q(new_state="firing")),
    ("opened", Q()),
)


def fill_kinds(apps, schema_editor):
    AlertEvent = apps.get_model("vpnportal", "AlertEvent")
    for kind, where in RULES:
        AlertEvent.objects.filter(where, kind="").update(kind=kind)


class Migration(migrations.Migration):

    dependencies = [
        ('vpnportal', '0003_alertevent_kind'),
    ]

    operations = [
        migrations.RunPython(fill_kinds, migrations.RunPython.noop),
    ]
