"""API permissions: reading needs the model's view permission, acting needs the action's permission."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class ModelViewPermission(BasePermission):
    """Authenticated users holding `<app>.view_<model>` may read; other methods need `action_permission`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        model = view.get_queryset().model
        if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            return False
        if request.method in SAFE_METHODS:
            return True
        # Each write action names its own permission (e.g. vpnportal.change_alert to acknowledge).
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if not needed:
            return False
        return bool(user.has_perm(str(needed)))
