"""One severity scale for alerts and diagnosis findings, ranked one way everywhere."""

from __future__ import annotations

from devices.diagnosis.model import Severity as FindingSeverity
from vpnportal.choices import Severity


def test_it_ranks_info_below_warning_below_critical() -> None:
    assert [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.CRITICAL)] == [0, 1, 2]
    assert Severity.rank_of("critical") > Severity.rank_of("warning") > Severity.rank_of("info")
    assert Severity.rank_of("bogus") < Severity.rank_of("info")


def test_findings_and_alerts_share_the_scale() -> None:
    assert FindingSeverity is Severity
    assert FindingSeverity.CRITICAL == "critical"
