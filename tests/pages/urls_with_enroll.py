"""The site's URLs plus a stand-in `pki:enroll`, as issue 8 will add it."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from pki.urls import urlpatterns as pki_patterns
from vpnportal.urls import urlpatterns as site_patterns

pki_with_enroll = [*pki_patterns, path("enroll/", lambda request: HttpResponse("enroll"), name="enroll")]
urlpatterns = [p for p in site_patterns if getattr(p, "namespace", None) != "pki"]
urlpatterns.append(path("", include((pki_with_enroll, "pki"), namespace="pki")))
