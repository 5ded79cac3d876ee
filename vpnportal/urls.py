"""URL map of the whole site."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from vpnportal import alert_views, language_views, views
from vpnportal.login_forms import PortalAdminLoginForm, PortalLoginForm

# The admin's login says a directory problem as the portal's does (vpnportal/login_forms.py).
admin.site.login_form = PortalAdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/fragment/", views.overview_fragment, name="overview_fragment"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/", alert_views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/silence/", views.alert_silence, name="alert_silence"),
    path("audit/", views.audit_log, name="audit"),
    path("", include("devices.urls")),
    path("", include("pki.urls")),
    path("api/", include(("vpnportal.api.urls", "api"), namespace="api")),
    # Without a session: Prometheus authenticates by METRICS_TOKEN, a load balancer's probe not at all.
    path("metrics", login_not_required(views.metrics), name="metrics"),
    path("healthz", login_not_required(views.healthz), name="healthz"),
    path("readyz", login_not_required(views.readyz), name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=PortalLoginForm), name="login"),
    # The translated strings the scripts draw (static/js/*.js call gettext/interpolate): no secrets, and
    # the login page may need them before anyone is logged in.
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    # Browsers ask for /favicon.ico whatever the page says: the static file, without a login.
    path("favicon.ico", login_not_required(views.favicon), name="favicon"),
    # The language switch (a POST with the CSRF token), on the login page too.
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
