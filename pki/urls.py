"""Page routes of the pki app: certificates, CRLs, and re-enrollment."""

from __future__ import annotations

from django.urls import path

from pki import views

app_name = "pki"
urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/timeline/", views.certificate_timeline, name="certificate_timeline"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("crls/", views.crl_list, name="crl_list"),
    path("enroll/", views.enroll, name="enroll"),
    path("enrollments/", views.enrollment_list, name="enrollment_list"),
    path("enrollments/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
]
