"""Directory logins against a real OpenLDAP: roles from the groups at each login, clear refusals, no 500."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.models import Device
from pki.enrollment_requests import ENROLL_PERMISSION
from pki.models import Trustpoint
from tests.auth.conftest import Directory, log_in, logged_in, point_at
from tests.auth.ldap_server import running_slapd, slapd_available
from tests.conftest import PASSWORD, make_user
from vpnportal.directory import NO_ROLE, UNREACHABLE
from vpnportal.login_forms import INVALID_LOGIN
from vpnportal.models import AuditEntry
from vpnportal.roles import ADMIN, OPERATOR, VIEWER

pytestmark = pytest.mark.integration

DIRECTORY_PASSWORD = "directory-pass-7Qx!"


def roles_of(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


@pytest.fixture
def router(db: None) -> Device:
    device = Device.objects.create(name="1720-1", host="127.0.0.1", platform="cisco_ios", username="cisco")
    Trustpoint.objects.create(device=device, name="vpn", present=True)
    return device


def test_it_logs_in_a_directory_operator_who_can_re_enroll(
    directory: Directory,
    router: Device,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    uid = directory.person("olga", DIRECTORY_PASSWORD, directory.operators)
    client = Client()
    response = log_in(client, uid, DIRECTORY_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in(client)
    user = User.objects.get(username=uid)
    assert roles_of(uid) == {OPERATOR}
    assert user.email == f"{uid}@example.net" and not user.has_usable_password()
    assert user.has_perm(ENROLL_PERMISSION) and not user.is_staff
    # The enroll page's own permission check lets them in, and the API queues the enrollment.
    assert client.get(f"/enroll/?device={router.pk}").status_code == 200
    queued: list[int] = []
    monkeypatch.setattr("pki.enrollment_requests.enqueue_enrollment", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/enrollments/",
            {"device": "1720-1", "trustpoint": "vpn", "challenge_password": "Ch4llenge-2002!x"},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    assert len(queued) == 1
    assert AuditEntry.objects.filter(verb="directory roles", username=uid).exists()


def test_it_refuses_a_directory_user_in_no_group_with_a_clear_message(directory: Directory) -> None:
    uid = directory.person("nobody", DIRECTORY_PASSWORD)
    client = Client()
    response = log_in(client, uid, DIRECTORY_PASSWORD)
    assert response.status_code == 200
    assert NO_ROLE.replace("'", "&#x27;") in response.content.decode()
    assert not logged_in(client)
    assert not User.objects.filter(username=uid).exists()


def test_it_refuses_a_wrong_directory_password_like_any_wrong_password(directory: Directory) -> None:
    uid = directory.person("wrong", DIRECTORY_PASSWORD, directory.viewers)
    client = Client()
    wrong = log_in(client, uid, "not-the-password")
    unknown = log_in(client, "no-such-user-anywhere", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert INVALID_LOGIN.replace("'", "&#x27;") in response.content.decode()
        assert NO_ROLE.replace("'", "&#x27;") not in response.content.decode()
    assert not logged_in(client)


def test_it_re_reads_the_groups_at_each_login(directory: Directory) -> None:
    uid = directory.person("rhea", DIRECTORY_PASSWORD, directory.operators)
    client = Client()
    assert log_in(client, uid, DIRECTORY_PASSWORD).status_code == 302
    assert roles_of(uid) == {OPERATOR}
    dn = f"uid={uid},ou=people,dc=example,dc=net"
    directory.server.remove_member(directory.operators, dn)
    directory.server.add_member(directory.viewers, dn)
    client.post("/accounts/logout/")
    assert log_in(client, uid, DIRECTORY_PASSWORD).status_code == 302
    assert roles_of(uid) == {VIEWER}
    assert not User.objects.get(username=uid).has_perm(ENROLL_PERMISSION)
    assert client.get("/enroll/?device=1").status_code == 403
    # Out of every group: the next login is refused and the last role is gone too.
    directory.server.remove_member(directory.viewers, dn)
    client.post("/accounts/logout/")
    response = log_in(client, uid, DIRECTORY_PASSWORD)
    assert response.status_code == 200 and not logged_in(client)
    assert roles_of(uid) == set()


def test_it_makes_directory_admins_staff_and_takes_it_back(directory: Directory) -> None:
    uid = directory.person("adam", DIRECTORY_PASSWORD, directory.admins)
    client = Client()
    assert log_in(client, uid, DIRECTORY_PASSWORD).status_code == 302
    user = User.objects.get(username=uid)
    assert roles_of(uid) == {ADMIN} and user.is_staff and not user.is_superuser
    assert client.get("/admin/").status_code == 200
    dn = f"uid={uid},ou=people,dc=example,dc=net"
    directory.server.remove_member(directory.admins, dn)
    directory.server.add_member(directory.operators, dn)
    client.post("/accounts/logout/")
    assert log_in(client, uid, DIRECTORY_PASSWORD).status_code == 302
    user.refresh_from_db()
    assert roles_of(uid) == {OPERATOR} and not user.is_staff
    assert client.get("/admin/").status_code == 302


def test_it_logs_in_through_the_admin_login_too(directory: Directory) -> None:
    uid = directory.person("ada", DIRECTORY_PASSWORD, directory.admins)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": uid, "password": DIRECTORY_PASSWORD})
    assert response.status_code == 302 and logged_in(client)


def test_it_never_lets_a_directory_entry_take_over_a_local_account(directory: Directory) -> None:
    local = make_user("carol-local", OPERATOR)
    directory.server.add_person(local.username, DIRECTORY_PASSWORD)
    directory.server.add_member(directory.admins, f"uid={local.username},ou=people,dc=example,dc=net")
    client = Client()
    response = log_in(client, local.username, DIRECTORY_PASSWORD)
    assert response.status_code == 200 and not logged_in(client)
    assert roles_of(local.username) == {OPERATOR}
    assert log_in(client, local.username, PASSWORD).status_code == 302
    assert roles_of(local.username) == {OPERATOR}


def test_it_says_the_directory_is_down_and_local_accounts_still_work(settings: Any, db: None) -> None:
    if not slapd_available():
        pytest.skip("Debian's slapd is not installed (make system-packages)")
    local = make_user("lena-local", VIEWER)
    with running_slapd() as server:
        operators = server.add_group("vpn-operators", [])
        point_at(settings, server, operator=operators)
        uid = "dora"
        server.add_member(operators, server.add_person(uid, DIRECTORY_PASSWORD))
        assert log_in(Client(), uid, DIRECTORY_PASSWORD).status_code == 302
        server.stop()
        client = Client()
        response = log_in(client, uid, DIRECTORY_PASSWORD)
        assert response.status_code == 200, response.status_code
        assert UNREACHABLE in response.content.decode()
        assert not logged_in(client)
        admin = client.post("/admin/login/?next=/admin/", {"username": uid, "password": DIRECTORY_PASSWORD})
        assert admin.status_code == 200 and UNREACHABLE in admin.content.decode()
        assert log_in(client, local.username, PASSWORD).status_code == 302
        assert logged_in(client)


def test_it_follows_nested_active_directory_groups(settings: Any, slapd: Any, db: None) -> None:
    team = slapd.add_group("noc-team-ad", [], object_class="group")
    operators = slapd.add_group("vpn-operators-ad", [team], object_class="group")
    point_at(settings, slapd, group_type="activeDirectory", operator=operators)
    dn = slapd.add_person("nestor", DIRECTORY_PASSWORD)
    slapd.add_member(team, dn)
    client = Client()
    assert log_in(client, "nestor", DIRECTORY_PASSWORD).status_code == 302
    assert roles_of("nestor") == {OPERATOR}


@pytest.mark.parametrize("mode", ["starttls", "ldaps"])
def test_it_logs_in_over_tls_with_the_directory_ca(mode: str, settings: Any, db: None) -> None:
    if not slapd_available():
        pytest.skip("Debian's slapd is not installed (make system-packages)")
    with running_slapd(tls=True) as server:
        operators = server.add_group("vpn-operators", [])
        server.add_member(operators, server.add_person("tilda", DIRECTORY_PASSWORD))
        uri = server.uri if mode == "starttls" else server.ldaps_uri
        start_tls = mode == "starttls"
        # Without the CA the certificate is not trusted: refused, and said like an unreachable directory.
        point_at(settings, server, uri=uri, start_tls=start_tls, operator=operators)
        refused = log_in(Client(), "tilda", DIRECTORY_PASSWORD)
        assert refused.status_code == 200 and UNREACHABLE in refused.content.decode()
        point_at(settings, server, uri=uri, start_tls=start_tls, ca_file=server.ca_file, operator=operators)
        client = Client()
        assert log_in(client, "tilda", DIRECTORY_PASSWORD).status_code == 302
        assert roles_of("tilda") == {OPERATOR}


def test_it_refuses_a_directory_user_deactivated_in_the_admin(directory: Directory) -> None:
    uid = directory.person("ivan", DIRECTORY_PASSWORD, directory.viewers)
    assert log_in(Client(), uid, DIRECTORY_PASSWORD).status_code == 302
    User.objects.filter(username=uid).update(is_active=False)
    client = Client()
    response = log_in(client, uid, DIRECTORY_PASSWORD)
    assert response.status_code == 200 and not logged_in(client)


def test_it_gives_up_on_a_directory_that_accepts_but_never_answers(
    settings: Any, slapd: Any, db: None
) -> None:
    # A hung server (or a firewall that swallows replies): connections are accepted, nothing comes back.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(silent.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        point_at(settings, slapd, uri=f"ldap://127.0.0.1:{silent.getsockname()[1]}", timeout_seconds=2)
        client = Client()
        response = log_in(client, "anyone", DIRECTORY_PASSWORD)
        assert response.status_code == 200
        assert UNREACHABLE in response.content.decode() and not logged_in(client)
    finally:
        silent.close()
        for conn in held:
            conn.close()
