"""The kombu internals that the Redis-channel guard in vpnportal/celery.py relies on are still there.

The guard subclasses kombu's private Redis `Channel`, overrides `close()` and calls `_in_poll`,
`connection_errors` and `_brpop_read()`; it exists because kombu's own `close()` reads the pending BRPOP
reply and catches only `Empty`. A kombu (or celery) upgrade may rename those members, or fix the bug so
the guard is no longer needed: these tests fail first and say what to re-check. The behaviour itself
(a worker surviving a Redis restart) is tests/foundation/test_broker_restart.py.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from importlib import metadata
from queue import Empty

import kombu
import pytest
import redis
from kombu.transport import redis as kombu_redis

from tests.services import TEST_REDIS_URL
from vpnportal.celery import RedisChannel, RedisTransport

# The releases the guard was written against and proven with (tests/foundation/test_broker_restart.py).
GUARDED_KOMBU = "5.7.0"
GUARDED_CELERY = "5.7.0"

RECHECK = (
    f"vpnportal/celery.py's RedisChannel guards kombu {GUARDED_KOMBU} / celery {GUARDED_CELERY}. After an "
    "upgrade: re-read "
    "kombu/transport/redis.py Channel.close() and _brpop_read(), and celery's "
    "Consumer.on_connection_error_after_connected(); run tests/foundation/test_broker_restart.py with the "
    "guard and with it removed (VPNPORTAL_BROKER_RESTART_ROUNDS=16); keep the guard while the test fails "
    "without it, then update GUARDED_KOMBU/GUARDED_CELERY here (or delete the guard and this file)."
)


def test_it_runs_the_kombu_and_celery_releases_the_guard_was_written_for() -> None:
    installed = {name: metadata.version(name) for name in ("kombu", "celery")}
    assert installed == {"kombu": GUARDED_KOMBU, "celery": GUARDED_CELERY}, (
        f"installed: {installed}. {RECHECK}"
    )


def _close_reads_pending_brpop_catching_only_empty(func: object) -> bool:
    """Whether `func` starts with `if self._in_poll: try: self._brpop_read() except Empty: ...`."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))  # type: ignore[arg-type]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "self._in_poll"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Try) and any(
                ast.unparse(call) == "self._brpop_read()"
                for call in ast.walk(stmt)
                if isinstance(call, ast.Call)
            ):
                caught = [ast.unparse(h.type) for h in stmt.handlers if h.type is not None]
                return caught == ["Empty"]
    return False


def test_it_finds_kombus_close_still_catching_only_empty() -> None:
    # If kombu's close() stops reading the pending reply first, or catches connection errors itself, the
    # guard is either obsolete or guarding the wrong thing.
    assert _close_reads_pending_brpop_catching_only_empty(kombu_redis.Channel.close), (
        "kombu's Redis Channel.close() no longer reads the pending BRPOP reply catching only Empty: the "
        f"bug may be fixed upstream. {RECHECK}"
    )


def test_it_finds_the_private_members_the_guard_calls() -> None:
    channel_cls = kombu_redis.Channel
    members = vars(channel_cls)
    assert "_in_poll" in members and members["_in_poll"] is False, RECHECK
    signature = inspect.signature(members["_brpop_read"])
    # The guard calls _brpop_read() with no arguments; every parameter past self must be optional.
    required = [
        p
        for p in list(signature.parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    assert not required, f"kombu Channel._brpop_read{signature} needs arguments now. {RECHECK}"
    assert list(inspect.signature(channel_cls.close).parameters) == ["self"], RECHECK
    assert RedisChannel.__mro__[1] is channel_cls, RECHECK
    assert kombu_redis.Transport.Channel is channel_cls, RECHECK


@pytest.mark.integration
def test_it_opens_a_guarded_channel_on_real_redis() -> None:
    with kombu.Connection(TEST_REDIS_URL) as conn:
        channel = conn.channel()
        assert type(conn.transport) is RedisTransport
        assert type(channel) is RedisChannel
        assert not channel._in_poll  # type: ignore[attr-defined]
        # The guard suppresses exactly these; redis-py's ConnectionError is what a dead socket raises.
        assert issubclass(redis.exceptions.ConnectionError, channel.connection_errors)  # type: ignore[attr-defined]
        assert not issubclass(redis.exceptions.ConnectionError, Empty)
        channel.close()
        channel.close()  # celery closes the connection again after collect(): the second close is a no-op
