"""docs/deploy.md from the wheel: build it, install it into a fresh venv, and bring the portal up from it.

The steps of docs/deploy.md that this machine can run, in order, with the installed `vpnportal` command
and nothing of the checkout on the path: `check --deploy` with the production variables, `migrate` into a
fresh PostgreSQL database, `createsuperuser`, `import_inventory`, `collectstatic`; then gunicorn on a
unix socket behind nginx with deploy/nginx/vpnportal.conf (TLS, static files served by nginx), a Celery
worker and beat on a private Redis, until /readyz says every part is ok.

The fresh venv gets the wheel with `pip install --no-deps --no-index` (the test runs offline);
its dependencies come from the shared venv through one .pth file (`site.addsitedir`), the exact versions
requirements/base.txt pins. systemd itself does not run here: the units are checked by test_units.py.
"""

from __future__ import annotations

import gettext
import json
import re
import secrets
import shlex
import shutil
import socket as socket_module
import ssl
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.deploy.test_units import DEPLOY, nginx_argv, nginx_prefix
from tests.foundation.test_broker_restart import private_redis
from tests.services import ROOT, free_port

pytestmark = pytest.mark.integration
LEFT_OUT_OF_THE_WHEEL = ("tests/", "bench/", "simulator/")


def run(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> str:
    """Run a command to completion; its output, or a failure that shows it."""
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{argv}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def build_wheel(tmp_path: Path) -> Path:
    """`python -m build --wheel --no-isolation` on a copy of the checkout's files (the worktree stays clean)."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).split()
    src = tmp_path / "src"
    for name in listed:
        if name.startswith(LEFT_OUT_OF_THE_WHEEL) or not (ROOT / name).is_file():
            continue
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), "."],
        cwd=src,
    )
    (wheel,) = (tmp_path / "dist").glob("vpnportal-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv with the wheel alone installed, the locked dependencies reachable through a .pth."""
    venv = tmp_path / "venv"
    run([shutil.which("python3") or "python3", "-m", "venv", str(venv)])
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)])
    purelib = run(
        [str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    )
    shared = sysconfig.get_paths()["purelib"]
    Path(purelib.strip(), "zz_vpnportal_dependencies.pth").write_text(
        f"import site; site.addsitedir({shared!r})\n"
    )
    console_scripts(venv)
    return venv


def console_scripts(venv: Path) -> None:
    """bin/celery and bin/gunicorn of the venv, as `pip install` of the dependencies would write them."""
    for name, (module, function) in {
        "celery": ("celery.__main__", "main"),
        "gunicorn": ("gunicorn.app.wsgiapp", "run"),
    }.items():
        script = venv / "bin" / name
        script.write_text(
            f"#!{venv}/bin/python\nimport sys\nfrom {module} import {function}\nsys.exit({function}())\n"
        )
        script.chmod(0o755)


def unit_command(unit: str, venv: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The ExecStart= of a unit in deploy/systemd as argv, and its environment (Environment= defaults
    under the env file's values), with the venv and state folder of this test and instance `1`."""
    text = (DEPLOY / "systemd" / unit).read_text()
    defaults = dict(re.findall(r"^Environment=([A-Z_]+)=(\S*)$", text, re.MULTILINE))
    unit_env = {**defaults, **env}
    (line,) = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    line = line.replace("/opt/vpnportal/venv/", f"{venv}/").replace(
        "/var/lib/vpnportal", env["VPNPORTAL_VAR_DIR"]
    )
    line = line.replace("%i", "1").replace("%H", socket_module.gethostname())
    line = re.sub(r"\$\{([A-Z_]+)\}", lambda m: unit_env[m.group(1)], line)
    return shlex.split(line), unit_env


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """An empty PostgreSQL database on the test server; its URL. Dropped afterwards."""
    db = settings.DATABASES["default"]
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or "5432", db.get("USER") or "postgres"
    admin = f"postgresql://{user}@{host}:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def background(
    argv: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running process, stopped (SIGTERM, then SIGKILL) at the end."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fetch(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: status, headers, body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=20) as response:
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def wait_until(what: str, predicate: Any, timeout: float, logs: list[Path]) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(1)
    tails = "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}" for log in logs if log.exists()
    )
    raise AssertionError(f"{what} not reached in {timeout} s (last: {last!r})\n{tails}")


def test_the_wheel_ships_the_compiled_catalogues(tmp_path: Path) -> None:
    """The .mo files are git-ignored: the build compiles them (setup.py), so an installed portal speaks
    Japanese without gettext on the host."""
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        assert "vpnportal/bundle/locale/ja/LC_MESSAGES/django.po" in wheel.namelist()
        with wheel.open("vpnportal/bundle/locale/ja/LC_MESSAGES/django.mo") as mo:
            catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Overview") == "概要"
    assert catalogue.pgettext("role", "viewer") == "閲覧者"


def test_the_wheel_installs_and_runs_the_portal(tmp_path: Path) -> None:
    if not shutil.which("nginx") or not shutil.which("redis-server"):
        pytest.skip("nginx and redis-server are needed")
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "vpnportal/bundle/templates/base.html",
        "vpnportal/bundle/static/vendor/chartjs/chart-4.5.1.umd.min.js",
        "vpnportal/bundle/locale/ja/LC_MESSAGES/django.mo",
        "vpnportal/migrations/0001_initial.py",
        "devices/migrations/0001_initial.py",
        "pki/migrations/0001_initial.py",
        "vpnportal/cli.py",
    } <= names
    assert not [n for n in names if n.startswith(LEFT_OUT_OF_THE_WHEEL) or n.endswith("test_settings.py")]
    venv = fresh_venv(tmp_path, wheel)
    vpnportal = str(venv / "bin/vpnportal")
    home = tmp_path / "home"  # the working folder: no checkout anywhere on the path
    home.mkdir()
    socket = tmp_path / "web.sock"
    static = tmp_path / "static"
    http_port, https_port = free_port(), free_port()

    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(f"{settings.DATABASES['default']['NAME']}_wheel"))
        redis_server = stack.enter_context(private_redis(tmp_path))
        env = {
            "PATH": f"{venv}/bin:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            # What deploy/env.example asks for.
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "VPNPORTAL_FERNET_KEYS": Fernet.generate_key().decode(),
            "DJANGO_SETTINGS_MODULE": "vpnportal.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://localhost:{https_port}",
            "DJANGO_BEHIND_PROXY": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "VPNPORTAL_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_STATIC_ROOT": str(static),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        (tmp_path / "var").mkdir()
        # Without the absolute paths of the env template, state would land inside site-packages.
        bare = {k: v for k, v in env.items() if k not in ("VPNPORTAL_VAR_DIR", "DJANGO_STATIC_ROOT")}
        warned = subprocess.run([vpnportal, "check", "--deploy", "--fail-level", "WARNING"],
                                env=bare, cwd=home, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert warned.returncode == 1 and "vpnportal.W020" in warned.stderr + warned.stdout, warned
        assert "VPNPORTAL_VAR_DIR, DJANGO_STATIC_ROOT, VPNPORTAL_KNOWN_HOSTS" in warned.stderr + warned.stdout
        # The installed command, with the production variables: no warning at all.
        assert "no issues" in run([vpnportal, "check", "--deploy", "--fail-level", "WARNING"], env, home)
        assert "Applying vpnportal.0001_initial... OK" in run([vpnportal, "migrate", "--no-input"], env, home)
        run([vpnportal, "createsuperuser", "--no-input", "--username", "admin", "--email", "admin@example.com"],
            {**env, "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16)}, home)  # fmt: skip
        inventory = home / "inventory.yaml"
        dead = free_port()  # a device nobody answers for: its polls fail fast, which is fine here
        inventory.write_text(
            "devices:\n"
            f"  - {{name: r1, host: 127.0.0.1, port: {dead}, platform: cisco_ios, username: u, password: p}}\n"
        )
        run([vpnportal, "import_inventory", str(inventory)], env, home)
        assert "static files copied" in run([vpnportal, "collectstatic", "--no-input"], env, home)
        assert (static / "vendor/chartjs/chart-4.5.1.umd.min.js").is_file()

        # The units' own command lines (systemd would run them); gunicorn binds the socket itself here,
        # where systemd's vpnportal-web.socket would hand it over.
        logs = [tmp_path / f"{name}.log" for name in ("gunicorn", "worker", "beat")]
        units = {"vpnportal-web.service": ["--bind", f"unix:{socket}"], "vpnportal-worker@.service": [],
                 "vpnportal-beat.service": []}  # fmt: skip
        for (unit, extra), log in zip(units.items(), logs, strict=True):
            argv, unit_env = unit_command(
                unit, venv, {**env, "WEB_CONCURRENCY": "2", "VPNPORTAL_WORKER_CONCURRENCY": "2"}
            )
            stack.enter_context(background([*argv, *extra], unit_env, home, log))
        conf = nginx_prefix(tmp_path / "nginx", http_port, https_port, socket, static)
        run(nginx_argv(conf, "-t"))
        nginx = stack.enter_context(
            background(nginx_argv(conf, "-g", "daemon off;"), env, home, tmp_path / "nginx.log")
        )
        logs += [tmp_path / "nginx.log", tmp_path / "nginx/error.log"]
        tls = ssl.create_default_context(cafile=str(tmp_path / "nginx/ssl/fullchain.pem"))

        # Plain http: the probes answer, everything else goes to https.
        status, _, body = wait_until(
            "/healthz over nginx",
            lambda: (r := fetch(f"http://127.0.0.1:{http_port}/healthz"))[0] == 200 and r,
            90,
            logs,
        )
        assert json.loads(body) == {"status": "ok"}
        status, headers, _ = fetch(f"http://127.0.0.1:{http_port}/accounts/login/")
        assert status == 301 and headers["Location"].startswith("https://")

        # https: Django sees the request as secure (no redirect loop) and nginx serves the static files.
        status, headers, page = fetch(f"https://localhost:{https_port}/accounts/login/", tls)
        assert status == 200 and b"Log in" in page
        css = re.search(rb'href="(/static/css/portal\.[0-9a-f]+\.css)"', page)
        assert css, page[:2000]
        status, headers, _ = fetch(f"https://localhost:{https_port}{css.group(1).decode()}", tls)
        assert status == 200
        assert "Content-Security-Policy" not in headers  # nginx answered, not Django
        assert headers.get("Cache-Control") == "public" or "max-age" in headers.get("Cache-Control", "")

        # Web, worker and beat from the wheel: /readyz reports every part ok once beat has ticked
        # (its first heartbeat task goes out a minute after it starts).
        def ready() -> dict[str, Any] | None:
            assert nginx.poll() is None
            status, _, body = fetch(f"https://localhost:{https_port}/readyz", tls)
            report = json.loads(body)
            return report if status == 200 and report["status"] == "ok" else None

        report = wait_until("/readyz ok", ready, 240, logs)
        assert report["checks"]["polls"]["devices"] == 1
        assert report["checks"]["workers"]["fresh"] == 1

        # Redis goes away: /readyz says which part, /healthz does not care.
        redis_server.stop()
        status, _, body = fetch(f"http://127.0.0.1:{http_port}/readyz")
        assert status == 503 and json.loads(body)["checks"]["redis"]["ok"] is False
        assert fetch(f"http://127.0.0.1:{http_port}/healthz")[0] == 200
