"""What a worker imports at start: the task modules and what they need, not the web's URLconf.

Celery's Django fixup ran Django's system checks at each worker start and ignored their findings; the URL
checks imported every view, DRF and drf_spectacular (18 MB of RSS a worker holds for good)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What the fixup does when a worker starts (on_import_modules: django.setup(), the checks), then the
# task modules Celery's autodiscovery imports.
WORKER_START = """
import json, sys
from vpnportal.celery import app
app.loader.import_default_modules()
import devices.tasks, events.tasks, pki.tasks, vpnportal.tasks
print(json.dumps(sorted(sys.modules)))
"""


def _modules_at_start(**env: str) -> set[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CELERY_SKIP_CHECKS"}
    environ.update(DJANGO_SETTINGS_MODULE="vpnportal.settings", **env)
    done = subprocess.run(
        [sys.executable, "-c", WORKER_START],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_worker_does_not_import_the_web_s_urlconf_views_or_drf() -> None:
    modules = _modules_at_start()
    assert {"devices.tasks", "pki.tasks", "vpnportal.alerting.notify"} <= modules
    web = {"vpnportal.urls", "devices.views", "pki.views", "rest_framework.views", "drf_spectacular.views"}
    assert not web & modules


def test_an_empty_celery_skip_checks_runs_django_s_checks_again() -> None:
    assert "vpnportal.urls" in _modules_at_start(CELERY_SKIP_CHECKS="")
