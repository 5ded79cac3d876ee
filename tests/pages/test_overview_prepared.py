"""The alert cycle triages the overview's alerts once it has saved its changes: no reader pays for it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.pages.seed import Seed
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.dashboard import prepare_overview_alerts

pytestmark = pytest.mark.django_db


def _alert_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return [q["sql"] for q in queries if 'FROM "vpnportal_alert"' in q["sql"]]


def test_the_overview_after_an_alert_cycle_reads_the_cycle_s_triage(seed: Seed, viewer: User) -> None:
    run_alert_cycle()  # opens and fires the seed's alerts
    client = Client()
    client.force_login(viewer)
    assert _alert_queries(client) == []
    assert f'data-alert-id="{seed.alert.pk}"' in client.get("/").content.decode()


def test_it_triages_once_per_alerts_version(seed: Seed, viewer: User) -> None:
    assert prepare_overview_alerts() is True
    assert prepare_overview_alerts() is False  # already there: a reader's or an earlier cycle's
    seed.alert.summary = "another change"
    seed.alert.save()
    assert prepare_overview_alerts() is True
    client = Client()
    client.force_login(viewer)
    assert _alert_queries(client) == []
