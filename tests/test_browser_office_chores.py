"""The office's chores in a real browser at 1280×800 and 1920×1080: a template fills the
answer box in the resident's language, a refused form links each error from its summary, "Do
not approve" asks for confirmation before anything is written, and the queue says who has a
request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import STAFF_SCREENS, log_in, open_planner_map
from tests.factories import add_service_area, add_user, file_request
from transitreq.models import RequestStatus
from transitreq.services.requests import templates
from transitreq.services.requests.filing import find_by_reference

pytestmark = pytest.mark.browser


@pytest.fixture(params=list(STAFF_SCREENS.values()), ids=list(STAFF_SCREENS))
def viewport(request) -> dict[str, int]:
    return request.param


def _in_view(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
    )


def test_a_template_fills_the_box_and_do_not_approve_asks_first(page, live_session):
    add_service_area(live_session)
    admin = add_user(live_session, "admin")
    templates.create_template(
        live_session,
        admin,
        templates.TemplateDraft(
            "question", "Which side", "哪一侧", "Which side of the street?", "在街道的哪一侧？"
        ),
    )
    stop_request = file_request(
        live_session, title="近学校的站", locale="zh_Hans", reporter_contact="li@example.org"
    )
    planner = add_user(live_session, "planner")
    log_in(page, planner.email)
    page.goto(f"{page.base_url}/planning/requests/{stop_request.reference}")

    # The planner reads English; the box is filled in the resident's Chinese, ready to adjust.
    page.select_option("#ask-template", label="Which side")
    expect(page.locator("#question")).to_have_value("在街道的哪一侧？")

    # "Do not approve" looks destructive, unlike "Approve".
    danger = page.locator("#reject-submit")
    assert "danger" in danger.get_attribute("class")
    assert danger.evaluate("b => getComputedStyle(b).backgroundColor") != page.locator(
        "#approve-submit"
    ).evaluate("b => getComputedStyle(b).backgroundColor")

    page.select_option("#reason-code", value="low_demand")
    danger.click()
    summary = page.locator("#reject-error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#reject-confirm-error")).to_have_count(1)
    live_session.expire_all()
    assert find_by_reference(live_session, stop_request.reference).status is (
        RequestStatus.SUBMITTED
    )

    # The summary's link takes the planner to the message beside the box.
    page.evaluate("window.scrollTo(0, 0)")
    summary.get_by_role("link", name="Confirm").click()
    assert page.url.endswith("#reject-confirm-error")
    assert _in_view(page, "#reject-confirm-error")

    page.check("#reject-confirm")
    page.click("#reject-submit")
    expect(page.locator(".flash-success")).to_contain_text("Not approved")
    live_session.expire_all()
    assert find_by_reference(live_session, stop_request.reference).status is (
        RequestStatus.REJECTED
    )


def test_the_template_form_links_each_missing_field_from_its_summary(page, live_session):
    admin = add_user(live_session, "admin")
    log_in(page, admin.email)
    page.goto(f"{page.base_url}/admin/templates")
    page.select_option("#new-template-kind", value="public_note")
    page.fill("#new-template-title_en", "Road works")
    page.click("#new-template-submit")

    summary = page.locator("#new-template-error-summary")
    expect(summary.get_by_role("link")).to_have_count(3)
    summary.get_by_role("link", name="Title in Chinese").click()
    assert _in_view(page, "#new-template-title_zh-error")
    expect(page.locator("#new-template-title_zh-error")).to_have_text(
        "Title in Chinese is required."
    )
    # What was typed is kept.
    expect(page.locator("#new-template-title_en")).to_have_value("Road works")


def test_the_queue_shows_who_has_a_request_and_filters_to_mine(page, live_session):
    """A request on the planner's desk says so in its queue row, and "assigned to me" keeps
    only those (the other planner's and nobody's drop out)."""
    from transitreq.services.requests.assignment import assign

    add_service_area(live_session)
    colleague = add_user(live_session, "planner")
    theirs = file_request(live_session, title="Their request")
    nobodys = file_request(live_session, title="Nobody's request")
    assign(live_session, theirs.reference, colleague, colleague.id)
    live_session.commit()
    open_planner_map(page, live_session)

    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Their request")).to_contain_text(f"Assigned to {colleague.name}")
    expect(rows.filter(has_text="Nobody's request")).not_to_contain_text("Assigned to")

    page.check("#mine")
    expect(page.locator("#queue-table tbody")).to_contain_text("No request matches these filters.")
    expect(page.locator("#queue-table tbody")).not_to_contain_text(nobodys.title)
