"""Pagination of every API list: `?limit=` and `?offset=`, a limit capped so one request stays cheap."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

# Larger `?limit=` values are served as this many rows (the `next` link then carries on).
MAX_LIMIT = 1000


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pagination with `max_limit`."""

    max_limit = MAX_LIMIT
