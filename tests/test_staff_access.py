"""Staff log in; planner pages and staff API calls are closed to everyone else."""

from __future__ import annotations

import re

import pytest

from tests.factories import STAFF_PASSWORD, add_user, log_in
from transitreq.errors import ValidationFailed
from transitreq.models import Role, User
from transitreq.services.accounts.logins import LoginRefused, authenticate
from transitreq.services.accounts.staff import NewUser, create_user

# Every URL prefix that serves staff only; each rule under them must refuse strangers.
STAFF_PREFIXES = ("/planning", "/admin", "/api/planner")


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(STAFF_PREFIXES):
            values = {
                argument: "SR-2026-000001" if "reference" in argument else "1"
                for argument in rule.arguments
            }
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, rule.rule.replace("<", "{").replace(">", "}"), values


def test_no_staff_route_is_reachable_anonymously_or_by_department_staff(app, client, app_session):
    rules = list(_staff_rules(app))
    assert rules, "the planner pages are registered"
    with app.test_request_context():
        from flask import url_for

        urls = [
            (method, url_for(rule.endpoint, **values), rule.rule)
            for rule, method, _, values in rules
        ]
    for method, url, rule in urls:
        response = client.open(url, method=method)
        if rule.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert response.get_json()["error"]["code"] == "login_required"
        elif method == "GET":
            assert response.status_code == 302, (method, url)
            assert "/login?next=" in response.headers["Location"]
        else:
            # A POST without a session fails CSRF or login first: never a change.
            assert response.status_code in (302, 400), (method, url)
    log_in(client, app_session, role="department")
    for method, url, _rule in urls:
        if method == "GET":
            assert client.open(url, method=method).status_code == 403, (method, url)


def test_planner_logs_in_reaches_planning_and_logs_out(client, app_session):
    user = log_in(client, app_session, role="planner")
    assert client.get("/planning/evaluate").status_code == 200
    page = client.get("/planning/evaluate").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/planning/evaluate").status_code == 302
    app_session.refresh(user)
    assert user.last_login_at is not None


def test_session_cookie_is_httponly_and_samesite(client, app_session):
    user = add_user(app_session)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_form_without_csrf_token_is_refused(client, app_session):
    user = add_user(app_session)
    response = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 400


def test_passwords_are_hashed_and_accounts_validated(session):
    user = add_user(session)
    assert STAFF_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    with pytest.raises(ValidationFailed) as refusal:
        create_user(session, NewUser("not-an-email", "", "boss", "short", ""))
    assert set(refusal.value.fields) == {"email", "name", "role", "password"}
    with pytest.raises(ValidationFailed) as duplicate:
        create_user(session, NewUser(user.email.upper(), "Again", "planner", "x" * 12))
    assert "exists" in duplicate.value.fields["email"]
    with pytest.raises(ValidationFailed) as homeless:
        create_user(session, NewUser("d@city.example", "Dee", "department", "x" * 12))
    assert "department" in homeless.value.fields


def test_login_redirects_only_within_the_site(client, app_session):
    user = add_user(app_session)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login?next=https://evil.example/phish",
        data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].startswith("/planning")


def test_create_user_command(app, app_session):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "Lead@City.Example",
            "--name",
            "Lea Lead",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    app_session.expire_all()
    user = app_session.query(User).filter_by(email="lead@city.example").one()
    assert user.role is Role.ADMIN
    bad = app.test_cli_runner().invoke(
        args=["create-user", "x@city.example", "--name", "X", "--password", "short"]
    )
    assert bad.exit_code == 1 and "password" in bad.output


def test_admin_manages_accounts_and_departments_in_the_ui(app, client, app_session):
    admin = log_in(client, app_session, role="admin")
    page = client.get("/admin/staff").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    added = client.post("/admin/departments", data={"name": "Landscaping", "csrf_token": token})
    created = client.post(
        "/admin/staff",
        data={
            "name": "Dana Dept",
            "email": "dana@city.example",
            "role": "department",
            "department": "Landscaping",
            "password": "long enough secret",
            "csrf_token": token,
        },
    )
    refused = client.post(
        "/admin/staff",
        data={"name": "", "email": "bad", "role": "planner", "password": "x", "csrf_token": token},
    )
    assert added.status_code == created.status_code == 303
    assert refused.status_code == 422
    assert "is not an e-mail address" in refused.get_data(as_text=True)
    app_session.expire_all()
    dana = app_session.query(User).filter_by(email="dana@city.example").one()
    assert dana.department.name == "Landscaping" and dana.role is Role.DEPARTMENT

    client.post(f"/admin/staff/{dana.id}/active", data={"active": "0", "csrf_token": token})
    self_lockout = client.post(
        f"/admin/staff/{admin.id}/active", data={"active": "0", "csrf_token": token}
    )
    assert self_lockout.status_code == 422
    app_session.expire_all()
    assert app_session.get(User, dana.id).active is False
    with pytest.raises(LoginRefused):
        authenticate(
            app_session,
            "dana@city.example",
            "long enough secret",
            "127.0.0.1",
            app.extensions["transitreq.settings"].logins,
        )


def test_planners_cannot_reach_the_admin_pages(client, app_session):
    log_in(client, app_session, role="planner")
    assert client.get("/admin/staff").status_code == 403


def test_staff_see_their_navigation_and_residents_do_not(client, app_session):
    assert "Log out" not in client.get("/").get_data(as_text=True)
    log_in(client, app_session, role="admin")
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page and 'href="/admin/staff"' in page and 'href="/planning/"' in page
