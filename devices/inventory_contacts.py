"""The inventory's `contacts:` list: the language each address reads its alert emails in.

```yaml
contacts:
  - {email: noc-tokyo@example.net, language: ja}
  - {email: noc@example.net, language: en}
```
An address gets alerts through `ALERT_EMAIL_TO`, a device's `alert_emails` or an email channel's `to`;
its contact only says in which language (a code of settings.LANGUAGES; an address without a contact, or
a contact without `language`, reads LANGUAGE_CODE). Upserted by address into `devices.Contact`.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from devices.contacts import language_codes
from devices.credentials import ImportedRow, save_imported
from devices.inventory_result import ImportResult, change
from devices.inventory_yaml import (
    InventoryError,
    already_defined,
    line_of,
    mapping,
    scalar,
    sequence,
    show,
    unknown_key,
)
from devices.models import Contact
from vpnportal.audit import audit
from vpnportal.audit_values import snapshot
from vpnportal.choices import AuditAction

CONTACT_KEYS = ("email", "language")
CONTACT_FIELDS = ("email", "language")


@dataclass
class ContactEntry:
    """One validated contact of the file."""

    email: str
    language: str
    line: int

    @property
    def name(self) -> str:
        """What a duplicate is recognised by (check_unique_names): the address, whatever its case."""
        return self.email.lower()


def _text(node: yaml.Node, where: str) -> str:
    try:
        value = scalar(node, where)
    except ValueError as exc:
        raise InventoryError(f"line {line_of(node)}: {exc}") from None
    if not isinstance(value, str) or not value.strip():
        problem = gettext("expected a text (got %(value)s)") % {"value": show(value)}
        raise InventoryError(f"line {line_of(node)}: {where}: {problem}")
    return value.strip()


def parse_contact(node: yaml.Node, index: int) -> ContactEntry:
    """One `contacts:` item: `email` (required) and `language` (a code of LANGUAGES, default LANGUAGE_CODE)."""
    where = f"contacts[{index}]"
    items = mapping(node, where)
    for key, _value, line in items:
        if key not in CONTACT_KEYS:
            raise InventoryError(unknown_key(line, where, key, CONTACT_KEYS))
    values = {key: value for key, value, _line in items}
    if "email" not in values:
        raise InventoryError(f"line {line_of(node)}: {where}: " + gettext("email is required"))
    email = _text(values["email"], f"{where}.email")
    try:
        validate_email(email)
    except ValidationError:
        problem = gettext("%(address)s is not an email address") % {"address": repr(email)}
        raise InventoryError(f"line {line_of(values['email'])}: {where}: email: {problem}") from None
    language = ""
    if "language" in values:
        language = _text(values["language"], f"{where}.language")
        if language not in language_codes():
            problem = gettext("must be one of %(allowed)s (got %(value)s)") % {
                "allowed": ", ".join(language_codes()),
                "value": repr(language),
            }
            raise InventoryError(f"line {line_of(values['language'])}: {where}: language: {problem}")
    return ContactEntry(email=email, language=language, line=line_of(node))


def parse_contacts(node: yaml.Node) -> list[ContactEntry]:
    """The `contacts:` list; an address may appear once."""
    entries = [parse_contact(item, i) for i, item in enumerate(sequence(node, "contacts"))]
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.name in seen:
            raise InventoryError(already_defined(entry.line, "contact", entry.email, seen[entry.name]))
        seen[entry.name] = entry.line
    return entries


def apply_contacts(entries: list[ContactEntry], result: ImportResult) -> set[int]:
    """Upsert the file's contacts by address (inside the import's transaction); returns their ids."""
    kept: set[int] = set()
    unchanged: list[str] = []
    for entry in entries:
        contact = Contact.objects.select_for_update().filter(email__iexact=entry.email).first()
        created = contact is None
        if contact is None:
            contact = Contact(email=entry.email)
        before = snapshot(contact, CONTACT_FIELDS)
        changed: list[str] = []
        details: list[str] = []
        for attr in CONTACT_FIELDS:
            if getattr(contact, attr) != getattr(entry, attr):
                details.append(change(attr, getattr(contact, attr), getattr(entry, attr)))
                setattr(contact, attr, getattr(entry, attr))
                changed.append(attr)
        row = ImportedRow("contact", entry.email, created, changed, before, details)
        # Contacts are not counted in the summary line: the details say what changed.
        save_imported(contact, row, CONTACT_FIELDS, result, ([], [], unchanged))
        kept.add(contact.pk)
    return kept


def prune_contacts(kept: set[int], result: ImportResult) -> None:
    """Delete the contacts the file no longer names (their addresses then read LANGUAGE_CODE)."""
    for contact in Contact.objects.exclude(pk__in=kept):
        audit(
            "import_inventory",
            obj=contact,
            action=AuditAction.DELETE,
            before=snapshot(contact, CONTACT_FIELDS),
        )
        result.note("-", "contact", contact.email)
        contact.delete()
