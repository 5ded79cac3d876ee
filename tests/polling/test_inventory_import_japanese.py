"""`import_inventory` speaks the portal's language (settings.LANGUAGE_CODE, i.e. VPNPORTAL_LANGUAGE_CODE):
the problem in Japanese, the location (file, line, YAML path) as the file spells it (issue 23)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.i18n_catalogue import compiled_catalogue

pytestmark = pytest.mark.django_db

compiled = pytest.fixture(autouse=True, scope="module")(compiled_catalogue)

BAD_HOST = """devices:
  - name: r1
    host: "bad host!"
    platform: cisco_ios
    username: cisco
"""
GOOD = """devices:
  - name: r1
    host: 192.0.2.1
    platform: cisco_ios
    username: cisco
"""


def inventory(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_error_is_japanese_when_the_portal_speaks_japanese(settings: Any, tmp_path: Path) -> None:
    settings.LANGUAGE_CODE = "ja"
    path = inventory(tmp_path, BAD_HOST)
    with pytest.raises(CommandError) as refused:
        call_command("import_inventory", str(path))
    assert (
        str(refused.value) == f"{path}:3: devices[0]: host: IP アドレスでも DNS 名でもありません: 'bad host!'"
    )


def test_an_import_error_stays_english_by_default(tmp_path: Path) -> None:
    path = inventory(tmp_path, BAD_HOST)
    with pytest.raises(CommandError) as refused:
        call_command("import_inventory", str(path))
    assert str(refused.value) == f"{path}:3: devices[0]: host: not an IP address or DNS name: 'bad host!'"


def test_the_summary_is_japanese_too(settings: Any, tmp_path: Path) -> None:
    settings.LANGUAGE_CODE = "ja"
    out = StringIO()
    call_command("import_inventory", str(inventory(tmp_path, GOOD)), "--dry-run", stdout=out)
    assert (
        "ドライ ラン (何も書き込んでいません): デバイス: 作成 1、更新 0、変更なし 0、削除 0" in out.getvalue()
    )


def test_a_contact_s_language_error_is_japanese_too(settings: Any, tmp_path: Path) -> None:
    settings.LANGUAGE_CODE = "ja"
    path = inventory(tmp_path, GOOD + "contacts:\n  - email: noc@example.net\n    language: fr\n")
    with pytest.raises(CommandError) as refused:
        call_command("import_inventory", str(path))
    assert "contacts[0]: language: en, ja のいずれかを指定してください (指定値: 'fr')" in str(refused.value)
