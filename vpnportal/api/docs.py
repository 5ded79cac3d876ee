"""The API's own pages: the root, Swagger UI at /api/docs/ and the schema readable in a browser.

Everything is served from pinned local files (drf-spectacular-sidecar's Swagger UI, our initialiser in
static/js/api-docs.js) inside the site's CSP: no inline script or style, no CDN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import APIRootView

from vpnportal.api.permissions import RolePermission, holds_a_role

# What each endpoint of the root is for, in the words of docs/api.md.
ENDPOINTS = {
    "devices": gettext_lazy("devices and how their last poll went"),
    "tunnels": gettext_lazy(
        "tunnels with both ends, their SAs and counters; /history/ for a counter's time series"
    ),
    "findings": gettext_lazy("diagnosis findings of devices and tunnels"),
    "certificates": gettext_lazy("certificates devices hold, soonest to expire first"),
    "crls": gettext_lazy("CRLs devices hold, soonest NextUpdate first"),
    "alerts": gettext_lazy("alerts; POST /acknowledge/ (operators)"),
    "enrollments": gettext_lazy("certificate re-enrollment jobs (operators)"),
}


class ApiRootView(APIRootView):
    """The root of /api/: every list with what it is for, the documentation and the schema."""

    def get_view_name(self) -> str:
        """The title of the browsable page."""
        return "vpnportal API"

    def get_view_description(self, html: bool = False) -> str:
        """A short guide instead of DRF's generic text (links in the browsable page)."""
        if not html:
            return gettext(
                "IPsec tunnels, certificates, CRLs, alerts and re-enrollment. Documentation: /api/docs/."
            )
        items = format_html_join(
            "", "<li><code>{}</code>: {}</li>", ((f"/api/{name}/", what) for name, what in ENDPOINTS.items())
        )
        guide = gettext(
            "<p>IPsec tunnels, certificates, CRLs, alerts and re-enrollment, read by session or "
            "<code>Authorization: Token &lt;key&gt;</code>. Every list takes <code>?q=</code> (search), its "
            "filters, <code>?ordering=</code>, <code>?limit=</code>/<code>?offset=</code> and "
            "<code>?format=csv</code> (the whole filtered list as CSV).</p>"
        )
        return format_html(
            '{}<p><a class="btn btn-primary" href="{}">{}</a> <a class="btn btn-default" href="{}">{}</a></p>'
            "<ul>{}</ul>",
            mark_safe(guide),  # noqa: S308 - our own catalogue's text, no user input
            reverse("api:docs"),
            gettext("API documentation"),
            reverse("api:schema"),
            gettext("OpenAPI schema"),
            items,
        )

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The endpoints' URLs, plus the documentation and the schema."""
        response = super().get(request, *args, **kwargs)
        response.data["docs"] = request.build_absolute_uri(reverse("api:docs"))
        response.data["schema"] = request.build_absolute_uri(reverse("api:schema"))
        return response


class SchemaPageRenderer(BaseRenderer):
    """The YAML schema inside a page, for a browser (which would download application/vnd.oai.openapi)."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> str:
        """The schema as YAML text in the site's layout, with links to the JSON and the docs."""
        context = renderer_context or {}
        request = context.get("request")
        text = OpenApiYamlRenderer().render(data, renderer_context=dict(context)).decode()
        django_request = getattr(request, "_request", request)
        return render_to_string("api/schema.html", {"schema_text": text}, request=django_request)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: YAML or JSON for clients (`?format=json`), a readable page for a browser."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, SchemaPageRenderer]
    permission_classes = [RolePermission]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A page is shown, not saved: no attachment header on the HTML answer."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "accepted_renderer", None).__class__ is SchemaPageRenderer:
            response.headers.pop("Content-Disposition", None)
        return response


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI over /api/schema/, from the pinned sidecar files and static/js/api-docs.js."""
    if not holds_a_role(request.user):
        raise PermissionDenied
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema") + "?format=json"})
