"""Stored texts render in the reader's language, and fall back to English when they cannot."""

from django.test import Client
from django.utils import translation

from vpnportal.translated_text import deferred, deferred_plural, english, render


def test_a_deferred_text_renders_its_parameters_in_english() -> None:
    stored = deferred("Certificate %(serial)s of %(device)s", serial="1A", device="r1")
    assert english(stored) == "Certificate 1A of r1"
    with translation.override("en"):
        assert render(stored, "fallback") == "Certificate 1A of r1"


def test_the_plural_form_follows_the_count() -> None:
    assert english(deferred_plural("in %(n)d day", "in %(n)d days", 1)) == "in 1 day"
    assert english(deferred_plural("in %(n)d day", "in %(n)d days", 6)) == "in 6 days"


def test_parameters_are_kept_as_json_can_keep_them() -> None:
    import datetime as dt

    stored = deferred("at %(when)s", when=dt.date(2026, 12, 3))
    assert stored["params"] == {"when": "2026-12-03"}


def test_an_unknown_stored_form_renders_the_fallback() -> None:
    assert render(None, "kept") == "kept"
    assert render({"msgid": 3}, "kept") == "kept"
    assert render({"msgid": "%(missing)s", "params": {"other": 1}}, "kept") == "kept"
    assert render({"msgid": "x", "params": "not a dict"}, "kept") == "kept"


def test_a_translation_is_used_when_the_catalogue_has_one() -> None:
    # "Filters" is in the Japanese catalogue (Django REST framework's page uses it).
    with translation.override("ja"):
        assert render(deferred("Filters"), "") == "フィルター"


def test_the_scripts_catalogue_is_public_and_carries_only_translations(client: Client) -> None:
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"django.catalog" in response.content


def test_a_stored_text_may_quote_another_one() -> None:
    inner = deferred("Filters")
    outer = deferred("%(device)s: %(title)s", device="r1", title=inner)
    assert english(outer) == "r1: Filters"
    with translation.override("ja"):
        assert render(outer, "") == "r1: フィルター"
