"""The rollups' unique index INCLUDEs the deltas and seconds on PostgreSQL: a history range (a month of an
SA's hours, a year of its days) is an index-only scan instead of one heap page per row (the rows of all
SAs are interleaved by time). The model's constraint is unchanged (same name and key: the upsert's
ON CONFLICT target); SQLite, which has no INCLUDE, keeps the plain index."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "devices_counterrollup"
KEY = "ipsec_sa_id, period, bucket"
COVERED = " INCLUDE (d_encaps, d_decaps, d_errors, seconds)"


def _replace(schema_editor: Any, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT one_rollup_per_bucket")
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT one_rollup_per_bucket UNIQUE ({KEY}){include}")


def cover(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, COVERED)


def uncover(apps: Any, schema_editor: Any) -> None:
    _replace(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0012_tunnel_status_reason_text"),
    ]

    operations = [migrations.RunPython(cover, uncover)]
