"""The range the tunnel charts open on, and the structured configuration facts (pure functions)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from devices.chart_range import choose_range
from vpnportal.templatetags.facts import render_facts


def test_it_opens_on_the_widest_range_the_data_fills() -> None:
    now = timezone.now()
    # An hour of samples, a week of hourly rollups: the week.
    assert choose_range({"raw": now - timedelta(hours=1), "hour": now - timedelta(days=7)}, now) == "week"
    # A young history of 20 minutes: the hour, not a sliver at the edge of a day.
    assert choose_range({"raw": now - timedelta(minutes=20)}, now) == "hour"
    # Three days of samples: the day (the week reads rollups, of which there are none).
    assert choose_range({"raw": now - timedelta(days=3)}, now) == "day"
    assert choose_range({}, now) == "day"


def test_it_renders_facts_as_escaped_tables() -> None:
    html = render_facts(
        {
            "hostname": "<r1>",
            "crl_optional": False,
            "trustpoints": [{"name": "vpn", "url": None}],
            "acl": ["a", "b"],
        }
    )
    assert "&lt;r1&gt;" in html and "<r1>" not in html
    assert "<th>name</th><th>url</th>" in html and "<td>vpn</td>" in html
    assert "a, b" in html and '<span class="muted">no</span>' in html


def test_it_judges_a_range_by_the_store_the_history_api_reads_for_it() -> None:
    from datetime import UTC, datetime

    from devices.chart_range import RANGES, choose_range, named_range, store_for

    # On a step of the week's chart the API's week starts exactly a week ago: within raw retention (7 days),
    # so it reads raw samples, and a week of them fills it (one rule for both, not a second one by span).
    step = int(RANGES["week"].total_seconds()) // 500
    now = datetime.fromtimestamp(step * 1_400_000, tz=UTC)
    assert store_for(named_range(now, RANGES["week"])[0], now) == "raw"
    assert choose_range({"raw": now - timedelta(days=7)}, now) == "week"
