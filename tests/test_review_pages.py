"""The planner's review page and decision forms, and what the resident's tracking page shows."""

from __future__ import annotations

import re

from geoalchemy2.shape import to_shape

from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    file_request,
    geodesic_m,
    log_in,
    offset,
    row_counts,
)
from transitreq.models import Audience, RequestStatus
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import find_by_reference


def _review_url(reference: str) -> str:
    return f"/planning/requests/{reference}"


def _open_review(client, reference: str) -> tuple[str, str]:
    """The review page's HTML and its CSRF token, as a planner's browser would have them."""
    response = client.get(_review_url(reference))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, csrf_token_from(html)


def _version_in(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_anonymous_visitors_are_sent_to_log_in(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)

    token = csrf_token_from(client.get("/").get_data(as_text=True))

    for response in (
        client.get(_review_url(stop_request.reference)),
        client.post(_review_url(stop_request.reference) + "/reject", data={"csrf_token": token}),
    ):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_review_page_shows_evidence_neighbours_and_the_whole_audit_log(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session, title="Stop by the station")
    neighbour = file_request(
        app_session, title="Stop by the kiosk", point=offset(RAILWAY_SQUARE, 90, 120)
    )
    planner = log_in(client, app_session)
    decisions.add_internal_note(app_session, stop_request.reference, planner, "Operator agrees.")

    html, _ = _open_review(client, stop_request.reference)

    assert "Stop by the station" in html
    assert 'id="score"' in html and 'id="nearest-stops"' in html
    assert neighbour.reference in html and "120 m" in html
    assert "Operator agrees." in html and "staff only" in html
    assert 'id="map_review"' in html and "js/review_map.js" in html
    for form in ("approve-form", "merge-form", "reject-form", "ask-form", "note-form"):
        assert f'id="{form}"' in html
    # Who acted: the resident who filed (a code, shown in the reader's words), the planner.
    who = re.compile(r"</time></td>\s*<td>([^<]*)</td>")
    actors = who.findall(html)
    assert "a resident" in actors and planner.name in actors, actors
    chinese = client.get(
        _review_url(stop_request.reference), headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert "居民" in who.findall(chinese)


def test_planner_approves_at_a_typed_site_and_the_resident_sees_it(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    planner = log_in(client, app_session)
    html, token = _open_review(client, stop_request.reference)
    site = offset(RAILWAY_SQUARE, 180, 40)

    sent = client.post(
        _review_url(stop_request.reference) + "/approve",
        data={
            "csrf_token": token,
            "version": _version_in(html),
            "coordinates": f"{site.y:.7f}, {site.x:.7f}",
            "link_radius_m": "",
            "note": "Works start in May.",
        },
    )

    assert sent.status_code == 303
    app_session.expire_all()
    approved = find_by_reference(app_session, stop_request.reference)
    assert approved.status is RequestStatus.APPROVED
    assert geodesic_m(to_shape(approved.project.location), site) < 0.05
    assert (approved.events[-1].actor, approved.events[-1].user_id) == (planner.name, planner.id)
    tracking = client.get(f"/requests/{stop_request.reference}").get_data(as_text=True)
    assert "Works start in May." in tracking and "Approved" in tracking


def test_stale_decision_is_refused_with_409_and_the_page_as_it_is_now(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    log_in(client, app_session)
    html, token = _open_review(client, stop_request.reference)
    other = add_user(app_session, "planner")
    decisions.reject(app_session, stop_request.reference, stop_request.version, other, "low_demand")
    before = row_counts(app_session)

    sent = client.post(
        _review_url(stop_request.reference) + "/ask",
        data={"csrf_token": token, "version": _version_in(html), "question": "Which side?"},
    )

    assert sent.status_code == 409
    page = sent.get_data(as_text=True)
    assert "changed since you opened it" in page
    assert "Not approved" in page and 'id="ask-form"' not in page
    assert row_counts(app_session) == before


def test_decision_without_a_csrf_token_is_refused(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    log_in(client, app_session)
    html, _ = _open_review(client, stop_request.reference)

    sent = client.post(
        _review_url(stop_request.reference) + "/reject",
        data={"version": _version_in(html), "reason_code": "low_demand"},
    )

    assert sent.status_code == 400
    app_session.expire_all()
    assert find_by_reference(app_session, stop_request.reference).status is RequestStatus.SUBMITTED


def test_refused_decision_names_the_field_and_keeps_what_was_typed(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    log_in(client, app_session)
    html, token = _open_review(client, stop_request.reference)

    sent = client.post(
        _review_url(stop_request.reference) + "/merge",
        data={
            "csrf_token": token,
            "version": _version_in(html),
            "into_reference": "SR-2026-9",
            "confirm": "1",
        },
    )

    assert sent.status_code == 422
    page = sent.get_data(as_text=True)
    assert 'id="merge-into_reference-error"' in page and 'value="SR-2026-9"' in page


def test_merge_rejection_and_question_show_on_the_tracking_page(client, app_session):
    add_service_area(app_session)
    target = file_request(app_session, title="Stop by the kiosk")
    merged = file_request(app_session)
    rejected = file_request(app_session, title="Stop in the park")
    asked = file_request(
        app_session, title="Stop by the school", reporter_contact="kid@example.org"
    )
    planner = log_in(client, app_session)
    for reference, form_name, fields in (
        (merged.reference, "merge", {"into_reference": target.reference, "confirm": "1"}),
        (
            rejected.reference,
            "reject",
            {"reason_code": "road_unsuitable", "text": "Too narrow.", "confirm": "1"},
        ),
        (asked.reference, "ask", {"question": "Morning or afternoon trips?"}),
    ):
        html, token = _open_review(client, reference)
        fields |= {"csrf_token": token, "version": _version_in(html)}
        assert client.post(_review_url(reference) + f"/{form_name}", data=fields).status_code == 303
    decisions.add_internal_note(app_session, rejected.reference, planner, "Secret budget talk.")

    merged_page = client.get(f"/requests/{merged.reference}").get_data(as_text=True)
    assert f'href="/requests/{target.reference}"' in merged_page
    rejected_page = client.get(f"/requests/{rejected.reference}").get_data(as_text=True)
    assert "The street is not suitable for a stop. Too narrow." in rejected_page
    assert "Secret budget talk." not in rejected_page
    api = client.get(f"/api/requests/{rejected.reference}").get_data(as_text=True)
    assert "Secret budget talk." not in api
    asked_page = client.get(f"/requests/{asked.reference}").get_data(as_text=True)
    assert "Morning or afternoon trips?" in asked_page and 'id="answer-form"' in asked_page


def test_resident_answers_with_their_contact_and_the_request_returns_to_review(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session, reporter_contact="aino@example.org")
    planner = add_user(app_session, "planner")
    decisions.ask_for_information(
        app_session, stop_request.reference, stop_request.version, planner, "Which side?"
    )
    url = f"/requests/{stop_request.reference}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    wrong = client.post(
        url + "/answer",
        data={"csrf_token": token, "contact": "guess@example.org", "answer": "North."},
    )
    assert wrong.status_code == 403
    assert "aino" not in wrong.get_data(as_text=True)
    assert "North." in wrong.get_data(as_text=True)  # kept in the form for another try

    sent = client.post(
        url + "/answer",
        data={"csrf_token": token, "contact": "Aino@Example.org", "answer": "North side."},
    )
    assert sent.status_code == 303
    app_session.expire_all()
    answered = find_by_reference(app_session, stop_request.reference)
    assert answered.status is RequestStatus.UNDER_REVIEW
    assert answered.questions[0].answer == "North side."
    assert answered.events[-1].audience is Audience.PUBLIC
    page = client.get(url).get_data(as_text=True)
    assert 'id="answer-form"' not in page and "North side." not in page

    again = client.post(
        url + "/answer",
        data={"csrf_token": token, "contact": "aino@example.org", "answer": "Again."},
        follow_redirects=True,
    )
    assert "This request is not waiting for an answer." in again.get_data(as_text=True)
