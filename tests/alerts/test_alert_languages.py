"""Alert emails in the recipient's language: a Japanese contact reads Japanese, an English one the
English digest as before; the channel payloads stay English for the programs that read them."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone, translation

from devices.models import Contact
from tests.alerts.factories import make_cert, make_device
from tests.alerts.smtp import free_port, smtp_server, use_smtp
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.event_notes import note_text
from vpnportal.alerting.notify import build_notifications, render_digest
from vpnportal.alerting.payloads import alert_record
from vpnportal.models import Alert, AlertEvent, Notification


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_japanese_contact_gets_the_digest_in_japanese_and_an_english_one_as_before(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Asia/Tokyo"
    port = free_port()
    use_smtp(settings, port)
    Contact.objects.create(email="tokyo@example.net", language="ja")
    Contact.objects.create(email="NOC@example.com", language="en")  # the address matches whatever its case
    now = timezone.now()
    make_cert(
        make_device(alert_emails="tokyo@example.net"), now + timedelta(days=29, hours=1), serial="3B2FD652"
    )
    with smtp_server(port) as sink:
        run_alert_cycle(now + timedelta(minutes=1))
        by_to = {str(m["To"]): m for m in sink.messages}
        texts = {to: sink.text(m).replace("\r\n", "\n") for to, m in by_to.items()}
        htmls = {to: _html(m) for to, m in by_to.items()}
    assert set(by_to) == {"noc@example.com", "tokyo@example.net"}

    # The subject as it was written (the header as received decodes to the same words).
    ja_subject, ja_text, ja_html = (
        Notification.objects.get(recipient="tokyo@example.net").subject,
        texts["tokyo@example.net"],
        htmls["tokyo@example.net"],
    )
    assert ja_subject.startswith("[vpnportal] 発生中 1 件: 1720-1: ID 証明書 3B2FD652")
    assert "".join(str(by_to["tokyo@example.net"]["Subject"]).split()) == "".join(ja_subject.split())
    assert "(1720-1.cisco.com) はあと 29 日で期限切れになります" in ja_subject
    assert "発生中 (1)" in ja_text and "[警告]" in ja_text
    assert "証明書の期限切れが近い、" in ja_text and "年" in ja_text and "JST から" in ja_text
    assert "時刻は Asia/Tokyo (UTC+09:00) で表示しています。" in ja_text
    assert "FIRING" not in ja_text and "expires in" not in ja_text
    assert '<html lang="ja">' in ja_html and "(1720-1.cisco.com) はあと 29 日で期限切れになります" in ja_html

    en_subject, en_text, en_html = (
        Notification.objects.get(recipient="noc@example.com").subject,
        texts["noc@example.com"],
        htmls["noc@example.com"],
    )
    assert en_subject.startswith(
        "[vpnportal] 1 firing: 1720-1: identity certificate 3B2FD652 (1720-1.cisco.com) expires in 29 days"
    )
    assert (
        "\nFIRING (1)\n" in en_text and "[WARNING]" in en_text and "Certificate expiring, since " in en_text
    )
    assert not _has_japanese(en_subject + en_text + en_html)
    assert '<html lang="en">' in en_html
    # The English digest is the one render_digest gives in English (what every other email test reads).
    events = list(AlertEvent.objects.filter(notify=True).select_related("alert"))
    with translation.override("ja"):  # whatever the worker's language, English is English
        subject, text, html = render_digest(
            events, Notification.objects.get(recipient="noc@example.com").created_at, "en"
        )
    assert (subject, text, html) == (en_subject, en_text, en_html)
    # The summary column stays English; the stored text is kept beside it.
    alert = Alert.objects.get()
    assert alert.summary.startswith(
        "1720-1: identity certificate 3B2FD652 (1720-1.cisco.com) expires in 29 days"
    )
    assert alert.details["summary_text"]["msgid"].startswith("%(device)s: %(certificate)s expires in")


@pytest.mark.django_db
def test_an_address_without_a_contact_reads_language_code(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "ja"
    Contact.objects.create(email="noc@example.com", language="en")
    now = timezone.now()
    make_cert(
        make_device(alert_emails="branch@example.net"), now + timedelta(days=29, hours=1), serial="AA01"
    )
    evaluate_rules(now)
    build_notifications(now)
    branch = Notification.objects.get(recipient="branch@example.net")
    noc = Notification.objects.get(recipient="noc@example.com")
    assert "発生中 1 件" in branch.subject and "ID 証明書 AA01" in branch.body_text
    assert noc.subject.startswith(
        "[vpnportal] 1 firing: 1720-1: identity certificate AA01 (1720-1.cisco.com) expires in 29 days"
    )


@pytest.mark.django_db
def test_channel_payloads_stay_english_whatever_the_language() -> None:
    now = timezone.now()
    make_cert(make_device(), now + timedelta(days=29, hours=1), serial="AA02")
    evaluate_rules(now)
    alert = Alert.objects.get()
    with translation.override("ja"):
        record = alert_record(alert, "fired", now, "https://vpn.example.net")
        assert alert.display_summary.startswith("1720-1: ID 証明書 AA02 (1720-1.cisco.com) はあと 29 日で")
    assert record["kind_label"] == "Certificate expiring"
    assert record["summary"].startswith(
        "1720-1: identity certificate AA02 (1720-1.cisco.com) expires in 29 days"
    )


def test_event_notes_read_in_japanese_and_stay_as_written_in_english() -> None:
    notes = {
        "worse: severity warning -> critical, within 7 days": "悪化: 重大度 警告 -> 重大、7 日以内",
        "still firing since 2026-12-03 09:00 UTC": "2026-12-03 09:00 UTC から発生継続中",
        "acknowledged by alice: change 42": "alice が確認: change 42",
        "condition seen": "条件を検知",
        "something a later version wrote": "something a later version wrote",
    }
    for note, japanese in notes.items():
        with translation.override("ja"):
            assert note_text(note) == japanese
        with translation.override("en"):
            assert note_text(note) == note
