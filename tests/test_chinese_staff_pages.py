"""Planners, department staff and administrators who choose Chinese read every staff page in
Chinese: the review and evaluation pages, the planners' map, stop projects in every stage, the
dashboard, exports, residents' feedback, a department's sign-offs, the staff and mail pages of
administrators and the API documentation; their flash messages and form errors too. The same
pages in English stay English.

The city is filled the way a Chinese-speaking city would fill it (names, titles, departments
in Chinese), so that every conditional block of the pages shows; what the test itself wrote in
English is named in ``data`` for ``english_on_page``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select, update

from tests.chinese import english_on_page
from tests.conftest import csrf_token_from
from tests.factories import (
    PNG_PIXEL,
    RAILWAY_SQUARE,
    STAFF_PASSWORD,
    add_route,
    add_service_area,
    approve_request,
    file_request,
    log_in_as,
    offset,
    take_to_stage,
    version_of,
)
from tests.gtfs_feeds import STOPS, write_feed
from tests.photo_files import encoded
from transitreq import create_app
from transitreq.importers.gtfs import import_gtfs
from transitreq.models import (
    Milestone,
    MilestoneKind,
    OutboundEmail,
    PopulationDataset,
    PopulationUnit,
    StopProject,
    User,
    utc_now,
)
from transitreq.services.accounts.staff import NewUser, create_user
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.projects.stages import PhotoUpload
from transitreq.services.requests import decisions, photos
from transitreq.services.requests.feedback import leave_feedback, moderate
from transitreq.services.requests.filing import support_request
from transitreq.services.requests.photo_files import PhotoFile

URBAN, PARKS, OPERATOR = "城建部门", "园林绿化部门", "公交公司"
# What the test itself writes in English: the factories' survey findings, a mail server's own
# words, a photo file's name and the default prefix of new stops' GTFS ids.
DATA = ["Kerb is wide enough.", "550 5.1.1 No such user here", "照片1.png", "TRQ-"]
# Names that are the same in every language: GTFS columns, an HTTP header, a command to type
# and a key on the keyboard.
NAMES = ["stop_id", "stop_desc", "Retry-After", "flask deliver-mail", "Ctrl"]
CHINESE_STOPS = {"CENTRAL": "中心站", "C1": "中心站1号站台", "MKT": "市场广场", "HRB": "港口"}


@pytest.fixture
def app(database_url, tmp_path):
    """The test app of every test, with the departments a Chinese city would have."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": False,
            "REQUIRED_SIGN_OFFS": f"{URBAN},{PARKS},{OPERATOR}",
            "CONSTRUCTION_DEPARTMENT": URBAN,
            "LAUNCH_DEPARTMENT": OPERATOR,
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    app.extensions["transitreq.engine"].dispose()


# The city ------------------------------------------------------------------------------------


def _staff(session, email: str, name: str, role: str, department: str = "") -> User:
    return create_user(session, NewUser(email, name, role, STAFF_PASSWORD, department))


def _network(session, tmp_path) -> None:
    """The minimal feed with its stops and route named in Chinese, and line 7 for launches."""
    stops = [STOPS[0]] + [[row[0], row[1], CHINESE_STOPS[row[0]], *row[3:]] for row in STOPS[1:]]
    routes = [
        ["route_id", "route_short_name", "route_long_name", "route_type", "route_color"],
        ["R1", "1", "中心站 – 港口", "3", "d1462f"],
    ]
    import_gtfs(
        session, write_feed(tmp_path / "feed", {"stops.txt": stops, "routes.txt": routes}), "city"
    )
    add_route(session, "7", "江滨 – 火车站")


def _population(session) -> None:
    """A census of points around the station, so the catchment tables have figures."""
    points = [
        offset(RAILWAY_SQUARE, bearing, distance)
        for bearing in (0, 120, 240)
        for distance in (100, 300, 700)
    ]
    dataset = PopulationDataset(
        name="2020年人口普查",
        source="人口普查.csv",
        population_field="population",
        geometry_kind="points",
        unit_count=len(points),
        total_population=150.0 * len(points),
    )
    dataset.units = [
        PopulationUnit(geom=from_shape(point, srid=4326), population=150.0) for point in points
    ]
    session.add(dataset)
    session.commit()


def _request(session, title: str, point: Point, contact: str, **values):
    return file_request(
        session,
        title=title,
        description="老人要走很远才能到公交站。",
        landmark="滨江公园大门",
        reporter_name="张阿姨",
        reporter_contact=contact,
        point=point,
        **values,
    )


def _reviewed_request(session, planner: User):
    """A request with photos (one published), an answered question, a note and supporters."""
    filed = _request(
        session,
        "滨江小区老人需要一个公交站",
        RAILWAY_SQUARE,
        "zhang@example.org",
        photos=[
            PhotoFile("路口.png", encoded("PNG", 300, 200)),
            PhotoFile("站牌.png", encoded("PNG", 320, 240)),
        ],
    )
    photos.moderate_photo(session, filed.reference, filed.photos[0].id, planner, "publish")
    support_request(session, filed.reference, "neighbour@example.org")
    decisions.ask_for_information(
        session, filed.reference, version_of(session, filed), planner, "车站应该在路的哪一边？"
    )
    decisions.answer_question(session, filed.reference, filed.reporter_contact, "北边。")
    decisions.add_internal_note(session, filed.reference, planner, "公交公司同意。")
    _request(session, "江边的另一个站", offset(RAILWAY_SQUARE, 90, 120), "li@example.org")
    return filed


def _projects(session, planner: User) -> dict[str, StopProject]:
    """A project in each stage: sign-offs asked to change, overdue milestones, a survey with a
    photo, a launch, a cancellation."""
    made = {}
    for number, stage in enumerate(
        ("approved", "site_survey", "coordination", "construction", "in_service", "cancelled")
    ):
        point = offset(RAILWAY_SQUARE, 60 * number, 900)
        project = approve_request(
            session,
            planner,
            title=f"第{number + 1}号新公交站",
            description="附近没有公交站。",
            landmark="菜市场",
            reporter_name="刘先生",
            reporter_contact=f"resident{number}@example.org",
            point=point,
        )
        if stage == "cancelled":
            projects.cancel(
                session, project.id, version_of(session, project), planner, "道路将要改建。"
            )
        elif stage != "approved":
            take_to_stage(session, project, planner, stage)
        made[stage] = project
    survey = made["site_survey"]
    projects.record_survey(
        session,
        survey.id,
        version_of(session, survey),
        planner,
        utc_now().date(),
        "路边很宽。",
        [PhotoUpload("照片1.png", PNG_PIXEL)],
        "已经去现场看过。",
    )
    coordinating = made["coordination"]
    parks = next(m for m in coordinating.sign_offs if m.owner_name == PARKS)
    sign_offs.decide_sign_off(
        session,
        parks.id,
        version_of(session, coordinating),
        _staff_of(session, PARKS),
        "changes",
        "请保留那棵白桦树。",
    )
    urban = next(m for m in coordinating.sign_offs if m.owner_name == URBAN)
    sign_offs.decide_sign_off(
        session, urban.id, version_of(session, coordinating), _staff_of(session, URBAN), "approve"
    )
    # Late: the operator's sign-off, due twenty days ago.
    operator = next(m for m in coordinating.sign_offs if m.owner_name == OPERATOR)
    session.execute(
        update(Milestone)
        .where(Milestone.id == operator.id)
        .values(due_date=utc_now().date() - timedelta(days=20))
    )
    session.commit()
    projects.add_project_note(session, coordinating.id, planner, "预算已经落实。", public=False)
    projects.add_project_note(session, coordinating.id, planner, "年底前动工。", public=True)
    for project in made.values():
        session.refresh(project)
    return made


def _staff_of(session, department: str) -> User:
    return session.scalar(select(User).where(User.email == f"{_EMAILS[department]}@city.example"))


_EMAILS = {URBAN: "urban", PARKS: "parks", OPERATOR: "operator"}


def _mail(session) -> None:
    """A message the mail server refused for good, and one waiting for two hours."""
    now = utc_now()
    session.add_all(
        [
            OutboundEmail(
                recipient="aino@example.org",
                subject="SR-2026-000001：已收到您的申请",
                body=".",
                attempts=5,
                last_error="550 5.1.1 No such user here",
                dead_at=now,
            ),
            OutboundEmail(
                recipient="bo@example.org",
                subject="SR-2026-000002：您的支持已计入",
                body=".",
                created_at=now - timedelta(hours=2),
            ),
        ]
    )
    session.commit()


@pytest.fixture
def city(app_session, tmp_path):
    session = app_session
    add_service_area(session, name="滨江区")
    _network(session, tmp_path)
    _population(session)
    planner = _staff(session, "planner@city.example", "李规划", "planner")
    admin = _staff(session, "admin@city.example", "王管理", "admin")
    for department, email in _EMAILS.items():
        _staff(session, f"{email}@city.example", f"{department}的小陈", "department", department)
    reviewed = _reviewed_request(session, planner)
    made = _projects(session, planner)
    in_service = made["in_service"].requests[0]
    waiting = leave_feedback(session, in_service.reference, "新车站很方便，谢谢！", "小张")
    published = leave_feedback(session, in_service.reference, "候车亭很好。")
    moderate(session, published.id, planner, "publish")
    _mail(session)
    return {
        "planner": planner,
        "admin": admin,
        "reviewed": reviewed,
        "projects": made,
        "feedback": waiting,
    }


# Reading in a language -----------------------------------------------------------------------


def _choose(client, locale: str) -> None:
    """The reader presses the language switch in the header."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    answer = client.post("/language", data={"locale": locale, "next": "/", "csrf_token": token})
    assert answer.status_code == 303


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def _chinese(html: str, *phrases: str) -> None:
    assert english_on_page(html, data=DATA + NAMES) == []
    for phrase in phrases:
        assert phrase in html


def _planner_pages(city) -> dict[str, tuple[str, ...]]:
    """Each planner's page with a phrase it shows in Chinese and the same in English."""
    reviewed = city["reviewed"].reference
    made = city["projects"]
    site = f"lat={RAILWAY_SQUARE.y}&lon={RAILWAY_SQUARE.x}"
    return {
        f"/planning/requests/{reviewed}": ("居民提供的照片", "Photos from the resident"),
        f"/planning/evaluate?{site}": ("最近的现有公交站", "Nearest existing stops"),
        "/planning/evaluate": ("站址评估", "Site evaluation"),
        "/planning/": ("待办列表", "Review queue"),
        "/planning/projects/": ("逾期的排在前面", "overdue first"),
        "/planning/projects/?stage=coordination&overdue=1": ("有逾期节点", "overdue milestone"),
        "/planning/projects/?stage=cancelled&overdue=1": ("没有符合条件的项目", "No project"),
        **{
            f"/planning/projects/{project.id}": (phrase, english)
            for project, phrase, english in (
                (made["approved"], "开始现场勘察", "Start the site survey"),
                (made["site_survey"], "勘察照片", "Survey photo"),
                (made["coordination"], "请重新签批", "Ask again"),
                (made["construction"], "安排开通", "Plan the launch"),
                (made["in_service"], "操作记录", "Audit log"),
                (made["cancelled"], "已取消", "Cancelled"),
            )
        },
        "/planning/dashboard/": ("各区每月提交的申请", "Requests filed per district per month"),
        "/planning/dashboard/?start=soon": ("统计概览", "Dashboard"),
        "/planning/exports/": ("供公交公司 GTFS 数据使用的新公交站", "operator's GTFS feed"),
        "/planning/feedback/": ("有 <strong>1</strong> 条反馈等待阅读。", "message waits"),
        "/api/docs": ("机器可读的说明", "machine-readable description"),
    }


def test_a_planner_reads_every_staff_page_in_chinese(client, city):
    log_in_as(client, city["planner"])
    _choose(client, "zh_Hans")
    for url, (phrase, _english) in _planner_pages(city).items():
        status = 422 if "start=soon" in url else 200
        _chinese(_page(client, url, status), phrase)


def test_the_same_pages_in_english_stay_english(client, city):
    log_in_as(client, city["planner"])
    _choose(client, "en")
    for url, (phrase, english) in _planner_pages(city).items():
        html = _page(client, url, 422 if "start=soon" in url else 200)
        assert english in html, url
        assert phrase not in html, url


def test_the_review_page_shows_the_whole_evidence_in_chinese(client, city):
    log_in_as(client, city["planner"])
    _choose(client, "zh_Hans")
    html = _page(client, f"/planning/requests/{city['reviewed'].reference}")
    _chinese(
        html,
        "隐藏照片 1",
        "公开照片 2",
        "回答：北边。",
        "附近的申请",
        "120 米",
        "仅工作人员",
        "2020年人口普查",
        "公交站位置（纬度，经度）",
        "不予批准",
    )
    # The project pages: due dates, overdue flags, sign-off decisions and the audit log.
    made = city["projects"]
    coordinating = _page(client, f"/planning/projects/{made['coordination'].id}")
    _chinese(coordinating, "逾期", "有何变化（告知园林绿化部门）", "请保留那棵白桦树。", "公开")
    in_service = _page(client, f"/planning/projects/{made['in_service'].id}")
    _chinese(in_service, "线路 7，自")
    listed = _page(client, "/planning/projects/")
    _chinese(listed, "6 个项目", "1 / 3")


def test_the_dashboard_writes_months_and_numbers_the_chinese_way(client, city):
    log_in_as(client, city["planner"])
    _choose(client, "zh_Hans")
    html = _page(client, "/planning/dashboard/")
    this_month = utc_now().date()
    _chinese(html, f"{this_month.year}年{this_month.month}月", "天", "逾期节点", "合计")
    assert f">{this_month.month}月</text>" in html
    assert f">{this_month.year}年</text>" in html


def test_flash_messages_form_errors_and_json_errors_are_in_chinese(client, app_session, city):
    log_in_as(client, city["planner"])
    _choose(client, "zh_Hans")
    reference = city["reviewed"].reference
    review = _page(client, f"/planning/requests/{reference}")
    noted = client.post(
        f"/planning/requests/{reference}/notes",
        data={
            "csrf_token": csrf_token_from(review),
            "version": re.search(r'name="version" value="(\d+)"', review).group(1),
            "text": "明天打电话给公交公司。",
        },
        follow_redirects=True,
    )
    _chinese(noted.get_data(as_text=True), "已添加内部备注。")

    project = city["projects"]["coordination"]
    page = _page(client, f"/planning/projects/{project.id}")
    milestone = next(m for m in project.milestones if m.kind is MilestoneKind.CONSTRUCTION_START)
    refused = client.post(
        f"/planning/projects/{project.id}/milestones/{milestone.id}/due",
        data={
            "csrf_token": csrf_token_from(page),
            "version": re.search(r'name="version" value="(\d+)"', page).group(1),
            "due_date": "yesterday",
        },
    )
    assert refused.status_code == 422
    _chinese(refused.get_data(as_text=True), "请按“年-月-日”格式填写日期，例如 2026-11-25。")

    exported = client.get("/planning/exports/requests.csv?min_score=lots")
    assert exported.status_code == 422
    # The parameter's name is a code, the same in every language; the sentence is Chinese.
    _chinese(exported.get_data(as_text=True).replace("min_score", ""), "未能导出：", "评分下限")

    answer = client.get("/api/planner/requests?min_score=lots")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_failed" and error["field"] == "min_score"
    # The filter is named by its label, in Chinese, as the form shows it.
    assert error["message"] == "“评分下限”必须是数字。"


def test_department_staff_read_their_sign_offs_in_chinese(client, app_session, city):
    staff = _staff_of(app_session, OPERATOR)
    log_in_as(client, staff)
    _choose(client, "zh_Hans")
    html = _page(client, "/departments/")
    _chinese(html, "公交公司的签批", "逾期", "要求修改", "贵部门的决定")
    project = city["projects"]["coordination"]
    operator = next(m for m in project.sign_offs if m.owner_name == OPERATOR)
    signed = client.post(
        f"/departments/sign-offs/{operator.id}",
        data={
            "csrf_token": csrf_token_from(html),
            "version": version_of(app_session, project),
            "decision": "approve",
        },
        follow_redirects=True,
    )
    _chinese(signed.get_data(as_text=True), "已签批：规划人员会看到您的同意意见。")

    # A department with nothing to sign.
    other = _staff(app_session, "police@city.example", "交警小赵", "department", "交警部门")
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    log_in_as(client, other)
    _chinese(_page(client, "/departments/"), "目前没有需要贵部门签批的项目。")


def test_administrators_read_the_staff_and_mail_pages_in_chinese(client, city):
    log_in_as(client, city["admin"])
    _choose(client, "zh_Hans")
    staff = _page(client, "/admin/staff")
    _chinese(staff, "工作人员和部门", "新建账户", "园林绿化部门（1 名工作人员）", "停用")
    mail = _page(client, "/admin/mail")
    _chinese(mail, "未投递的进度邮件", "无法投递（1）", "等待超过 ", "下一次投递时")
    requeued = client.post(
        "/admin/mail/requeue-dead",
        data={"csrf_token": csrf_token_from(mail)},
        follow_redirects=True,
    )
    _chinese(requeued.get_data(as_text=True), "已将 1 封无法投递的邮件重新排队。")

    _choose(client, "en")
    assert "Progress e-mails not delivered" in _page(client, "/admin/mail")
    assert "New account" in _page(client, "/admin/staff")
