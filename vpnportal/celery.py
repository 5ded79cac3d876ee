"""The Celery app: JSON only, late acks, settings under the CELERY_ namespace; a guarded Redis transport."""

from __future__ import annotations

import contextlib
import copy
import logging.config
import os
from queue import Empty
from typing import Any

from celery import Celery, signals
from kombu import transport as kombu_transports
from kombu.transport import redis as kombu_redis

from vpnportal.logging import bind, clear
from vpnportal.startup import missing_secrets, refusal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.settings")
# Celery's Django fixup runs Django's system checks when a worker starts and ignores what they find (the
# deploy checks, ours among them, are not run there: `manage.py check --deploy` and the web are where they
# report). The URL checks import the whole URLconf, so every view, DRF and drf_spectacular: 340 modules
# and 18 MB of RSS that a worker never uses (docs/performance.md, session 8). CELERY_SKIP_CHECKS= (empty)
# in the environment runs them again.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, except that close() finishes when the BRPOP socket is already dead.

    Guard for a bug in kombu 5.7.0 with celery 5.7.0 (the newest releases when this was written; no
    upstream report found): a worker EXITS with `AttributeError: 'NoneType' object has no attribute
    'hostname'` when Redis goes away while it holds an unacknowledged message (a late-ack task running, an
    ETA task waiting) and the pub/sub socket notices the lost connection before the BRPOP socket does.
    1. kombu's `Channel.close()` first reads the reply of the BRPOP still in flight and catches only
       `Empty`; on a dead socket that raises `ConnectionError` before anything is closed.
       `Connection.maybe_close_channel` swallows it and leaves the channel open, as the default channel.
    2. `Connection.collect()` (the consumer's clean-up) then sets the transport's `client` to None.
    3. celery 5.7.0's `Consumer.on_connection_error_after_connected` calls `connection.close()` after
       `collect()`. That closes the channel again; this time it gets to restoring the unacknowledged
       message, needs a new Redis pool, and `_connparams` reads `client.hostname` of None. `ignore_errors`
       lets the AttributeError through, so the consumer dies: "Unrecoverable error", exit status 1.
    Treating a connection error on that read like `Empty` (a reply already buffered is still read and
    delivered; the error means there is none) lets the first close finish, so the second one is a no-op.
    Test: tests/foundation/test_broker_restart.py.
    Remove this class and RedisTransport below once a kombu release closes a channel whose BRPOP socket is
    dead (or celery stops closing the connection again after collect()) and that test passes without them.
    """

    # Private kombu attributes, absent from the type stubs: hence the ignores.
    def close(self) -> None:
        if self._in_poll:  # type: ignore[attr-defined]
            # On a connection error _brpop_read has already disconnected the dead socket and cleared
            # _in_poll: no reply is coming, as with Empty.
            with contextlib.suppress(Empty, *self.connection_errors):  # type: ignore[attr-defined]
                self._brpop_read()  # type: ignore[attr-defined]
        super().close()


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with the guarded channel above."""

    Channel = RedisChannel


# redis:// and rediss:// broker URLs (REDIS_URL) resolve to the transport above in every process that
# imports this module (the worker, beat, the web server, manage.py, the tests), before any connection
# is made: kombu caches the class it resolves. sentinel:// keeps kombu's own transport (unused here).
for _scheme in ("redis", "rediss"):
    kombu_transports.TRANSPORT_ALIASES[_scheme] = f"{__name__}:RedisTransport"

app = Celery("vpnportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _refuse_without_secrets(process: str) -> None:
    """Stop the process with the message naming each missing secret.

    SystemExit, not an exception: Celery logs and swallows exceptions of signal receivers and would
    start anyway.
    """
    missing = missing_secrets()
    if missing:
        raise SystemExit(refusal(process, missing))


@signals.celeryd_init.connect
def _worker_needs_secrets(**kwargs: Any) -> None:
    _refuse_without_secrets("Celery worker")


@signals.beat_init.connect
def _beat_needs_secrets(**kwargs: Any) -> None:
    _refuse_without_secrets("Celery beat")


@signals.setup_logging.connect
def use_django_logging(logfile: str | None = None, **_: object) -> None:
    """Worker and beat log through settings.LOGGING, not Celery's own root handler.

    A receiver of this signal stops Celery from replacing the root logger's handlers (and from
    redirecting stdout into them), so the redaction and id filters of LOGGING are on every handler
    of every process. `--logfile` adds a file handler with the same filters and format. The log level
    comes from VPNPORTAL_LOG_LEVEL, not from --loglevel.
    """
    from django.conf import settings

    config: dict[str, Any] = copy.deepcopy(settings.LOGGING)
    if logfile:
        console = config["handlers"]["console"]
        config["handlers"]["file"] = {**console, "class": "logging.FileHandler", "filename": logfile}
        config["root"]["handlers"] = [*config["root"]["handlers"], "file"]
    logging.config.dictConfig(config)


@signals.task_prerun.connect
def bind_task_id(task_id: str | None = None, **_: object) -> None:
    """Every line a task logs carries its task id."""
    bind(task_id=task_id)


@signals.task_postrun.connect
def unbind_task_id(**_: object) -> None:
    """The next task of this worker process starts without the ids of the previous one."""
    clear()


@signals.task_prerun.connect
@signals.task_postrun.connect
def check_db_connections(task: Any = None, **_: object) -> None:
    """Around each task, what Django does around each request: close the task thread's connections that
    are past CONN_MAX_AGE, broken or left in a transaction; the health check (CONN_HEALTH_CHECKS) makes
    the next task's first query replace one the database dropped meanwhile.

    Celery's own Django fixup would close every connection after every task instead (a new PostgreSQL
    connection and server backend per device-poll) were CELERY_DB_REUSE_MAX not set (settings.py).
    A task run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) runs inside its caller's connection: left alone.
    """
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
