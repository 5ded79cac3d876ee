"""Shared fixtures: users named by role, and helpers that start real services for integration tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import translation

from vpnportal.roles import ADMIN, OPERATOR, VIEWER, ensure_roles

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str | None) -> User:
    """Create a user in the named role group (admins are staff too)."""
    ensure_roles()
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    if role == ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks() -> Iterator[None]:
    """Each test starts and ends in the default language: a test (or a command it calls) that activates
    Japanese must not leave the next test of the same process rendering Japanese."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def key_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulator host, CA and device keys made once per test session (RSA generation is the slow part)."""
    return tmp_path_factory.mktemp("sim-keys")


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("vera-viewer", VIEWER)


@pytest.fixture
def operator(db: None) -> User:
    return make_user("otto-operator", OPERATOR)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("ada-admin", ADMIN)


# One Playwright (and one Chromium) per test session: Playwright's sync API keeps an event loop running in
# this thread while it is open, so a second sync_playwright() anywhere in the run would refuse to start.
CHROMIUM = os.environ.get("VPNPORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: `make test` installs it (make chromium)")
        pytest.skip("Debian's chromium is not installed (make chromium)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A fresh 1400 px browser page on the live server."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _no_session_kept_between_tests() -> Iterator[None]:
    """A device session a poll kept open (devices/session_pool.py) ends with its test: the next test has
    another simulator, perhaps on the same port, and counts its own logins."""
    yield
    from devices.session_pool import close_all

    close_all()
