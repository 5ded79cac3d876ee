"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vpnportal.roles import OPERATOR


def portal(request: HttpRequest) -> dict[str, Any]:
    """Tell templates whether the user may act (operators and admins)."""
    user = getattr(request, "user", None)
    is_operator = bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.groups.filter(name__in=[OPERATOR, "admin"]).exists())
    )
    return {"is_operator": is_operator}
