"""Planners decide on requests: each decision's effect, its one audit event, and its refusals."""

from __future__ import annotations

import threading

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    file_request,
    geodesic_m,
    offset,
    row_counts,
)
from transitreq.db import make_engine, make_sessionmaker
from transitreq.errors import (
    ContactMismatch,
    OutsideServiceArea,
    StaleDecision,
    TransitionRefused,
    ValidationFailed,
)
from transitreq.models import Audience, Event, RequestStatus, StopProject, StopRequest
from transitreq.sentences import event_text
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import find_by_reference, support_request


@pytest.fixture
def planner(session):
    add_service_area(session)
    return add_user(session, "planner")


def _decision_events(stop_request: StopRequest) -> list[Event]:
    return [event for event in stop_request.events if event.kind not in ("submitted", "supported")]


def test_approval_creates_a_project_at_the_chosen_site_and_takes_nearby_requests_along(
    session, planner
):
    decided = file_request(session, title="Stop by the station")
    near = file_request(session, title="Stop by the kiosk", point=offset(RAILWAY_SQUARE, 90, 150))
    far = file_request(session, title="Stop by the museum", point=offset(RAILWAY_SQUARE, 0, 450))
    site = offset(RAILWAY_SQUARE, 45, 30)

    project = decisions.approve(
        session, decided.reference, decided.version, planner, site, 200, "Survey in spring."
    )

    session.expire_all()
    assert geodesic_m(to_shape(session.get(StopProject, project.id).location), site) < 0.01
    for linked in (decided, near):
        stop_request = find_by_reference(session, linked.reference)
        assert stop_request.status is RequestStatus.APPROVED
        assert stop_request.project_id == project.id
        [event] = _decision_events(stop_request)
        assert (event.kind, event.from_status, event.to_status) == (
            "approved",
            "submitted",
            "approved",
        )
        assert event.audience is Audience.PUBLIC
        assert (event.actor, event.user_id) == (planner.name, planner.id)
        assert event.note.endswith("Survey in spring.")
    assert decided.reference in event_text(find_by_reference(session, near.reference).events[-1])
    untouched = find_by_reference(session, far.reference)
    assert untouched.status is RequestStatus.SUBMITTED and untouched.project_id is None


def test_approval_outside_the_service_area_is_refused_and_writes_nothing(session, planner):
    stop_request = file_request(session)
    before = row_counts(session)

    with pytest.raises(OutsideServiceArea):
        decisions.approve(
            session,
            stop_request.reference,
            stop_request.version,
            planner,
            offset(RAILWAY_SQUARE, 0, 50_000),
            None,
        )

    assert row_counts(session) == before
    assert session.scalar(select(func.count(StopProject.id))) == 0


def test_merge_carries_supporters_over_once_each_and_tells_the_resident(session, planner):
    target = file_request(session, title="Stop by the kiosk", reporter_contact="kiosk@example.org")
    support_request(session, target.reference, "shared@example.org")
    merged = file_request(session, reporter_contact="aino@example.org")
    support_request(session, merged.reference, "Shared@Example.org")
    support_request(session, merged.reference, "new@example.org", "Neighbour")
    support_request(session, merged.reference, "kiosk@example.org")

    decisions.merge(session, merged.reference, merged.version, planner, target.reference, "")

    session.expire_all()
    target = find_by_reference(session, target.reference)
    assert sorted(support.contact for support in target.supports) == [
        "aino@example.org",
        "new@example.org",
        "shared@example.org",
    ]
    assert target.status is RequestStatus.SUBMITTED
    merged = find_by_reference(session, merged.reference)
    assert merged.status is RequestStatus.MERGED
    assert merged.merged_into_id == target.id
    [event] = _decision_events(merged)
    assert (event.kind, event.to_status, event.audience) == ("merged", "merged", Audience.PUBLIC)
    assert target.reference in event_text(event)


def test_merge_refuses_itself_an_unknown_and_a_closed_target(session, planner):
    stop_request = file_request(session)
    closed = file_request(session, title="Declined stop")
    decisions.reject(session, closed.reference, closed.version, planner, "low_demand")
    before = row_counts(session)

    for into in (stop_request.reference, "SR-2026-999999", closed.reference):
        with pytest.raises(ValidationFailed) as refusal:
            decisions.merge(session, stop_request.reference, stop_request.version, planner, into)
        assert "into_reference" in refusal.value.fields
    assert row_counts(session) == before


def test_rejection_gives_the_public_reason_and_the_planners_words(session, planner):
    stop_request = file_request(session)

    decisions.reject(
        session,
        stop_request.reference,
        stop_request.version,
        planner,
        "too_close_to_existing_stop",
        "Rautatientori stop is 120 m away.",
    )

    session.expire_all()
    rejected = find_by_reference(session, stop_request.reference)
    assert rejected.status is RequestStatus.REJECTED
    [event] = _decision_events(rejected)
    assert event_text(event) == "Too close to an existing stop. Rautatientori stop is 120 m away."
    assert (event.facts, event.note) == (
        {
            "reason": "too_close_to_existing_stop",
            # The words sent, kept: rewording the template later does not rewrite history.
            "reason_words": {"en": "Too close to an existing stop", "zh_Hans": "离现有公交站太近"},
        },
        "Rautatientori stop is 120 m away.",
    )
    assert event.audience is Audience.PUBLIC
    with pytest.raises(TransitionRefused):
        decisions.reject(session, rejected.reference, rejected.version, planner, "low_demand")


def test_rejection_needs_a_listed_reason_and_words_for_other(session, planner):
    stop_request = file_request(session)
    for reason, text, field in (("because", "", "reason_code"), ("other", " ", "text")):
        with pytest.raises(ValidationFailed) as refusal:
            decisions.reject(
                session, stop_request.reference, stop_request.version, planner, reason, text
            )
        assert field in refusal.value.fields
    assert find_by_reference(session, stop_request.reference).status is RequestStatus.SUBMITTED


def test_question_and_answer_return_the_request_to_review(session, planner):
    stop_request = file_request(session, reporter_contact="aino@example.org")

    decisions.ask_for_information(
        session, stop_request.reference, stop_request.version, planner, "Which side of the road?"
    )
    session.expire_all()
    asked = find_by_reference(session, stop_request.reference)
    assert asked.status is RequestStatus.NEEDS_INFO
    assert asked.open_question.question == "Which side of the road?"
    assert event_text(asked.public_events[-1]) == "A planner asks: Which side of the road?"

    before = row_counts(session)
    for wrong in ("someone@example.org", "not a contact"):
        with pytest.raises(ContactMismatch) as refusal:
            decisions.answer_question(session, asked.reference, wrong, "North side.")
        assert "aino" not in refusal.value.message
    assert row_counts(session) == before

    decisions.answer_question(session, asked.reference, " AINO@example.org", "North side.")
    session.expire_all()
    answered = find_by_reference(session, stop_request.reference)
    assert answered.status is RequestStatus.UNDER_REVIEW
    assert answered.open_question is None
    assert answered.questions[0].answer == "North side."
    [_, event] = _decision_events(answered)
    assert (event.kind, event.actor, event.audience) == (
        "info_answered",
        "resident",
        Audience.PUBLIC,
    )
    assert "North side" not in event_text(event)
    with pytest.raises(TransitionRefused):
        decisions.answer_question(session, asked.reference, "aino@example.org", "Again.")


def test_internal_note_stays_off_the_public_timeline_and_stales_nobody(session, planner):
    stop_request = file_request(session)
    version = stop_request.version

    decisions.add_internal_note(session, stop_request.reference, planner, "Call the operator.")

    session.expire_all()
    noted = find_by_reference(session, stop_request.reference)
    assert noted.version == version
    assert [(event.kind, event.audience) for event in noted.events][-1] == (
        "internal_note",
        Audience.INTERNAL,
    )
    assert all("operator" not in event_text(event) for event in noted.public_events)
    decisions.reject(session, noted.reference, version, planner, "low_demand")


def test_decision_on_a_stale_version_writes_nothing(session, planner):
    stop_request = file_request(session)
    seen = stop_request.version
    decisions.ask_for_information(session, stop_request.reference, seen, planner, "Where?")
    before = row_counts(session)

    with pytest.raises(StaleDecision) as refusal:
        decisions.reject(session, stop_request.reference, seen, planner, "low_demand")

    assert "changed since you opened it" in refusal.value.message
    assert row_counts(session) == before
    session.expire_all()
    assert find_by_reference(session, stop_request.reference).status is RequestStatus.NEEDS_INFO


def test_two_planners_deciding_at_once_the_second_is_told_and_nothing_is_overwritten(
    session, planner, database_url
):
    """Two real connections both read the request, then both decide: one wins, one is told."""
    stop_request = file_request(session)
    reference, seen = stop_request.reference, stop_request.version
    before = row_counts(session)
    engines = [make_engine(database_url), make_engine(database_url)]
    both_loaded = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def decide(name: str, engine, decision) -> None:
        own_session = make_sessionmaker(engine)()
        try:
            find_by_reference(own_session, reference)  # what each planner has open
            both_loaded.wait()
            decision(own_session)
            outcomes[name] = "saved"
        except Exception as error:  # noqa: BLE001 - the test reports whatever happened
            outcomes[name] = error
        finally:
            own_session.close()

    def approving(own_session) -> None:
        decisions.approve(own_session, reference, seen, planner, RAILWAY_SQUARE, None)

    def rejecting(own_session) -> None:
        decisions.reject(own_session, reference, seen, planner, "low_demand")

    threads = [
        threading.Thread(target=decide, args=("approve", engines[0], approving)),
        threading.Thread(target=decide, args=("reject", engines[1], rejecting)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()

    winners = [name for name, outcome in outcomes.items() if outcome == "saved"]
    losers = [outcome for outcome in outcomes.values() if outcome != "saved"]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], StaleDecision), outcomes
    session.expire_all()
    decided = find_by_reference(session, reference)
    expected = {"approve": RequestStatus.APPROVED, "reject": RequestStatus.REJECTED}[winners[0]]
    assert decided.status is expected
    assert len(_decision_events(decided)) == 1
    # One decision event on the request; an approval also opens its project with one event.
    opened_project = winners[0] == "approve"
    assert row_counts(session)["events"] == before["events"] + 1 + opened_project
    assert session.scalar(select(func.count(StopProject.id))) == opened_project
