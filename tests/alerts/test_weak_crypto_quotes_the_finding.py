"""The weak-crypto alert quotes its finding's title in the reader's language."""

from django.utils import translation

from devices.models import Finding
from vpnportal.alerting.tunnel_rules import _finding_text
from vpnportal.translated_text import deferred, english, render


def test_the_alert_quotes_the_deferred_title_and_english_is_unchanged() -> None:
    title = deferred("Filters")  # in the Japanese catalogue
    row = Finding(
        code="weak_cipher", subject="x", severity="warning", title="Filters", texts={"title": title}
    )
    stored = _finding_text("r1", row)
    assert english(stored) == "r1: Filters"
    with translation.override("ja"):
        assert render(stored, "") == "r1: フィルター"


def test_a_finding_without_a_deferred_title_is_quoted_in_english() -> None:
    row = Finding(code="weak_cipher", subject="x", severity="warning", title="DES is enabled", texts={})
    with translation.override("ja"):
        assert render(_finding_text("r1", row), "") == "r1: DES is enabled"
