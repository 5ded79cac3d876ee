"""Lists: `?q=` search, filters and ordering on the API and the pages, and `?format=csv` on every API list."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.models import Device
from pki.models import Enrollment
from tests.pages.seed import Seed
from vpnportal.api.csv_export import cell, value_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def rows(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def header(client: Client, url: str) -> list[str]:
    return next(csv.reader(io.StringIO(client.get(url).content.decode())))


def test_it_searches_every_list_with_q(api: Client, seed: Seed) -> None:
    def names(url: str, key: str = "id") -> list[object]:
        response = api.get(url)
        assert response.status_code == 200, response.content[:300]
        return [row[key] for row in response.json()["results"]]

    assert names("/api/devices/?q=pix", "name") == ["pix520-1"]
    assert names("/api/devices/?q=PIX 520", "name") == ["pix520-1"]  # every word, any case
    assert names("/api/devices/?q=nothing-like-it", "name") == []
    assert names("/api/tunnels/?q=pix520", "name") == ["hq-branch"]  # an end's name
    assert names("/api/tunnels/?q=mirrored", "name") == ["hq-branch"]  # the status reason
    assert names("/api/certificates/?q=1720-1.cisco.com", "serial") == ["3B2FD652"]
    assert names("/api/certificates/?q=3B2FD652 1720", "serial") == ["3B2FD652"]
    assert names("/api/crls/?q=pix520", "device") == ["pix520-1"]
    assert names("/api/alerts/?q=expires 20 days", "id") == [seed.alert.pk]


def test_it_answers_the_whole_filtered_list_as_csv_with_a_header_row(api: Client, seed: Seed) -> None:
    devices = rows(api, "/api/devices/?format=csv")
    assert [d["name"] for d in devices] == ["1720-1", "pix520-1"]
    assert devices[0]["last_poll.status"] and devices[0]["platform"] == "cisco_ios"
    tunnels = rows(api, "/api/tunnels/?format=csv")
    assert tunnels[0]["name"] == "hq-branch"
    assert (tunnels[0]["ends.0.device"], tunnels[0]["ends.1.device"]) == ("1720-1", "pix520-1")
    certs = rows(api, "/api/certificates/?format=csv&device=1720-1&role=identity")
    assert [c["serial"] for c in certs] == ["3B2FD652"] and certs[0]["days_left"] == "20"
    assert len(rows(api, "/api/crls/?format=csv")) == 2
    alerts = rows(api, "/api/alerts/?format=csv&category=resolved")
    assert [int(a["id"]) for a in alerts] == [seed.resolved_alert.pk]
    # Not one page: every row, even past ?limit=.
    for i in range(3):
        Device.objects.create(name=f"extra-{i}", host=f"10.1.0.{i}", platform="cisco_ios", username="u")
    assert len(rows(api, "/api/devices/?format=csv&limit=1")) == 5
    response = api.get("/api/devices/?format=csv")
    assert 'filename="devices.csv"' in response["Content-Disposition"]


def test_an_empty_csv_still_has_its_header_row(api: Client, seed: Seed, operator: User) -> None:
    assert rows(api, "/api/devices/?format=csv&q=nothing-like-it") == []
    assert header(api, "/api/devices/?format=csv&q=nothing-like-it")[:3] == ["id", "name", "host"]
    assert header(api, "/api/certificates/?format=csv&q=zzz")[:3] == ["id", "device", "trustpoint"]
    client = Client()
    client.force_login(operator)
    assert not Enrollment.objects.exists()
    assert "state" in header(client, "/api/enrollments/?format=csv")


def test_csv_keeps_the_lists_errors_and_permissions(api: Client, seed: Seed) -> None:
    response = api.get("/api/tunnels/?format=csv&status=bogus")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[1].startswith("status,")
    assert api.get("/api/enrollments/?format=csv").status_code == 403  # viewers read no enrollments
    assert Client().get("/api/devices/?format=csv").status_code in (401, 403)


def test_the_alert_category_filter_matches_the_pages_tabs(api: Client, seed: Seed, operator: User) -> None:
    from vpnportal.alerting import actions
    from vpnportal.models import Alert

    def ids(category: str) -> list[int]:
        return [int(a["id"]) for a in rows(api, f"/api/alerts/?format=csv&category={category}")]

    assert ids("open") == [seed.alert.pk]
    actions.acknowledge_alert(Alert.objects.get(pk=seed.alert.pk), operator)
    assert ids("open") == [] and ids("acknowledged") == [seed.alert.pk]
    assert api.get("/api/alerts/?category=bogus").status_code == 400


def test_ordering_sorts_across_pages(api: Client, seed: Seed) -> None:
    first = api.get("/api/certificates/?ordering=-valid_to&limit=1").json()["results"]
    assert first[0]["serial"] == "3B2FD307"  # the CA certificate, furthest expiry
    by_skew = [d["name"] for d in api.get("/api/devices/?ordering=-clock_skew").json()["results"]]
    assert by_skew == ["pix520-1", "1720-1"]


def test_csv_cells_are_safe_for_spreadsheets() -> None:
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell(-1) == "-1" and cell(None) == "" and cell(True) == "true"
    assert cell({"a": 1}) == '{"a": 1}'
    assert value_at({"ends": [{"device": "x"}]}, "ends.0.device") == "x"
    assert value_at({"ends": []}, "ends.1.device") is None


def test_the_pages_search_filter_sort_and_link_their_csv(api: Client, seed: Seed) -> None:
    html = api.get("/devices/?q=pix").content.decode()
    assert 'data-device="pix520-1"' in html and 'data-device="1720-1"' not in html
    assert 'href="/api/devices/?q=pix&amp;format=csv"' in html
    html = api.get("/certificates/?role=identity&ordering=-valid_to").content.decode()
    assert html.index("3B2FD653") < html.index("3B2FD652")  # 65 days before 20 days: descending
    assert "3B2FD319" not in html  # the RA certificates are filtered out
    assert 'aria-sort="descending"' in html
    assert "/api/certificates/?role=identity&amp;ordering=-valid_to&amp;format=csv" in html
    html = api.get("/alerts/?state=resolved&q=timed").content.decode()
    assert f'data-alert-id="{seed.resolved_alert.pk}"' in html
    assert "/api/alerts/?q=timed&amp;category=resolved&amp;format=csv" in html
    assert 'type="hidden" name="state" value="resolved"' in html  # the form keeps the tab
    html = api.get("/tunnels/?q=nothing-like-it").content.decode()
    assert 'data-tunnel="hq-branch"' not in html and "/api/tunnels/?q=nothing-like-it&amp;format=csv" in html
    html = api.get("/crls/?device=pix520-1").content.decode()
    assert html.count("data-crl-id=") == 1


def test_a_bad_filter_value_on_a_page_is_reported_not_a_400(api: Client, seed: Seed) -> None:
    response = api.get("/certificates/?expires_within_days=soon")
    assert response.status_code == 200
    html = response.content.decode()
    assert "expires_within_days:" in html and "(ignored)" in html
    assert "3B2FD652" in html  # the list is shown unfiltered by the bad value


def test_a_sorted_page_list_is_sorted_across_its_pages(
    api: Client, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pki.views.PAGE_SIZE", 2)

    def serials(url: str) -> list[str]:
        html = api.get(url).content.decode()
        return re.findall(r"<code>([0-9A-F]{8})</code>", html)

    first = serials("/certificates/?ordering=-valid_to")
    second = serials("/certificates/?ordering=-valid_to&page=2")
    # The two CA certificates (500 days) lead the whole list; page 2 goes on with pix520-1's (65 days).
    assert first == ["3B2FD307", "3B2FD307"] and second[0] == "3B2FD653"
    html = api.get("/certificates/?ordering=-valid_to").content.decode()
    assert 'href="?ordering=-valid_to&amp;page=2"' in html  # the pager keeps the order


def test_the_csv_link_carries_only_what_the_api_list_knows(api: Client, seed: Seed) -> None:
    html = api.get("/alerts/?tab=resolved&utm=x&q=timed").content.decode()
    link = re.search(r'class="csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert link == "/api/alerts/?q=timed&category=open&format=csv"
    assert api.get(link).status_code == 200
