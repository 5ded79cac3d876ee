"""The lock files pin every package with hashes, agree with each other and with requirements/*.in, and
the environment the tests run in holds exactly the locked set (what `make install` promises)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
LOCKS = ("base.txt", "dev.txt")
# Test, lint, demo and lock tools: never on a production host.
DEV_ONLY = {
    "aiosmtpd",
    "pytest",
    "pytest-django",
    "pytest-timeout",
    "hypothesis",
    "playwright",
    "prometheus-client",
    "ruff",
    "mypy",
    "django-stubs",
    "pip-tools",
    "pip",
    "setuptools",
}


def canonical(name: str) -> str:
    """The package name as PyPI compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(name: str) -> dict[str, tuple[str, list[str]]]:
    """`{package: (version, hashes)}` of a pip-compile lock; a requirement that is not `name==version` fails."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = (REQUIREMENTS / name).read_text()
    for block in re.split(r"\n(?=\S)", text.replace("\\\n", " ")):
        line = block.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})*)", line)
        assert match, f"{name}: not a pinned, hashed requirement: {line!r}"
        package, version, hashes = match.groups()
        entries[canonical(package)] = (version, hashes.split())
    return entries


def read_in(name: str) -> dict[str, str]:
    """`{package: version}` of the `name[extras]==version` lines of a requirements/*.in file."""
    pins: dict[str, str] = {}
    for raw in (REQUIREMENTS / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", line)
        assert match, f"{name}: direct dependencies are pinned exactly: {line!r}"
        pins[canonical(match[1])] = match[2]
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_it_pins_every_locked_package_with_hashes(lock: str) -> None:
    entries = read_lock(lock)
    assert len(entries) > 40
    unhashed = [package for package, (_, hashes) in entries.items() if not hashes]
    assert not unhashed, f"{lock}: no hash for {unhashed}; run `make lock`"


def test_it_locks_dev_with_the_runtime_versions() -> None:
    base, dev = read_lock("base.txt"), read_lock("dev.txt")
    differ = {p: (v, dev.get(p, ("missing",))[0]) for p, (v, _) in base.items() if dev.get(p, ("",))[0] != v}
    assert not differ, f"base.txt vs dev.txt: {differ}; run `make lock`"


def test_it_leaves_the_tools_out_of_the_runtime_lock() -> None:
    assert not DEV_ONLY & read_lock("base.txt").keys()
    assert read_lock("dev.txt").keys() >= DEV_ONLY


@pytest.mark.parametrize(("source", "lock"), [("base.in", "base.txt"), ("dev.in", "dev.txt")])
def test_it_locks_what_the_in_files_ask_for(source: str, lock: str) -> None:
    wanted, locked = read_in(source), read_lock(lock)
    stale = {
        p: (v, locked.get(p, ("missing",))[0]) for p, v in wanted.items() if locked.get(p, ("",))[0] != v
    }
    assert not stale, f"{source} asks for another version than {lock} has: {stale}; run `make lock`"


def test_it_installed_exactly_the_locked_set() -> None:
    locked = {package: version for package, (version, _) in read_lock("dev.txt").items()}
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    extra = {p: v for p, v in installed.items() if p not in locked}
    wrong = {p: (installed.get(p, "missing"), v) for p, v in locked.items() if installed.get(p) != v}
    assert not extra and not wrong, (
        f"installed but not locked: {extra}; installed vs locked: {wrong}; run `make install`"
    )
