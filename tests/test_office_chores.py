"""The chores of a busy office: response templates written once in two languages, requests
assigned to a planner, and several requests decided at once in one transaction."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import add_service_area, add_user, file_request, log_in
from transitreq.errors import StaleDecision, TransitionRefused, ValidationFailed
from transitreq.models import (
    Event,
    EventKind,
    OutboundEmail,
    RequestStatus,
    ResponseTemplate,
    StopRequest,
    TemplateKind,
)
from transitreq.sentences import event_text
from transitreq.services.requests import assignment, bulk, decisions, templates
from transitreq.services.requests.filing import find_by_reference

REASON = TemplateKind.REJECTION_REASON.value


def _token(client, url: str) -> tuple[str, str]:
    html = client.get(url).get_data(as_text=True)
    return html, csrf_token_from(html)


def _count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


# --- templates ------------------------------------------------------------------------------


def test_the_first_reasons_are_templates_in_both_languages(session):
    reasons = templates.templates_of(session, TemplateKind.REJECTION_REASON)
    assert [reason.code for reason in reasons][:2] == [
        "too_close_to_existing_stop",
        "no_route_nearby",
    ]
    assert reasons[0].title_zh == "离现有公交站太近"
    assert [reason.code for reason in reasons if reason.needs_text] == ["other"]


def test_an_administrator_writes_a_reason_and_the_resident_reads_it_in_their_language(
    session,
):
    add_service_area(session)
    admin = add_user(session, "admin")
    planner = add_user(session, "planner")
    draft = templates.TemplateDraft(
        REASON,
        "A school bus serves the spot",
        "该地点已有校车服务",
        "Ask the school.",
        "请询问学校。",
    )
    reason = templates.create_template(session, admin, draft)
    chinese = file_request(
        session, locale="zh_Hans", reporter_contact="li@example.org", notify_progress=True
    )

    decisions.reject(
        session, chinese.reference, chinese.version, planner, reason.code, "请询问学校。"
    )

    session.expire_all()
    (event,) = [
        e
        for e in find_by_reference(session, chinese.reference).events
        if e.kind is EventKind.REJECTED
    ]
    assert event.facts["reason_words"] == {
        "en": "A school bus serves the spot",
        "zh_Hans": "该地点已有校车服务",
    }
    assert event_text(event) == "A school bus serves the spot. 请询问学校。"
    # Rewording the template later leaves what was sent as it was sent.
    templates.update_template(
        session, admin, reason.id, templates.TemplateDraft(REASON, "Reworded", "改写", "", "")
    )
    assert event_text(session.get(Event, event.id)).startswith("A school bus serves the spot.")
    # Used: archived, never deleted.
    with pytest.raises(TransitionRefused):
        templates.delete_template(session, admin, reason.id)
    templates.set_archived(session, admin, reason.id, True)
    assert reason.code not in {
        r.code for r in templates.templates_of(session, TemplateKind.REJECTION_REASON)
    }
    with pytest.raises(ValidationFailed):
        decisions.reject(session, file_request(session).reference, 1, planner, reason.code)


def test_only_administrators_change_templates_and_each_field_is_named(session):
    planner = add_user(session, "planner")
    admin = add_user(session, "admin")
    with pytest.raises(Exception, match="Only an administrator"):
        templates.create_template(
            session,
            planner,
            templates.TemplateDraft("question", "Q", "问", "Which side?", "哪边？"),
        )
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(
            session, admin, templates.TemplateDraft("question", "", "问", "", "")
        )
    assert refused.value.fields == {
        "title_en": "Title in English is required.",
        "text_en": "Text in English is required.",
        "text_zh": "Text in Chinese is required.",
    }
    assert _count(session, ResponseTemplate) == 0  # nothing half-written


def test_admin_template_page_links_each_error_from_the_summary(client, app_session):
    log_in(client, app_session, "admin")
    html, token = _token(client, "/admin/templates")
    assert "Too close to an existing stop" in html and "离现有公交站太近" in html

    sent = client.post(
        "/admin/templates",
        data={
            "csrf_token": token,
            "kind": "public_note",
            "title_en": "<b>Road works</b>",
            "title_zh": "",
            "text_en": "Works start in May.",
            "text_zh": "",
        },
    )

    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert (
        'href="#new-template-title_zh-error"' in page
        and 'href="#new-template-text_zh-error"' in page
    )
    assert page.count("Title in Chinese is required.") == 1  # once, beside its field
    assert 'id="new-template-title_zh-error"' in page
    assert "&lt;b&gt;Road works&lt;/b&gt;" in page and "<b>Road works</b>" not in page

    created = client.post(
        "/admin/templates",
        data={
            "csrf_token": token,
            "kind": "public_note",
            "title_en": "Road works",
            "title_zh": "道路施工",
            "text_en": "Works start in May.",
            "text_zh": "五月开工。",
        },
    )
    assert created.status_code == 303
    (note,) = templates.templates_of(app_session, TemplateKind.PUBLIC_NOTE)
    assert (note.title_zh, note.text_zh) == ("道路施工", "五月开工。")
    note_id = note.id
    # Never used: deleting asks for the box to be ticked first.
    client.post(f"/admin/templates/{note_id}/archive", data={"csrf_token": token, "archived": "1"})
    refused = client.post(f"/admin/templates/{note_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 422 and "Yes, delete this template" in refused.get_data(
        as_text=True
    )
    deleted = client.post(
        f"/admin/templates/{note_id}/delete", data={"csrf_token": token, "confirm": "1"}
    )
    assert deleted.status_code == 303
    app_session.expire_all()
    assert app_session.get(ResponseTemplate, note_id) is None


def test_a_question_template_is_sent_in_the_residents_language_without_javascript(
    client, app_session
):
    add_service_area(app_session)
    admin = add_user(app_session, "admin")
    question = templates.create_template(
        app_session,
        admin,
        templates.TemplateDraft(
            "question", "Which side", "哪一侧", "Which side of the street?", "在街道的哪一侧？"
        ),
    )
    stop_request = file_request(app_session, locale="zh_Hans", reporter_contact="li@example.org")
    log_in(client, app_session)
    url = f"/planning/requests/{stop_request.reference}"
    html, token = _token(client, url)
    assert 'data-text="在街道的哪一侧？"' in html  # the resident's language fills the box
    version = re.search(r'name="version" value="(\d+)"', html).group(1)

    sent = client.post(
        url + "/ask",
        data={
            "csrf_token": token,
            "version": version,
            "template_id": str(question.id),
            "question": "",
        },
    )

    assert sent.status_code == 303
    app_session.expire_all()
    assert (
        find_by_reference(app_session, stop_request.reference).open_question.question
        == "在街道的哪一侧？"
    )
    assert app_session.get(ResponseTemplate, question.id).times_used == 1


def test_do_not_approve_asks_for_confirmation_and_writes_nothing_without_it(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    log_in(client, app_session)
    url = f"/planning/requests/{stop_request.reference}"
    html, token = _token(client, url)
    assert re.search(r'class="danger" id="reject-submit"', html)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)

    sent = client.post(
        url + "/reject", data={"csrf_token": token, "version": version, "reason_code": "low_demand"}
    )

    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert 'href="#reject-confirm-error"' in page and 'id="reject-confirm-error"' in page
    assert 'id="decision-message"' not in page  # said once, beside the box, not again on top
    app_session.expire_all()
    assert find_by_reference(app_session, stop_request.reference).status is RequestStatus.SUBMITTED


# --- assignment -----------------------------------------------------------------------------


def test_a_request_assigned_to_me_shows_in_my_queue_and_leaves_the_version_alone(
    client, app_session
):
    add_service_area(app_session)
    me = log_in(client, app_session)
    colleague = add_user(app_session, "planner", email="kim@city.example")
    mine = file_request(app_session, title="Mine")
    theirs = file_request(app_session, title="Theirs")
    version = mine.version

    assignment.assign(app_session, mine.reference, me, me.id)
    assignment.assign(app_session, theirs.reference, me, colleague.id)

    app_session.expire_all()
    assert find_by_reference(app_session, mine.reference).version == version
    rows = client.get("/api/planner/requests?mine=1").get_json()["rows"]
    assert [(row["reference"], row["assignee"]) for row in rows] == [(mine.reference, me.name)]
    every = client.get("/api/planner/requests").get_json()["rows"]
    assert {row["assignee"] for row in every} == {me.name, colleague.name}
    log = find_by_reference(app_session, theirs.reference).events
    assert event_text(log[-1]) == f"Assigned to {colleague.name}."
    with pytest.raises(ValidationFailed):
        assignment.assign(
            app_session,
            mine.reference,
            me,
            add_user(
                app_session, "department", email="d@city.example", department="Landscaping"
            ).id,
        )


# --- several at once ------------------------------------------------------------------------


def test_several_requests_are_declined_at_once_each_with_its_event_and_e_mail(session):
    add_service_area(session)
    planner = add_user(session, "planner")
    chosen = [
        file_request(
            session, title=f"Stop {n}", reporter_contact=f"r{n}@example.org", notify_progress=True
        )
        for n in range(3)
    ]
    mail_before = _count(session, OutboundEmail)

    events = bulk.reject_many(
        session,
        [bulk.Selected(r.reference, r.version) for r in chosen],
        planner,
        "duplicate",
        "Filed three times.",
    )

    assert len(events) == 3
    session.expire_all()
    for stop_request in chosen:
        found = find_by_reference(session, stop_request.reference)
        assert found.status is RequestStatus.REJECTED
        assert (
            event_text(found.events[-1])
            == "Another request asks for the same stop. Filed three times."
        )
    assert _count(session, OutboundEmail) == mail_before + 3


def test_if_one_selected_request_changed_nothing_is_written(session):
    add_service_area(session)
    planner = add_user(session, "planner")
    target = file_request(session, title="Keep me")
    first, second = file_request(session), file_request(session)
    stale = bulk.Selected(second.reference, second.version)
    second.landmark = "Changed by someone else"
    session.commit()
    events_before, mail_before = _count(session, Event), _count(session, OutboundEmail)

    with pytest.raises(StaleDecision):
        bulk.merge_many(
            session,
            [bulk.Selected(first.reference, first.version), stale],
            planner,
            target.reference,
        )

    session.expire_all()
    assert (_count(session, Event), _count(session, OutboundEmail)) == (events_before, mail_before)
    assert {find_by_reference(session, r.reference).status for r in (first, second)} == {
        RequestStatus.SUBMITTED
    }


def test_the_bulk_page_merges_ticked_requests_after_confirmation(client, app_session):
    add_service_area(app_session)
    log_in(client, app_session)
    target = file_request(app_session, title="Keep me")
    others = [file_request(app_session, title=f"Same stop {n}") for n in range(2)]
    html, token = _token(client, "/planning/requests/bulk")
    ticks = [f"{r.reference}:{r.version}" for r in others]
    assert all(f'value="{tick}"' in html for tick in ticks)

    unconfirmed = client.post(
        "/planning/requests/bulk",
        data={
            "csrf_token": token,
            "selected": ticks,
            "action": "merge",
            "into_reference": target.reference,
        },
    )
    assert unconfirmed.status_code == 422
    page = unconfirmed.get_data(as_text=True)
    assert 'href="#bulk-confirm-error"' in page
    assert all(
        f'value="{tick}" id="tick-{r.reference}" checked' in page
        for tick, r in zip(ticks, others, strict=True)
    )

    done = client.post(
        "/planning/requests/bulk",
        data={
            "csrf_token": token,
            "selected": ticks,
            "action": "merge",
            "into_reference": target.reference,
            "confirm": "1",
        },
    )
    assert done.status_code == 303
    app_session.expire_all()
    for stop_request in others:
        found = app_session.get(StopRequest, stop_request.id)
        assert found.status is RequestStatus.MERGED and found.merged_into_id == target.id
