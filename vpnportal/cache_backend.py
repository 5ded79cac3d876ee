"""Django's Redis cache with one Redis client per connection pool instead of one per call.

Django's RedisCacheClient builds a new `redis.Redis` for every operation, and redis-py's constructor
fills a case-insensitive table of response callbacks each time: about 1.5 ms of CPU per cache call, a
dozen calls on a page served from the page cache (vpnportal/page_cache.py). A client is thread-safe and
holds no state but its pool, so one per pool serves every call.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    """settings CACHES' backend: Django's RedisCache, its clients reused."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
