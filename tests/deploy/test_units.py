"""The files of deploy/ are valid for the tools that read them: systemd (systemd-analyze verify) and nginx (-t).

systemd-analyze checks that each ExecStart names an executable: the units run in a temporary root that
holds copies of the host's own unit files (sysinit.target, ...), stub executables at the paths the units
name, and the env file. nginx checks the site with its certificate paths pointed at a self-signed pair.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted(p.name for p in (DEPLOY / "systemd").iterdir())
HOST_UNITS = Path("/usr/lib/systemd/system")
EXEC_RE = re.compile(r"^Exec\w+=[-@:+!]*(/\S+)", re.MULTILINE)


def unit_text(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text()


def executables() -> set[str]:
    """Every absolute program path an Exec*= line of the units names."""
    return {m.group(1) for name in UNITS for m in EXEC_RE.finditer(unit_text(name))}


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root for systemd-analyze: the host's units, ours in /etc/systemd/system, stub executables."""
    if not shutil.which("systemd-analyze") or not HOST_UNITS.is_dir():
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path_factory.mktemp("unit-root")
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    shutil.copytree(DEPLOY / "systemd", root / "etc/systemd/system")
    for program in executables():
        stub = root / program.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    env = root / "etc/vpnportal/env"
    env.parent.mkdir(parents=True)
    shutil.copy(DEPLOY / "env.example", env)
    env.chmod(0o600)
    return root


def test_it_ships_a_unit_for_every_process() -> None:
    assert set(UNITS) == {
        "vpnportal.target",
        "vpnportal-web.socket",
        "vpnportal-web.service",
        "vpnportal-worker@.service",
        "vpnportal-beat.service",
        "vpnportal-syslog.service",
    }
    assert executables() == {
        "/opt/vpnportal/venv/bin/gunicorn",
        "/opt/vpnportal/venv/bin/celery",
        "/opt/vpnportal/venv/bin/vpnportal",
        "/bin/kill",
    }


@pytest.mark.parametrize("name", [*UNITS, "vpnportal-worker@2.service"])
def test_systemd_accepts_the_unit(unit_root: Path, name: str) -> None:
    argv = ["systemd-analyze", "verify", "--man=no", f"--root={unit_root}", name]
    if not name.endswith("@2.service"):
        argv[-1] = str(unit_root / "etc/systemd/system" / name)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    # Unknown keys and bad values are only warnings for systemd: any output is a failure here.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("name", [u for u in UNITS if u.endswith(".service")])
def test_every_service_runs_sandboxed_as_the_service_user(name: str) -> None:
    text = unit_text(name)
    for line in (
        "User=vpnportal",
        "EnvironmentFile=/etc/vpnportal/env",
        "StateDirectory=vpnportal",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    ):
        assert f"\n{line}\n" in text, (name, line)


def test_the_worker_runs_the_thread_pool_that_keeps_sessions_open() -> None:
    # One process per unit keeps each device's session between polls (docs/polling.md); prefork pool
    # processes would each hold one of the device's VTY lines and reuse it a 1/C of the time.
    exec_start = next(
        line for line in unit_text("vpnportal-worker@.service").splitlines() if line.startswith("ExecStart=")
    )
    assert " --pool threads " in exec_start
    assert "VPNPORTAL_WORKER_CONCURRENCY=32" in (DEPLOY / "env.example").read_text()


def test_every_variable_a_unit_expands_is_in_the_env_template() -> None:
    template = (DEPLOY / "env.example").read_text()
    defined = set(re.findall(r"^([A-Z_]+)=", template, re.MULTILINE))
    used = {v for name in UNITS for v in re.findall(r"\$\{([A-Z_]+)\}", unit_text(name))}
    assert used and used <= defined
    # What the settings refuse to start without, and what a wheel install cannot default.
    assert {
        "DJANGO_SECRET_KEY",
        "VPNPORTAL_FERNET_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
        "VPNPORTAL_VAR_DIR",
    } <= defined


def self_signed(folder: Path) -> None:
    """fullchain.pem and privkey.pem of a throwaway certificate for localhost."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def nginx_prefix(tmp_path: Path, http_port: int, https_port: int, socket: Path, static: Path) -> Path:
    """A private nginx prefix with deploy/nginx/vpnportal.conf on the given ports, socket and static root.

    Only what a host differs in is rewritten: the listen addresses (free ports of 127.0.0.1), the
    certificate folder, the gunicorn socket and the static root. Returns the main nginx.conf.
    """
    self_signed(tmp_path / "ssl")
    site = (DEPLOY / "nginx" / "vpnportal.conf").read_text()
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.MULTILINE)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    site = site.replace("/etc/ssl/vpnportal", str(tmp_path / "ssl"))
    site = site.replace("/run/vpnportal/web.sock", str(socket))
    site = site.replace("/opt/vpnportal/static/", f"{static}/")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        # As root, nginx's workers would run as `nobody`, who cannot enter pytest's private temp folders.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log {tmp_path}/access.log;\n {temp}\n"
        f" include {tmp_path}/site.conf;\n}}\n"
    )
    return conf


def nginx_argv(conf: Path, *extra: str) -> list[str]:
    return [
        shutil.which("nginx") or "nginx",
        "-p",
        str(conf.parent),
        "-c",
        str(conf),
        "-e",
        str(conf.parent / "error.log"),
        *extra,
    ]


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed")
    conf = nginx_prefix(tmp_path, 18080, 18443, tmp_path / "web.sock", tmp_path / "static")
    result = subprocess.run(nginx_argv(conf, "-t"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_admin_helper_is_valid_shell() -> None:
    helper = DEPLOY / "vpnportal-admin"
    assert os.access(helper, os.X_OK)
    subprocess.run(["sh", "-n", str(helper)], check=True, timeout=30)
    assert "EnvironmentFile=/etc/vpnportal/env" in helper.read_text()


@pytest.mark.parametrize("name", ["vpnportal-web.service", "vpnportal-worker@1.service", "vpnportal-beat.service", "vpnportal-syslog.service"])  # fmt: skip
def test_systemd_rates_the_sandbox_ok(unit_root: Path, name: str) -> None:
    """`systemd-analyze security` scores exposure 0 (locked down) to 10; "OK" is below 2.0 (then MEDIUM)."""
    argv = ["systemd-analyze", "security", "--offline=yes", f"--root={unit_root}", "--no-pager",
            "--threshold=20", name]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert score and float(score.group(1)) < 2.0, result.stdout[-1500:]


def test_systemd_sysusers_creates_the_service_user(tmp_path: Path) -> None:
    if not shutil.which("systemd-sysusers"):
        pytest.skip("systemd-sysusers is not installed")
    (tmp_path / "etc").mkdir()
    conf = DEPLOY / "sysusers.d" / "vpnportal.conf"
    subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(conf)], check=True, capture_output=True, timeout=60
    )
    (entry,) = [
        line for line in (tmp_path / "etc/passwd").read_text().splitlines() if line.startswith("vpnportal:")
    ]
    name, _, uid, gid, _, home, shell = entry.split(":")
    assert int(uid) < 1000 and uid == gid  # a system user with its own group
    assert (home, shell) == ("/var/lib/vpnportal", "/usr/sbin/nologin")
    assert all(f"\nUser={name}\n" in unit_text(u) for u in UNITS if u.endswith(".service"))


def test_the_worker_runs_without_glibcs_per_thread_malloc_cache() -> None:
    # A worker runs a paramiko transport thread per kept session: each thread's cache of freed blocks
    # held about 26 kB that no other thread reuses (docs/performance.md, session 8). The dynamic loader
    # of this host reads the unit's setting as intended (an unknown tunable would be ignored silently).
    from bench.bench_celery_poll import unit_environment

    tunables = unit_environment(DEPLOY / "systemd" / "vpnportal-worker@.service")["GLIBC_TUNABLES"]
    assert tunables == "glibc.malloc.tcache_count=0"
    loader = Path("/lib64/ld-linux-x86-64.so.2")
    if not loader.exists():
        pytest.skip("no x86-64 glibc loader on this host")
    listed = subprocess.run(
        [str(loader), "--list-tunables"],
        env={"GLIBC_TUNABLES": tunables},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "glibc.malloc.tcache_count: 0x0 " in listed


def test_the_bench_starts_its_workers_with_the_units_environment(tmp_path: Path) -> None:
    # bench_celery_poll measures the worker production runs: the unit's Environment= lines, except the
    # concurrency it chooses itself.
    unit = tmp_path / "worker.service"
    unit.write_text(
        "[Service]\nEnvironment=VPNPORTAL_WORKER_CONCURRENCY=32\nEnvironment=GLIBC_TUNABLES=a=1:b=2\n"
        "EnvironmentFile=/etc/vpnportal/env\n"
    )
    from bench.bench_celery_poll import unit_environment

    assert unit_environment(unit) == {"GLIBC_TUNABLES": "a=1:b=2"}


def test_the_benchs_own_worker_setting_goes_over_the_units(monkeypatch: pytest.MonkeyPatch) -> None:
    # BENCH_CELERY_WORKER_ENV tries another allocator setting against the unit's (it raised a TypeError
    # when it named a variable the unit sets).
    from bench.bench_celery_poll import _worker_env

    monkeypatch.setenv("BENCH_CELERY_WORKER_ENV", "GLIBC_TUNABLES=glibc.malloc.arena_max=2 X_BENCH=1")
    env = _worker_env(Path("/nonexistent/known_hosts"))
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
    assert env["X_BENCH"] == "1"
    monkeypatch.delenv("BENCH_CELERY_WORKER_ENV")
    assert _worker_env(Path("/nonexistent/known_hosts"))["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=0"
