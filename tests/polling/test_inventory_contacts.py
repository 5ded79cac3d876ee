"""The inventory's `contacts:`: the language of each address's alert emails, validated against LANGUAGES,
upserted by address, exported and imported back unchanged."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from devices.inventory import InventoryError, import_inventory
from devices.inventory_export import export_inventory
from devices.models import Contact
from vpnportal.models import AuditEntry

pytestmark = pytest.mark.django_db

INVENTORY = """\
contacts:
  - {email: noc-tokyo@example.net, language: ja}
  - {email: noc@example.net, language: en}
  - email: ops@example.net
devices:
  - {name: r1, host: 192.0.2.1, platform: cisco_ios, username: u, password: p, alert_emails: [noc-tokyo@example.net]}
"""


def test_it_imports_each_contacts_language_and_audits_it(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"
    result = import_inventory(INVENTORY)
    assert dict(Contact.objects.values_list("email", "language")) == {
        "noc-tokyo@example.net": "ja",
        "noc@example.net": "en",
        "ops@example.net": "",
    }
    assert "+ contact noc-tokyo@example.net" in result.details
    assert AuditEntry.objects.filter(verb="import_inventory", object_repr="noc-tokyo@example.net").exists()
    # An address without a contact, or a contact without a language, reads LANGUAGE_CODE.
    assert Contact.languages_of(["NOC-Tokyo@example.net", "ops@example.net", "someone@example.net"]) == {
        "NOC-Tokyo@example.net": "ja",
        "ops@example.net": "en",
        "someone@example.net": "en",
    }
    # A second import changes nothing; a changed language is one change.
    assert not [line for line in import_inventory(INVENTORY).details if "contact" in line]
    changed = import_inventory(
        INVENTORY.replace("noc@example.net, language: en", "noc@example.net, language: ja")
    )
    assert "~ contact noc@example.net: language en -> ja" in changed.details


def test_it_refuses_a_language_vpnportal_does_not_speak_naming_the_line() -> None:
    text = "contacts:\n  - {email: a@example.net, language: ja}\n  - {email: b@example.net, language: fr}\ndevices: []\n"
    with pytest.raises(InventoryError) as exc:
        import_inventory(text)
    assert str(exc.value) == "line 3: contacts[1]: language: must be one of en, ja (got 'fr')"
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "{email: not-an-address, language: ja}",
            "line 2: contacts[0]: email: 'not-an-address' is not an email address",
        ),
        ("{language: ja}", "line 2: contacts[0]: email is required"),
        (
            "{email: a@example.net, lang: ja}",
            "line 2: contacts[0]: unknown key 'lang' (allowed: email, language)",
        ),
    ],
)
def test_it_refuses_a_bad_contact(item: str, message: str) -> None:
    with pytest.raises(InventoryError) as exc:
        import_inventory(f"contacts:\n  - {item}\ndevices: []\n")
    assert str(exc.value) == message


def test_it_refuses_an_address_twice() -> None:
    text = "contacts:\n  - {email: a@example.net}\n  - {email: A@example.net, language: ja}\ndevices: []\n"
    with pytest.raises(
        InventoryError, match=re.escape("line 3: contact 'A@example.net' already defined at line 2")
    ):
        import_inventory(text)


def test_the_model_refuses_a_language_vpnportal_does_not_speak() -> None:
    with pytest.raises(ValidationError, match="'fr' is not a language of vpnportal"):
        Contact(email="a@example.net", language="fr").full_clean()


def test_export_writes_the_contacts_and_importing_it_back_changes_nothing() -> None:
    import_inventory(INVENTORY)
    exported = export_inventory()
    assert "contacts:\n- email: noc-tokyo@example.net\n  language: ja\n" in exported
    again = import_inventory(exported, prune=True)
    assert not [line for line in again.details if "contact" in line]
    assert Contact.objects.count() == 3


def test_prune_deletes_the_contacts_the_file_no_longer_names() -> None:
    import_inventory(INVENTORY)
    result = import_inventory(INVENTORY.replace("  - email: ops@example.net\n", ""), prune=True)
    assert "- contact ops@example.net" in result.details
    assert not Contact.objects.filter(email="ops@example.net").exists()
