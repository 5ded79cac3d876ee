"""Page routes of re-enrollment, included into the `pki` namespace by pki/urls.py."""

from __future__ import annotations

from django.urls import path

from pki import views_enroll

urlpatterns = [
    path("enroll/", views_enroll.enroll, name="enroll"),
    path("enrollments/<int:pk>/", views_enroll.enrollment_detail, name="enrollment_detail"),
]
