"""API permissions: reading needs the model's view permission, acting needs the action's permission."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from vpnportal.roles import VIEW_APPS


def holds_a_role(user: Any) -> bool:
    """Any view permission of the portal's models: viewer, operator, admin (or a superuser)."""
    if not (user and user.is_authenticated):
        return False
    return any(
        perm.split(".", 1)[0] in VIEW_APPS and perm.split(".", 1)[1].startswith("view_")
        for perm in user.get_all_permissions()
    )


class RolePermission(BasePermission):
    """The default of API views without a model (the root, the schema): a logged-in account with a role.

    An account in no group may log in, but reads nothing, the list of endpoints included.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        return holds_a_role(request.user)


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
