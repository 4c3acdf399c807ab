"""Each resident's e-mails are written in the language they filed or supported in, whatever
language the planner who caused them reads, with days written their way.

A real SMTP server receives the messages; `flask deliver-mail --once` sends what was queued.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.chinese import english_words
from tests.conftest import csrf_token_from, reconfigure
from tests.factories import RAILWAY_SQUARE, add_service_area, add_user, log_in, version_of
from tests.smtp_server import PUBLIC_URL, mail_app
from transitreq.models import StopRequest, Support, utc_now
from transitreq.services.projects import stages as projects
from transitreq.services.requests.filing import find_by_reference

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}
TITLE = "滨江小区老人需要一个公交站"


@pytest.fixture
def app(database_url, tmp_path, inbox):
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port)
    yield app
    app.extensions["transitreq.engine"].dispose()


def _deliver(app, inbox) -> list:
    result = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    messages = list(inbox.messages)
    inbox.clear()
    return messages


def _file(client, headers, contact: str) -> str:
    filed = client.post(
        "/api/requests",
        json={
            "title": TITLE,
            "description": "过河去最近的车站要走二十分钟。",
            "lat": RAILWAY_SQUARE.y,
            "lon": RAILWAY_SQUARE.x,
            "reporter_contact": contact,
            "notify_progress": True,
        },
        headers=headers,
    )
    assert filed.status_code == 201, filed.get_json()
    return filed.get_json()["reference"]


def _approve(client, reference: str, note: str) -> None:
    review = client.get(f"/planning/requests/{reference}").get_data(as_text=True)
    approved = client.post(
        f"/planning/requests/{reference}/approve",
        data={
            "csrf_token": csrf_token_from(review),
            "version": re.search(r'name="version" value="(\d+)"', review).group(1),
            "coordinates": f"{RAILWAY_SQUARE.y:.7f}, {RAILWAY_SQUARE.x:.7f}",
            "link_radius_m": "",
            "note": note,
        },
    )
    assert approved.status_code == 303


def _only(messages, address):
    (message,) = [m for m in messages if m["To"] == address]
    return message


def test_a_resident_who_filed_in_chinese_reads_chinese_and_an_english_supporter_english(
    app, client, app_session, inbox
):
    add_service_area(app_session)
    reference = _file(client, CHINESE, "aino@example.org")
    supported = client.post(
        f"/api/requests/{reference}/supports",
        json={"contact": "bo@example.org", "notify_progress": True},
        headers=ENGLISH,
    )
    assert supported.status_code == 201
    app_session.expire_all()
    assert find_by_reference(app_session, reference).locale == "zh_Hans"
    assert app_session.scalar(select(Support.locale)) == "en"

    receipts = _deliver(app, inbox)

    chinese = _only(receipts, "aino@example.org")
    assert chinese["Subject"] == f"{reference}: 已收到您的申请"
    body = chinese.get_content()
    assert f"我们已收到您的设站申请（{reference}，“{TITLE}”）" in body
    assert f"{PUBLIC_URL}/requests/{reference}" in body
    assert "/notifications/unsubscribe/" in body
    english = _only(receipts, "bo@example.org")
    assert english["Subject"] == f"{reference}: your support is counted"

    # The planner reads English; each resident still reads their own language.
    log_in(client, app_session)
    _approve(client, reference, note="Works start in May.")
    approvals = _deliver(app, inbox)

    chinese = _only(approvals, "aino@example.org")
    assert chinese["Subject"] == f"{reference}: 新公交站已获批准"
    body = chinese.get_content()
    # The system's sentence in Chinese, the planner's words as typed.
    assert "计划在此设立新公交站。 Works start in May." in body
    assert "您好" in body
    without_the_note = body.replace("Works start in May.", "")
    assert english_words(without_the_note.split("-- ")[0]) == []
    english = _only(approvals, "bo@example.org")
    assert english["Subject"] == f"{reference}: a new stop is approved"
    assert "A new stop is planned here. Works start in May." in english.get_content()


def test_days_in_a_chinese_e_mail_are_written_the_chinese_way(app, client, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    reference = _file(client, CHINESE, "aino@example.org")
    log_in(client, app_session)
    _approve(client, reference, note="")
    project = find_by_reference(app_session, reference).project
    _deliver(app, inbox)

    with app.app_context():
        projects.start_survey(app_session, project.id, version_of(app_session, project), planner)
        projects.record_survey(
            app_session,
            project.id,
            version_of(app_session, project),
            planner,
            utc_now().date(),
            "路面平整，适合设站。",
        )
    surveyed = [m for m in _deliver(app, inbox) if "现场已勘察" in m["Subject"]]

    (message,) = surveyed
    day = utc_now().date()
    assert f"已于{day.year}年{day.month}月{day.day}日完成现场勘察。" in message.get_content()
    # Survey findings are for staff: the public sentence only.
    assert "路面平整" not in message.get_content()


def test_residents_from_before_the_translations_read_the_citys_default_language(
    app, client, app_session, inbox
):
    add_service_area(app_session)
    reference = _file(client, ENGLISH, "aino@example.org")
    app_session.expire_all()
    find_by_reference(app_session, reference).locale = None  # filed before languages were kept
    app_session.commit()
    _deliver(app, inbox)
    reconfigure(app, DEFAULT_LOCALE="zh_Hans")

    log_in(client, app_session)
    client.post("/language", data={"locale": "en", "next": "/"})
    _approve(client, reference, note="")

    (message,) = _deliver(app, inbox)
    assert message["Subject"] == f"{reference}: 新公交站已获批准"
    assert app_session.scalar(select(StopRequest.locale)) is None
