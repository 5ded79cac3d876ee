"""`python manage.py demo`: migrate, create the demo login, start simulator, worker, beat and web; Ctrl-C stops all.

On a bare machine it brings its own Redis (when none answers) and an SMTP server that keeps every alert
email under var/mail/ (vpnportal/demo_services.py); the simulated devices keep their state across
restarts (`--reset` starts over).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from vpnportal.celery import app as celery_app
from vpnportal.demo_services import (
    MAIL_DIR,
    DemoServiceError,
    redis_answers,
    start_mail_sink,
    start_private_redis,
)
from vpnportal.roles import ADMIN, ensure_roles
from vpnportal.startup import FERNET_KEYS_VAR, SECRET_KEY_VAR

DEMO_USER = "demo"
DEMO_PASSWORD = "vpnportal-demo"  # noqa: S105 - the demo's documented login, printed at start
WEB_ADDR = "127.0.0.1:8000"
# Where the demo's syslog receiver listens and the simulated devices send (UDP and TCP).
SYSLOG_ADDR = "127.0.0.1:5514"
DEMO_KEYS_FILE = "demo-keys.env"
# Every demo alert goes here (and to the devices' own alert_emails); the mail sink accepts any address.
DEMO_ALERT_EMAIL_TO = "noc@demo.localhost"


def demo_keys(var: Path) -> dict[str, str]:
    """The demo's own DJANGO_SECRET_KEY and VPNPORTAL_FERNET_KEYS: made once, kept in var/ (0600), reused.

    Reused because the demo database keeps device passwords encrypted with the Fernet key and the
    browser's session signed with the secret key. Values set in the environment win.
    """
    path = var / DEMO_KEYS_FILE
    if not path.exists():
        var.mkdir(parents=True, exist_ok=True)
        made = {SECRET_KEY_VAR: secrets.token_urlsafe(50), FERNET_KEYS_VAR: Fernet.generate_key().decode()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("# The demo's own keys (manage.py demo); never a deployment's.\n")
            out.writelines(f"{name}={value}\n" for name, value in made.items())
    os.chmod(path, 0o600)
    kept = dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return {name: os.environ.get(name) or kept[name] for name in (SECRET_KEY_VAR, FERNET_KEYS_VAR)}


def use_demo_keys(var: Path) -> dict[str, str]:
    """Give this process and the ones it starts the demo's keys (settings left them empty without DEBUG)."""
    keys = demo_keys(var)
    settings.SECRET_KEY = keys[SECRET_KEY_VAR]
    settings.VPNPORTAL_FERNET_KEYS = keys[FERNET_KEYS_VAR].split(",")
    return keys


def ensure_demo_user() -> User:
    """Create (or reset) the demo admin login."""
    ensure_roles()
    user, _ = User.objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@localhost"})
    user.set_password(DEMO_PASSWORD)
    user.is_staff = user.is_superuser = True
    user.save()
    user.groups.add(Group.objects.get(name=ADMIN))
    return user


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the whole demo: database, demo login, simulated devices, Celery worker and beat, web server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=WEB_ADDR, help="host:port of the web server")
        parser.add_argument("--no-simulator", action="store_true", help="poll real devices instead")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="start the simulated devices over from the scenario (forget re-enrollments and faults)",
        )
        parser.add_argument(
            "--no-mail-sink", action="store_true", help="send alert email to EMAIL_HOST instead of var/mail/"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        var = Path(settings.VAR_DIR)
        var.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, DJANGO_INSECURE_HTTP="1", PYTHONUNBUFFERED="1", **use_demo_keys(var))
        # A minute between polls so the charts fill while someone watches (production default: 300 s).
        env.setdefault("POLL_INTERVAL_SECONDS", "60")
        procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        try:
            mail = self._services(var, env, procs, opts)
        except DemoServiceError as exc:
            raise CommandError(str(exc)) from exc
        try:
            self._run(var, env, procs, opts)
        finally:
            # Last started, first stopped: the worker and beat go before the Redis they talk to.
            for _, proc in reversed(procs):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if mail is not None:
                mail.stop()

    def _services(
        self,
        var: Path,
        env: dict[str, str],
        procs: list[tuple[str, subprocess.Popen[bytes]]],
        opts: dict[str, Any],
    ) -> Any:
        """Redis (the one at REDIS_URL, else a private one) and the mail sink; the sink's controller."""
        url = env.get("REDIS_URL") or settings.REDIS_URL
        if redis_answers(url):
            self.stdout.write(f"Redis: {url}")
        else:
            proc, url = start_private_redis(var)
            procs.append(("redis", proc))
            self.stdout.write(
                gettext("Redis: none answers at %(configured)s; started the demo's own at %(url)s")
                % {"configured": settings.REDIS_URL, "url": url}
            )
            self.stdout.write(
                gettext("  (redis-server under %(dir)s, stopped with the demo)") % {"dir": var / "redis"}
            )
        env["REDIS_URL"] = url
        settings.CELERY_BROKER_URL = url  # this process queues polls too (the inventory import)
        celery_app.conf.update(broker_url=url)
        if opts["no_mail_sink"]:
            return None

        def report(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        controller, port = start_mail_sink(var, report)
        env.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            EMAIL_USE_TLS="0",
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        )
        env["ALERT_EMAIL_TO"] = env.get("ALERT_EMAIL_TO") or DEMO_ALERT_EMAIL_TO
        self.stdout.write(
            gettext(
                "Mail: every alert email (%(to)s) is kept in %(dir)s/*.eml (SMTP 127.0.0.1:%(port)s); "
                "one line per message below"
            )
            % {"to": env["ALERT_EMAIL_TO"], "dir": var / MAIL_DIR, "port": port}
        )
        return controller

    def _run(
        self,
        var: Path,
        env: dict[str, str],
        procs: list[tuple[str, subprocess.Popen[bytes]]],
        opts: dict[str, Any],
    ) -> None:
        """Migrate, start simulator, worker, beat and web, and watch them until Ctrl-C or one exits."""
        self.stdout.write(gettext("Migrating the database ..."))
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        ensure_demo_user()
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        commands = get_commands()

        def start(name: str, argv: list[str]) -> None:
            log = open(var / f"demo-{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
            procs.append((name, subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)))

        if not opts["no_simulator"] and "simulate" in commands:
            scenario = Path(settings.BASE_DIR) / "simulator" / "scenarios" / "demo.yaml"
            # The devices keep what was done to them (certificates granted, faults) across restarts, and
            # send their syslog to the receiver started below (docs/syslog.md).
            sim_args = ["--state-dir", str(var / "simulator"), "--keep-state", "--syslog", SYSLOG_ADDR]
            if opts["reset"]:
                sim_args.append("--reset")
                self.stdout.write(gettext("Simulated devices start over from the scenario (--reset)."))
            if scenario.exists():
                sim_args += ["--scenario", str(scenario)]
            start("simulator", [*manage, "simulate", *sim_args])
            inventory = Path(settings.BASE_DIR) / "simulator" / "scenarios" / "demo-inventory.yaml"
            if "import_inventory" in commands and inventory.exists():
                time.sleep(2)  # let the simulator listen before the first poll
                call_command("import_inventory", str(inventory))
        celery = [sys.executable, "-m", "celery", "-A", "vpnportal"]
        start(
            "worker",
            [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "4",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        start("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "celerybeat-schedule")])
        start("web", [*manage, "runserver", "--noreload", opts["addr"]])
        if "syslog" in commands:
            start("syslog", [*manage, "syslog", "--udp", SYSLOG_ADDR, "--tcp", SYSLOG_ADDR])

        # `kill` and Ctrl-C both stop the whole demo.
        signal.signal(signal.SIGTERM, _interrupt)
        up = gettext("vpnportal demo is up: %(url)s") % {"url": f"http://{opts['addr']}/"}
        self.stdout.write(self.style.SUCCESS(f"\n{up}"))
        self.stdout.write(
            gettext("  login: %(user)s / %(password)s") % {"user": DEMO_USER, "password": DEMO_PASSWORD}
        )
        self.stdout.write(gettext("  logs:  %(dir)s/demo-*.log   (Ctrl-C stops everything)") % {"dir": var})
        self.stdout.write(
            gettext("  mail:  %(mail)s/   devices: %(devices)s/devices.json")
            % {"mail": var / MAIL_DIR, "devices": var / "simulator"}
        )
        self.stdout.write(
            gettext("  start over: python manage.py demo --reset   (make demo DEMO_ARGS=--reset)") + "\n"
        )
        try:
            while True:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(
                            gettext("%(name)s exited with %(code)s; see %(log)s")
                            % {"name": name, "code": proc.returncode, "log": f"{var}/demo-{name}.log"}
                        )
                        raise KeyboardInterrupt
                time.sleep(1)
        except KeyboardInterrupt:
            self.stdout.write("\n" + gettext("Stopping ..."))
