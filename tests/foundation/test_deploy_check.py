"""Production settings pass `check --deploy` with no warnings; unset secrets and a derived key are flagged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VPNPORTAL_"))}
    env.update(extra, DJANGO_SETTINGS_MODULE="vpnportal.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_with_production_variables() -> None:
    result = run_check(
        {
            "DJANGO_SECRET_KEY": "x7!Kq2@pL9#vR4$mT8%wZ1^bN6&cY3*dF5(gH0)jM-eU_sA+oI=tQ",
            "VPNPORTAL_FERNET_KEYS": Fernet.generate_key().decode(),
            "DJANGO_ALLOWED_HOSTS": "vpn.example.com",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_names_the_unset_secrets_in_check_deploy() -> None:
    result = run_check({})
    assert result.returncode != 0
    assert "(vpnportal.E001) DJANGO_SECRET_KEY and VPNPORTAL_FERNET_KEYS are not set." in result.stderr


def test_it_flags_a_credential_key_derived_from_the_secret_key_in_check_deploy() -> None:
    # Only a development run (DEBUG) derives the credential key.
    result = run_check(
        {"DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": "x7!Kq2@pL9#vR4$mT8%wZ1^bN6&cY3*dF5(gH0)jM"}
    )
    assert result.returncode != 0
    assert "vpnportal.W001" in result.stderr + result.stdout
    assert "vpnportal.E001" not in result.stderr + result.stdout
