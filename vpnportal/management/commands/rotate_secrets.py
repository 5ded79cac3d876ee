"""`manage.py rotate_secrets`: re-encrypt every stored secret with the newest VPNPORTAL_FERNET_KEYS key."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext

from vpnportal import crypto
from vpnportal.fields import EncryptedTextField


def encrypted_columns() -> list[tuple[str, str, str]]:
    """(table, primary key column, secret column) of every encrypted field of every installed model."""
    return [
        (model._meta.db_table, model._meta.pk.column, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_all() -> tuple[int, list[str]]:
    """Rotate every non-empty ciphertext in one transaction; returns (rotated, rows no key decrypts)."""
    rotated, unreadable = 0, []
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table, pk, column in encrypted_columns():
            # The raw ciphertext: the model field would hand back the decrypted value.
            # Locked where the database can, so no row changes between the read and the write.
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            cursor.execute(
                f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)} "  # noqa: S608 - names from the models
                f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> ''{lock}"
            )
            for row_pk, token in cursor.fetchall():
                try:
                    new = crypto.rotate(token)
                except Exception:
                    unreadable.append(f"{table}.{column} id {row_pk}")
                    continue
                cursor.execute(
                    f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk)} = %s",  # noqa: S608
                    [new, row_pk],
                )
                rotated += 1
        if unreadable:
            # All or nothing: a half-rotated database is still readable, but the operator must see why.
            transaction.set_rollback(True)
    return rotated, unreadable


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (device and credential set passwords and enable secrets, queued "
        "challenge passwords) "
        "with the first key of VPNPORTAL_FERNET_KEYS, so older keys can be removed afterwards."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, unreadable = rotate_all()
        if unreadable:
            raise CommandError(
                gettext("nothing changed: no key of VPNPORTAL_FERNET_KEYS decrypts %(columns)s")
                % {"columns": ", ".join(unreadable)}
            )
        columns = len(encrypted_columns())
        self.stdout.write(
            gettext("re-encrypted %(rotated)s secrets in %(columns)s columns with the newest key")
            % {"rotated": rotated, "columns": columns}
        )
