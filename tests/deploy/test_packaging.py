"""The wheel's package list follows the project's apps (a new app once left the wheel unable to start)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_local_app_is_packaged_in_the_wheel() -> None:
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"
    ]
    local = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    missing = sorted(app for app in local if not any(fnmatch.fnmatch(app, pattern) for pattern in include))
    assert not missing, f"pyproject.toml [tool.setuptools.packages.find] include lacks {missing}"
