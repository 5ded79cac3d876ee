"""The API's own pages: the root, /api/docs/ (Swagger UI from local files), the schema as a page, the favicon."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def test_the_docs_page_loads_swagger_from_local_files_without_inline_script(api: Client) -> None:
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in s for s in scripts), scripts  # nothing inline
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "js/api-docs.js" in html and 'data-schema-url="/api/schema/?format=json"' in html
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    assert " style=" not in html
    assert 'href="/api/docs/"' in html  # the menu links it


def test_the_schema_is_a_page_for_a_browser_and_yaml_or_json_for_clients(api: Client) -> None:
    page = api.get("/api/schema/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in page
    assert "openapi: 3" in page.content.decode() and "/api/devices/" in page.content.decode()
    yaml = api.get("/api/schema/", HTTP_ACCEPT="*/*")
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert api.get("/api/schema/?format=json").json()["openapi"].startswith("3")


def test_the_api_root_says_what_each_list_is_and_links_the_docs(api: Client) -> None:
    data = api.get("/api/", HTTP_ACCEPT="application/json").json()
    assert data["docs"].endswith("/api/docs/") and data["schema"].endswith("/api/schema/")
    assert data["devices"].endswith("/api/devices/")
    html = api.get("/api/", HTTP_ACCEPT="text/html").content.decode()
    assert "basic root view" not in html.lower()
    assert 'href="/api/docs/"' in html and "?format=csv" in html
    assert "<style>" not in html and ' style="' not in html


def test_the_docs_need_a_role(db: None) -> None:
    from tests.conftest import make_user

    client = Client()
    assert client.get("/api/docs/").status_code == 302  # to the login page
    client.force_login(make_user("nobody", None))
    assert client.get("/api/docs/").status_code == 403


def test_the_favicon_answers_without_a_login(db: None) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")


def test_each_list_keeps_its_own_description_in_the_schema(api: Client) -> None:
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert paths["/api/devices/"]["get"]["description"].startswith("Devices and how their last poll went")
    assert paths["/api/alerts/"]["get"]["description"].startswith("Alerts, newest first")
    formats = next(p for p in paths["/api/devices/"]["get"]["parameters"] if p["name"] == "format")
    assert "csv" in formats["schema"]["enum"]
