"""Page routes of the pki app (issue 8 adds `enroll` here)."""

from __future__ import annotations

from django.urls import include, path

from pki import views

app_name = "pki"
urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("crls/", views.crl_list, name="crl_list"),
    path("", include("pki.urls_enroll")),
]
