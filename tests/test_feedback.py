"""Once their stop is in service, residents leave feedback or thanks on the tracking page; a
planner reads it before anyone else does."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    approve_request,
    file_request,
    log_in,
    offset,
    take_to_stage,
)
from transitreq import create_app
from transitreq.errors import NotPermitted
from transitreq.models import Audience, Event, Feedback, FeedbackState
from transitreq.services.requests import decisions
from transitreq.services.requests.feedback import leave_feedback, moderate


def _stop_in_service(session, **overrides):
    planner = add_user(session, "planner")
    project = approve_request(session, planner, **overrides)
    return take_to_stage(session, project, planner, "in_service")


def _feedback_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Feedback))


def _leave(client, reference: str, **fields):
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    return client.post(
        f"/requests/{reference}/feedback", data={"csrf_token": csrf_token_from(page), **fields}
    )


def _feedback_list(page: str) -> str:
    match = re.search(r'<ul class="feedback-list" id="feedback-list">(.*?)</ul>', page, re.DOTALL)
    assert match, "no #feedback-list on the page"
    return match.group(1)


def _moderate_on_the_page(client, feedback_id: int, decision: str):
    queue = client.get("/planning/feedback/").get_data(as_text=True)
    return client.post(
        f"/planning/feedback/{feedback_id}/{decision}",
        data={"csrf_token": csrf_token_from(queue)},
    )


def test_resident_thanks_planner_publishes_and_everyone_reads_it(app, client, app_session):
    add_service_area(app_session)
    project = _stop_in_service(app_session)
    reference = project.requests[0].reference
    thanks = "My mother takes the 7 to the clinic now. Thank you!"

    sent = _leave(client, reference, body=thanks, name="Aino")

    assert sent.status_code == 303
    after = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "once a planner has read it" in after
    assert thanks not in after  # pending: not shown yet
    (stored,) = app_session.scalars(select(Feedback)).all()
    assert (stored.state, stored.name, stored.body) == (FeedbackState.PENDING, "Aino", thanks)

    planner_browser = app.test_client()
    planner = log_in(planner_browser, app_session)
    queue = planner_browser.get("/planning/feedback/").get_data(as_text=True)
    assert thanks in queue and f'href="/requests/{reference}"' in queue
    assert "1</strong> message waits" in queue

    published = _moderate_on_the_page(planner_browser, stored.id, "publish")

    assert published.status_code == 303
    app_session.expire_all()
    decided = app_session.get(Feedback, stored.id)
    assert decided.state is FeedbackState.PUBLISHED
    assert decided.moderated_by_user_id == planner.id and decided.moderated_at is not None
    audit = app_session.scalars(select(Event).where(Event.kind == "feedback_published")).one()
    assert (audit.audience, audit.user_id) == (Audience.INTERNAL, planner.id)
    shown = _feedback_list(client.get(f"/requests/{reference}").get_data(as_text=True))
    assert thanks in shown and "Aino" in shown
    assert f"{decided.created_at:%d %b %Y}" in shown
    queue = planner_browser.get("/planning/feedback/").get_data(as_text=True)
    assert f"Published by {planner.name}" in queue


def test_only_published_feedback_shows_from_every_request_of_the_stop(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    first = file_request(app_session)
    neighbour = file_request(app_session, title="Kiosk stop", point=offset(RAILWAY_SQUARE, 90, 80))
    project = decisions.approve(
        app_session, first.reference, first.version, planner, RAILWAY_SQUARE, link_radius_m=150
    )
    take_to_stage(app_session, project, planner, "in_service")
    kept = leave_feedback(app_session, neighbour.reference, "Shelter is great.")
    hidden = leave_feedback(app_session, first.reference, "Rude words about a neighbour.")
    leave_feedback(app_session, first.reference, "Still waiting to be read.")
    moderate(app_session, kept.id, planner, "publish")
    moderate(app_session, hidden.id, planner, "hide")

    for reference in (first.reference, neighbour.reference):
        page = client.get(f"/requests/{reference}").get_data(as_text=True)
        shown = _feedback_list(page)
        assert "Shelter is great." in shown and "A resident" in shown
        assert "Rude words" not in page and "Still waiting to be read." not in page


def test_feedback_is_refused_before_the_stop_is_in_service(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    take_to_stage(app_session, project, planner, "construction")
    reference = project.requests[0].reference
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    assert 'id="feedback-form"' not in page

    refused = client.post(
        f"/requests/{reference}/feedback",
        data={"csrf_token": csrf_token_from(page), "body": "Too early."},
    )

    assert refused.status_code == 409
    assert "Feedback opens once the stop is in service" in refused.get_data(as_text=True)
    assert _feedback_count(app_session) == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"body": "   "}, "body", "Your message is required."),
        ({"body": "x" * 2001}, "body", "keep it to 2000"),
        ({"body": "Thanks", "name": "N" * 101}, "name", "keep it to 100"),
        ({"body": "Thanks", "name": "Ai\nno"}, "name", "contains a control character"),
    ],
)
def test_feedback_form_names_what_to_fix_and_keeps_what_was_typed(
    client, app_session, fields, field, message
):
    add_service_area(app_session)
    project = _stop_in_service(app_session)
    reference = project.requests[0].reference

    refused = _leave(client, reference, **fields)

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f'id="feedback-{field}-error"' in page and message in page
    assert 'id="feedback-form"' in page
    if fields.get("name") == "N" * 101:
        assert 'value="' + "N" * 101 + '"' in page
    assert _feedback_count(app_session) == 0


def test_a_control_character_is_refused_before_the_form_naming_the_field(client, app_session):
    """Every way in refuses control characters (web/input_guard.py): the page says which field
    holds one, and nothing is stored."""
    add_service_area(app_session)
    project = _stop_in_service(app_session)
    refused = _leave(client, project.requests[0].reference, body="Thanks\x07!")
    assert refused.status_code == 422
    assert "“body” contains a control character (U+0007" in refused.get_data(as_text=True)
    assert _feedback_count(app_session) == 0


def test_feedback_without_a_csrf_token_is_refused(client, app_session):
    add_service_area(app_session)
    project = _stop_in_service(app_session)

    refused = client.post(
        f"/requests/{project.requests[0].reference}/feedback", data={"body": "Hi"}
    )

    assert refused.status_code == 400
    assert _feedback_count(app_session) == 0


def test_only_planners_moderate(app, client, app_session):
    add_service_area(app_session)
    project = _stop_in_service(app_session)
    waiting = leave_feedback(app_session, project.requests[0].reference, "Please read me.")
    csrf = csrf_token_from(client.get("/").get_data(as_text=True))

    anonymous = [
        client.get("/planning/feedback/"),
        client.post(f"/planning/feedback/{waiting.id}/publish", data={"csrf_token": csrf}),
    ]
    department = app.test_client()
    department_user = log_in(department, app_session, "department")
    department_csrf = csrf_token_from(department.get("/").get_data(as_text=True))
    forbidden = [
        department.get("/planning/feedback/"),
        department.post(
            f"/planning/feedback/{waiting.id}/publish", data={"csrf_token": department_csrf}
        ),
    ]

    assert [response.status_code for response in anonymous] == [302, 302]
    assert all("/login" in response.headers["Location"] for response in anonymous)
    assert [response.status_code for response in forbidden] == [403, 403]
    app_session.expire_all()
    assert app_session.get(Feedback, waiting.id).state is FeedbackState.PENDING
    with pytest.raises(NotPermitted):
        moderate(app_session, waiting.id, department_user, "publish")
    admin = app.test_client()
    log_in(admin, app_session, "admin")
    assert _moderate_on_the_page(admin, waiting.id, "hide").status_code == 303


def test_moderating_unknown_feedback_is_a_404(client, app_session):
    log_in(client, app_session)
    assert _moderate_on_the_page(client, 999_999, "publish").status_code == 404
    assert client.post("/planning/feedback/1/delete").status_code == 404


def test_feedback_counts_against_the_write_rate_limit(database_url, tmp_path, app_session):
    add_service_area(app_session)
    reference = _stop_in_service(app_session).requests[0].reference
    limited = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_WRITES": "2 per minute",
        },
        instance_path=str(tmp_path / "limited"),
    )
    try:
        browser = limited.test_client()
        codes = [
            browser.post(
                f"/requests/{reference}/feedback", data={"body": f"Thanks {n}"}
            ).status_code
            for n in range(3)
        ]
    finally:
        limited.extensions["transitreq.engine"].dispose()

    assert codes == [303, 303, 429]
    assert _feedback_count(app_session) == 2
