"""A staff session ends when it should: at logout, a password change or reset, deactivation,
and after the idle time; and logging in starts a new one.

Pins the attack found against gunicorn + PostGIS: a session cookie copied before logout still
opened /planning/ and the exports afterwards, because Flask's signed cookie stayed valid for
31 days whatever the server knew.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from tests.conftest import csrf_token_from
from tests.factories import STAFF_PASSWORD, add_user, log_in
from transitreq.models import User
from transitreq.web.sessions import ACTIVE_AT_KEY

SERVER_NAME = "transitreq.test"
# A page, an export and an API call: each must refuse a session that no longer counts.
STAFF_URLS = ("/planning/", "/planning/exports/requests.csv", "/api/planner/requests")


def _copy_of_the_cookie(app, client):
    """A second browser holding exactly the session cookie ``client`` holds now, as an
    attacker who copied it would."""
    name = app.config["SESSION_COOKIE_NAME"]
    stolen = app.test_client()
    stolen.set_cookie(name, client.get_cookie(name, domain=SERVER_NAME).value, domain=SERVER_NAME)
    return stolen


def _assert_let_in(client) -> None:
    for url in STAFF_URLS:
        assert client.get(url).status_code == 200, url


def _assert_refused(client) -> None:
    """Anonymous again: pages send to the login form, the API answers 401 JSON."""
    for url in STAFF_URLS:
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
            assert response.get_json()["error"]["code"] == "login_required"
        else:
            assert response.status_code == 302, url
            assert "/login?next=" in response.headers["Location"], url


def _token(client, path: str = "/planning/") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _log_in_as(client, user: User, password: str = STAFF_PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, app_session):
    log_in(client, app_session, role="planner")
    stolen = _copy_of_the_cookie(app, client)
    _assert_let_in(stolen)

    response = client.post("/logout", data={"csrf_token": _token(client)})

    assert response.status_code == 303
    _assert_refused(client)
    _assert_refused(stolen)


def test_logout_ends_every_session_of_that_person(app, client, app_session):
    """Logging out on one browser logs the same person out on their others too (documented
    in README): a session left open on a shared computer ends with the next logout anywhere."""
    planner = log_in(client, app_session, role="planner")
    laptop = app.test_client()
    assert _log_in_as(laptop, planner).status_code == 303
    colleague = app.test_client()
    log_in(colleague, app_session, role="planner")

    client.post("/logout", data={"csrf_token": _token(client)})

    _assert_refused(laptop)
    _assert_let_in(colleague)
    # Logging in again works, and is a session of its own.
    assert _log_in_as(laptop, planner).status_code == 303
    _assert_let_in(laptop)


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, app_session):
    planner = log_in(client, app_session, role="planner")
    phone = app.test_client()
    assert _log_in_as(phone, planner).status_code == 303
    copied_before = _copy_of_the_cookie(app, client)
    new_password = "a brand new passphrase"

    response = client.post(
        "/account/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": new_password,
            "new_password_again": new_password,
            "csrf_token": _token(client, "/account/password"),
        },
    )

    assert response.status_code == 303
    _assert_let_in(client)
    _assert_refused(phone)
    _assert_refused(copied_before)
    assert _log_in_as(app.test_client(), planner).status_code == 401
    assert _log_in_as(app.test_client(), planner, new_password).status_code == 303


def test_a_password_change_needs_the_current_password_and_the_new_one_twice(
    app, client, app_session
):
    planner = log_in(client, app_session, role="department")
    page = client.get("/account/password")
    assert page.status_code == 200
    # Every member of staff, department staff included, reaches it from the staff menu.
    assert 'href="/account/password"' in client.get("/").get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    attempts = {
        "current_password": ("not my password", "long enough one", "long enough one"),
        "new_password": (STAFF_PASSWORD, "short", "short"),
        "new_password_again": (STAFF_PASSWORD, "long enough one", "long enough two"),
    }
    for field, (current, new, again) in attempts.items():
        response = client.post(
            "/account/password",
            data={
                "current_password": current,
                "new_password": new,
                "new_password_again": again,
                "csrf_token": token,
            },
        )
        assert response.status_code == 422, field
        assert f'id="{field}-error"' in response.get_data(as_text=True), field
    app_session.expire_all()
    assert _log_in_as(app.test_client(), app_session.get(User, planner.id)).status_code == 303
    assert app.test_client().get("/account/password").status_code == 302


def test_deactivating_ends_the_sessions_and_reactivating_does_not_revive_them(
    app, client, app_session
):
    log_in(client, app_session, role="admin")
    planner = add_user(app_session, "planner")
    planners_browser = app.test_client()
    assert _log_in_as(planners_browser, planner).status_code == 303
    kept_copy = _copy_of_the_cookie(app, planners_browser)
    token = _token(client, "/admin/staff")

    client.post(f"/admin/staff/{planner.id}/active", data={"active": "0", "csrf_token": token})
    _assert_refused(planners_browser)

    client.post(f"/admin/staff/{planner.id}/active", data={"active": "1", "csrf_token": token})
    _assert_refused(kept_copy)
    assert _log_in_as(app.test_client(), planner).status_code == 303


def test_an_administrators_password_reset_ends_the_sessions_of_that_person(
    app, client, app_session
):
    admin = log_in(client, app_session, role="admin")
    planner = add_user(app_session, "planner")
    planners_browser = app.test_client()
    assert _log_in_as(planners_browser, planner).status_code == 303
    token = _token(client, "/admin/staff")

    short = client.post(
        f"/admin/staff/{planner.id}/password", data={"password": "short", "csrf_token": token}
    )
    own = client.post(
        f"/admin/staff/{admin.id}/password",
        data={"password": "long enough password", "csrf_token": token},
    )
    assert short.status_code == own.status_code == 422
    _assert_let_in(planners_browser)

    response = client.post(
        f"/admin/staff/{planner.id}/password",
        data={"password": "set by the administrator", "csrf_token": token},
    )

    assert response.status_code == 303
    _assert_refused(planners_browser)
    _assert_let_in(client)
    assert _log_in_as(app.test_client(), planner, "set by the administrator").status_code == 303


def test_a_session_idle_longer_than_the_limit_is_anonymous_again(app, client, app_session):
    log_in(client, app_session, role="planner")
    idle_s = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session[ACTIVE_AT_KEY] = int(time.time()) - idle_s - 60

    _assert_refused(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_activity_within_the_idle_limit_keeps_the_session_and_is_recorded(app, client, app_session):
    log_in(client, app_session, role="planner")
    idle_s = app.config["SESSION_IDLE_MINUTES"] * 60
    nearly_idle = int(time.time()) - idle_s + 120
    with client.session_transaction() as session:
        session[ACTIVE_AT_KEY] = nearly_idle

    _assert_let_in(client)
    with client.session_transaction() as session:
        assert session[ACTIVE_AT_KEY] >= int(time.time()) - 5


def test_the_session_cookie_expires_with_the_idle_time(app, client, app_session):
    """The browser forgets the cookie when the server would refuse it anyway."""
    assert app.permanent_session_lifetime == timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    user = add_user(app_session)
    response = _log_in_as(client, user)
    expires = re.search(r"Expires=([^;]+)", response.headers["Set-Cookie"]).group(1)
    expires_at = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    expected = datetime.now(UTC) + app.permanent_session_lifetime
    assert abs((expires_at - expected).total_seconds()) < 60


def test_logging_in_renews_the_session_and_its_csrf_token(app, client, app_session):
    """A token (and the session it belongs to) seen before login is worthless after it: a
    session planted before login, or a token read from the login page, gains nothing."""
    user = add_user(app_session)
    before_login = _token(client, "/login")
    with client.session_transaction() as session:
        secret_before = session["csrf_token"]
        session["planted"] = "by someone else"

    response = client.post(
        "/login",
        data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": before_login},
    )
    assert response.status_code == 303
    after_login = _token(client)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf_token"] != secret_before
    refused = client.post("/logout", data={"csrf_token": before_login})
    assert refused.status_code == 400
    _assert_let_in(client)
    assert client.post("/logout", data={"csrf_token": after_login}).status_code == 303
