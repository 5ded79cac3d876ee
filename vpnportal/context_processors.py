"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from vpnportal.readiness import problems, run_checks
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


def readiness_banner(request: HttpRequest) -> dict[str, Any]:
    """For an admin, the parts that are down (vpnportal/readiness.py), shown as a banner on every page.

    Lazy: the checks run only when a template shows the banner (base.html, for admins).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (user.is_superuser or user.is_staff):
        return {}
    return {"readiness_problems": SimpleLazyObject(lambda: problems(run_checks()))}
