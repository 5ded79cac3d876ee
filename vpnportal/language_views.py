"""The language switch of the top bar and the login page (templates/includes/language_switch.html)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from vpnportal.language import choose_language
from vpnportal.models import language_choices


class LanguageForm(forms.Form):
    """The switch's one field: a code of settings.LANGUAGES (Django's own view would take any it knows)."""

    language = forms.ChoiceField(choices=language_choices)


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch to the posted language and go back to `next` (a page of this site only).

    The CSRF middleware guards it like every POST; Django's set_language sets the language cookie and
    checks `next` (another host or scheme falls back on the Referer, then on /).
    """
    form = LanguageForm(request.POST)
    if not form.is_valid():
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        return HttpResponseBadRequest(
            gettext("Unknown language: choose one of %(codes)s.") % {"codes": codes},
            content_type="text/plain; charset=utf-8",
        )
    choose_language(request, form.cleaned_data["language"])
    return django_set_language(request)
