"""The login forms of the portal and of the admin site: a directory problem is said as such."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy, gettext_noop

from vpnportal.login_problems import login_problem

# The same words for a wrong password and an unknown user: the page never says which accounts exist.
# English here (tests and logs compare it); the form says it in the reader's language.
INVALID_LOGIN = gettext_noop("Your username and password didn't match. Please try again.")


class PortalLoginForm(AuthenticationForm):
    """Django's login form; a directory that is down, or a directory user with no role, is named."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": gettext_lazy(INVALID_LOGIN)}

    def get_invalid_login_error(self) -> ValidationError:
        """The backend's reason when it gave one, else the wrong-password message."""
        problem = login_problem(self.request)
        if problem:
            return ValidationError(problem, code="login_problem")
        return super().get_invalid_login_error()


class PortalAdminLoginForm(AdminAuthenticationForm):
    """The admin site's login form, with the same messages."""

    def get_invalid_login_error(self) -> ValidationError:
        """The backend's reason when it gave one, else the admin's wrong-password message."""
        problem = login_problem(self.request)
        if problem:
            return ValidationError(problem, code="login_problem")
        return super().get_invalid_login_error()
