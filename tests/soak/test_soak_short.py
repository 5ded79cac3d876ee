"""The soak, short: 40 simulated devices for 1.5 minutes under every fault and disruption, all checks 0.

Runs `python -m bench.soak` in a child process (its own database, a private redis-server, two
workers, beat, gunicorn, SMTP, the simulator) and asserts that it exits 0. The soak prints every
check; on failure the output is in the assertion message and the logs under var/soak/<db>/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.services import ROOT

# Setup ~30 s, run 90 s, drain ~30-60 s on a loaded 2-core machine; the soak's own drain deadlines
# bound the rest. Generous, so that a slow machine fails only on a real check.
TIMEOUT_S = 540


@pytest.mark.integration
@pytest.mark.timeout(TIMEOUT_S + 60)
def test_it_survives_a_short_soak() -> None:
    db = "soak_" + os.environ.get("VPNPORTAL_TEST_DB", "test_vpnportal")
    args = [sys.executable, "-m", "bench.soak", "--minutes", "1.5", "--devices", "40", "--db", db]
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the soak tears its stack down on SIGTERM
        out, _ = proc.communicate(timeout=90)
        pytest.fail("soak did not finish in time:\n" + out.decode(errors="replace")[-6000:])
    text = out.decode(errors="replace")
    report = text[text.rfind("\nsoak: ") :] if "\nsoak: " in text else text[-6000:]
    assert proc.returncode == 0, report
    for check in (
        "polls lost",
        "duplicate polls stored",
        "notifications lost",
        "notifications sent twice",
        "false tunnel_down alerts",
        "failures without a reason",
    ):
        assert f"PASS  {check}" in report, report
