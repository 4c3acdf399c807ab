"""A resident who reads Chinese meets no English: the map and form, the confirmation, the
tracking page at every step of a request and its stop, unsubscribing, the staff login, the error
pages, and the messages of the JSON API and Open311. The same pages in English stay English.

Each page is filled with what residents and planners would type (in Chinese, as they would in a
Chinese city), so that the blocks a page shows only with data are read too; what the test typed
is named in ``data`` and is no interface text.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from tests.chinese import english_on_page, english_words
from tests.conftest import csrf_token_from, reconfigure
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    approve_request,
    file_request,
    log_in,
    offset,
    take_to_stage,
    version_of,
)
from tests.photo_files import phone_jpeg
from transitreq import create_app
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import MilestoneKind, utc_now
from transitreq.services.mail import notifications
from transitreq.services.projects import stages as projects
from transitreq.services.requests import decisions
from transitreq.services.requests.feedback import leave_feedback, moderate
from transitreq.services.requests.filing import support_request
from transitreq.services.requests.photo_files import PhotoFile
from transitreq.services.requests.photos import moderate_photo

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
AREA = "滨江区"
TITLE = "滨江小区老人需要一个公交站"
DESCRIPTION = "小区里住着很多老人，走到最近的车站要二十分钟。"
LANDMARK = "滨江小区南门"
QUESTION = "车站应该设在南门的东侧还是西侧？"
ANSWER = "东侧，靠近药店。"
NOTE = "南门东侧人行道够宽，可以设站。"
REASON = "附近一百米内已有公交站。"
CANCEL = "这条街明年要重建，车站随道路一起调整。"
FEEDBACK = "新车站很方便，谢谢！"
# What the test itself puts on the pages: data, not interface text. The staff names and the
# departments are the test accounts' own; the route is the factory's.
DATA = [
    TITLE,
    DESCRIPTION,
    LANDMARK,
    QUESTION,
    ANSWER,
    NOTE,
    REASON,
    CANCEL,
    FEEDBACK,
    AREA,
    "Test planner",
    "Harbour – Station",
    # The departments that sign off, as the deployment names them (REQUIRED_SIGN_OFFS).
    "Urban construction",
    "Landscaping",
    "Traffic police",
    "Bus operator",
]
# A resident's request as the tests file it.
REQUEST = dict(title=TITLE, description=DESCRIPTION, landmark=LANDMARK, served_groups=["elderly"])


@pytest.fixture
def chinese(app):
    """A browser whose reader chose Chinese in the header's switch."""
    browser = app.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    chosen = browser.post("/language", data={"locale": "zh_Hans", "csrf_token": token})
    assert chosen.status_code == 303
    return browser


@pytest.fixture
def city(app, app_session):
    """A Chinese city's service area, and its name in the settings."""
    reconfigure(app, SERVICE_AREA_NAME=AREA)
    add_service_area(app_session, name=AREA)


def _assert_chinese(html: str, *phrases: str, data=()) -> None:
    assert re.search(r'<html lang="zh-Hans">', html)
    left = english_on_page(html, data=[*DATA, *data])
    assert left == [], left
    for phrase in phrases:
        assert phrase in html, phrase


def _script_config(html: str, element_id: str) -> dict:
    """The JSON configuration a page hands one of its scripts."""
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    assert found, element_id
    return json.loads(found.group(1))


def _file(app_session, **changes):
    values = dict(
        title=TITLE,
        description=DESCRIPTION,
        landmark=LANDMARK,
        served_groups=["elderly", "health"],
        reporter_name="王芳",
        reporter_contact="wangfang@example.cn",
    )
    return file_request(app_session, **(values | changes))


def _page(browser, path: str, status: int = 200) -> str:
    response = browser.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


# --- the map and the form ------------------------------------------------------------------


def test_home_page_and_the_form_sent_back_are_chinese(app, chinese, client, app_session, city):
    seed_demo_city(app_session)
    home = _page(chinese, "/")
    _assert_chinese(
        home,
        "申请设立公交站",
        "1. 公交站应设在哪里？",
        "示例数据。",
        "使用我的位置",
        "提交申请",
    )
    # The scripts' sentences come in the page's language too.
    form_script = _script_config(home, "request-form-config")["messages"]
    assert form_script["nearby.looking"] == "正在查找附近的申请…"
    assert form_script["nearby.meta.other"] == "相距 {distance} 米 · {count} 位支持者 · {reference}"
    assert _script_config(home, "map-config")["locale"] == "zh-Hans"

    token = csrf_token_from(home)
    sent_back = chinese.post(
        "/requests", data={"csrf_token": token, "coordinates": "somewhere", "title": ""}
    )

    assert sent_back.status_code == 422
    _assert_chinese(sent_back.get_data(as_text=True), "请检查表单：")
    english = _page(client, "/")
    assert "Request a bus stop" in english and "Use my location" in english
    assert "申请设立" not in english
    assert _script_config(english, "request-form-config")["messages"]["nearby.looking"] == (
        "Looking for requests nearby…"
    )


def test_confirmation_page_is_chinese(chinese, client, app_session, city):
    filed = _file(app_session, notify_progress=True)
    quiet = _file(app_session, notify_progress=False, reporter_contact="")

    page = _page(chinese, f"/requests/{filed.reference}/submitted")

    _assert_chinese(page, "谢谢您：您的申请已提交", "您的申请编号是", "通过您留下的联系方式")
    _assert_chinese(_page(chinese, f"/requests/{quiet.reference}/submitted"), "查看申请")
    english = _page(client, f"/requests/{filed.reference}/submitted")
    assert "Thank you: your request is filed" in english


# --- the tracking page, step by step ---------------------------------------------------------


def test_a_new_request_with_no_supporter_then_one_then_two(chinese, client, app_session, city):
    filed = _file(app_session)

    _assert_chinese(
        _page(chinese, f"/requests/{filed.reference}"),
        "目前还没有其他居民支持这项申请。",
        "您也需要这个公交站吗？",
        "进度记录",
    )
    assert "No other resident supports this request yet." in _page(
        client, f"/requests/{filed.reference}"
    )
    page = _page(chinese, f"/requests/{filed.reference}")
    supported = chinese.post(
        f"/requests/{filed.reference}/support",
        data={"csrf_token": csrf_token_from(page), "contact": "lilei@example.cn"},
        follow_redirects=True,
    )
    _assert_chinese(
        supported.get_data(as_text=True),
        "谢谢您：您的支持已计入。现在共有 1 位居民支持这项申请。",
        '已有 <strong id="supporter-count">1</strong> 位居民支持这项申请。',
    )
    support_request(app_session, filed.reference, "zhaomin@example.cn")
    english = _page(client, f"/requests/{filed.reference}")
    assert '<strong id="supporter-count">2</strong> residents support this request.' in english
    one = _file(app_session, title="第二个申请")
    support_request(app_session, one.reference, "zhaomin@example.cn")
    assert '<strong id="supporter-count">1</strong> resident supports this request.' in _page(
        client, f"/requests/{one.reference}"
    )


def test_support_form_sent_back_is_chinese(chinese, app_session, city):
    filed = _file(app_session)
    page = _page(chinese, f"/requests/{filed.reference}")

    refused = chinese.post(
        f"/requests/{filed.reference}/support",
        data={"csrf_token": csrf_token_from(page), "contact": "", "notify_progress": "on"},
    )

    assert refused.status_code == 422
    _assert_chinese(refused.get_data(as_text=True), "支持这项申请")


def test_a_planners_question_and_the_answer(app, chinese, client, app_session, city):
    planner = add_user(app_session, "planner")
    filed = _file(app_session)
    decisions.ask_for_information(
        app_session, filed.reference, version_of(app_session, filed), planner, QUESTION
    )

    asked = _page(chinese, f"/requests/{filed.reference}")

    _assert_chinese(asked, "规划人员提问", QUESTION, "您的回答", "发送回答")
    answered = chinese.post(
        f"/requests/{filed.reference}/answer",
        data={
            "csrf_token": csrf_token_from(asked),
            "contact": "wangfang@example.cn",
            "answer": ANSWER,
        },
        follow_redirects=True,
    )
    _assert_chinese(answered.get_data(as_text=True), "规划人员已收到您的回答")
    assert "Why it is needed" in _page(client, f"/requests/{filed.reference}")


def test_approved_with_photos_and_planned_dates(chinese, client, app_session, city):
    planner = add_user(app_session, "planner")
    project = approve_request(
        app_session, planner, **REQUEST, photos=[PhotoFile("kerb.jpg", phone_jpeg(800, 600))]
    )
    filed = project.requests[0]
    moderate_photo(app_session, filed.reference, filed.photos[0].id, planner, "publish")
    take_to_stage(app_session, project, planner, "site_survey")
    projects.set_due_date(
        app_session,
        project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)[0].id,
        version_of(app_session, project),
        planner,
        utc_now().date() + timedelta(days=200),
    )

    page = _page(chinese, f"/requests/{filed.reference}")

    _assert_chinese(page, "现场照片", 'alt="现场照片 1"', "新公交站", "当前阶段", "未开始")
    english = _page(client, f"/requests/{filed.reference}")
    assert "Photos of the spot" in english and "current stage" in english


def test_construction_and_in_service_with_feedback(chinese, client, app_session, city):
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner, **REQUEST)
    reference = project.requests[0].reference
    take_to_stage(app_session, project, planner, "construction")

    _assert_chinese(_page(chinese, f"/requests/{reference}"), "已完成", "计划日期可能会变动")
    take_to_stage(app_session, project, planner, "in_service")
    in_service = _page(chinese, f"/requests/{reference}")
    _assert_chinese(in_service, "还没有公开的反馈。", "正在使用新公交站吗？", "发送反馈")

    sent = chinese.post(
        f"/requests/{reference}/feedback",
        data={"csrf_token": csrf_token_from(in_service), "body": FEEDBACK, "name": "李雷"},
        follow_redirects=True,
    )
    _assert_chinese(sent.get_data(as_text=True), "规划人员阅读后，您的留言将显示在这里。")
    anonymous = leave_feedback(app_session, reference, FEEDBACK)
    moderate(app_session, anonymous.id, planner, "publish")
    published = _page(chinese, f"/requests/{reference}")
    _assert_chinese(published, "居民对这个公交站的反馈", "一位居民、")
    english = _page(client, f"/requests/{reference}")
    assert "What residents say about the stop" in english and "A resident, " in english


def test_merged_rejected_and_cancelled_requests(chinese, client, app_session, city):
    planner = add_user(app_session, "planner")
    kept = _file(app_session)
    merged = _file(app_session, title="南门车站", point=offset(RAILWAY_SQUARE, 90, 40))
    decisions.merge(
        app_session, merged.reference, version_of(app_session, merged), planner, kept.reference
    )
    rejected = _file(app_session, title="北门车站", point=offset(RAILWAY_SQUARE, 0, 500))
    decisions.reject(
        app_session,
        rejected.reference,
        version_of(app_session, rejected),
        planner,
        "too_close_to_existing_stop",
        REASON,
    )
    project = approve_request(
        app_session,
        planner,
        **(REQUEST | {"title": "西门车站"}),
        point=offset(RAILWAY_SQUARE, 270, 600),
    )
    take_to_stage(app_session, project, planner, "site_survey")
    projects.cancel(app_session, project.id, version_of(app_session, project), planner, CANCEL)

    merged_page = _page(chinese, f"/requests/{merged.reference}")
    _assert_chinese(merged_page, '已合并到申请 <a id="merged-into"', data=["南门车站"])
    _assert_chinese(
        _page(chinese, f"/requests/{rejected.reference}"),
        "未获批准的理由",
        REASON,
        data=["北门车站"],
    )
    _assert_chinese(
        _page(chinese, f"/requests/{project.requests[0].reference}"),
        "建站项目已取消。",
        "申请已退回规划人员",
        CANCEL,
        data=["西门车站"],
    )
    english = _page(client, f"/requests/{merged.reference}")
    assert "which asks for the same stop: follow it there." in english
    assert "Why it was not approved" in _page(client, f"/requests/{rejected.reference}")


# --- unsubscribing, staff login, errors ------------------------------------------------------


def test_unsubscribe_asks_then_says_how_many_requests(chinese, client, app_session, city):
    _file(app_session, reporter_contact="aino@example.org", notify_progress=True)
    token = notifications.unsubscribe_token("tests-only-secret", "aino@example.org")
    link = f"/notifications/unsubscribe/{token}"

    asked = _page(chinese, link)

    _assert_chinese(
        asked, "要停止向 <strong>a…@example.org</strong> 发送进度邮件吗？", "停止发送邮件"
    )
    done = chinese.post(link, data={"csrf_token": csrf_token_from(asked)})
    _assert_chinese(done.get_data(as_text=True), "此前它在跟进 1 项申请。")
    again = chinese.post(link, data={"csrf_token": csrf_token_from(asked)})
    _assert_chinese(again.get_data(as_text=True), "原本就没有收到任何申请的进度邮件")
    english = client.post(link, data={"csrf_token": csrf_token_from(_page(client, link))})
    assert "was not getting progress e-mails" in english.get_data(as_text=True)


def test_login_and_password_pages_are_chinese(app, chinese, client, app_session):
    login = _page(chinese, "/login")
    _assert_chinese(login, "工作人员登录", "密码", "登录")
    refused = chinese.post(
        "/login",
        data={
            "email": "nobody@city.example",
            "password": "x",
            "csrf_token": csrf_token_from(login),
        },
    )
    assert refused.status_code == 401
    assert 'id="login-error"' in refused.get_data(as_text=True)

    log_in(chinese, app_session)
    password = _page(chinese, "/account/password")
    _assert_chinese(password, "修改您的密码", "再次输入新密码")
    assert "Change your password" in _page(client, "/login") or "Staff login" in _page(
        client, "/login"
    )


@pytest.fixture
def failing_views(app):
    """A page with a bug and a page whose database is gone, added before the app's first
    request (Flask takes no routes after it)."""

    def boom():
        raise RuntimeError("a bug")

    def outage():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    app.add_url_rule("/test-boom", view_func=boom)
    app.add_url_rule("/test-outage", view_func=outage)


def test_error_pages_are_chinese(failing_views, chinese, client, app_session, city):
    _assert_chinese(_page(chinese, "/nowhere", 404), "找不到页面", "这个网址没有内容。")
    _assert_chinese(_page(chinese, "/test-boom", 500), "抱歉", "我们这边出了问题")
    outage_page = chinese.get("/test-outage")
    assert outage_page.status_code == 503 and outage_page.headers["Retry-After"]
    _assert_chinese(outage_page.get_data(as_text=True), "抱歉")
    expired = chinese.post("/requests", data={"title": "x"})
    assert expired.status_code == 400
    _assert_chinese(expired.get_data(as_text=True), "表单已过期或来自其他网站")
    not_allowed = chinese.delete("/")
    assert not_allowed.status_code == 405
    _assert_chinese(not_allowed.get_data(as_text=True), "操作未成功")
    assert "There is nothing at this address." in _page(client, "/nowhere", 404)


def test_too_many_requests_page_is_chinese(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_DEFAULT": "1 per minute",
        },
        instance_path=str(tmp_path / "instance"),
    )
    try:
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        browser.get("/login", headers=CHINESE)
        refused = browser.get("/login", headers=CHINESE)
        assert refused.status_code == 429
        _assert_chinese(refused.get_data(as_text=True), "来自您的地址的请求太多")
        browser.get("/api/places?q=x", headers=CHINESE)
        api = browser.get("/api/places?q=x", headers=CHINESE)
        assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
        assert english_words(api.get_json()["error"]["message"]) == []
        english = browser.get("/login", headers={"Accept-Language": "en"})
        assert "Too many requests from your address" in english.get_data(as_text=True)
    finally:
        app.extensions["transitreq.engine"].dispose()


# --- JSON API and Open311 messages -------------------------------------------------------------

# Parameter names are codes a developer types: they stay as they are in every language.
CODES = [
    "Content-Type: application/json",
    "min_lon,min_lat,max_lon,max_lat",
    "radius_m",
    "bbox",
    "limit",
    "served_groups",
    "notify_progress",
    "reporter_contact",
]


def _json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


def _no_english(error: dict, *data: str) -> None:
    for text in [error["message"], *error["fields"].values()]:
        assert english_words(text, [*CODES, *data]) == [], text


def test_json_api_messages_are_in_the_readers_language(client, app_session, city):
    lat, lon = RAILWAY_SQUARE.y, RAILWAY_SQUARE.x
    checks = [
        (
            client.get(f"/api/requests/nearby?lat={lat}&lon={lon}&radius_m=x", headers=CHINESE),
            422,
            "validation_failed",
        ),
        (
            client.get(f"/api/requests/nearby?lat={lat}&lon={lon}&radius_m=9999", headers=CHINESE),
            422,
            "validation_failed",
        ),
        (client.get("/api/layers/requests?bbox=1,2,3", headers=CHINESE), 422, "validation_failed"),
        (
            client.get("/api/layers/requests?bbox=10,10,5,5", headers=CHINESE),
            422,
            "validation_failed",
        ),
        (client.get("/api/places?q=a&limit=999", headers=CHINESE), 422, "validation_failed"),
        (client.post("/api/requests", data="x", headers=CHINESE), 422, "validation_failed"),
        (
            client.post(
                "/api/requests", data="{", content_type="application/json", headers=CHINESE
            ),
            422,
            "validation_failed",
        ),
        (client.post("/api/requests", json=[1], headers=CHINESE), 422, "validation_failed"),
        (client.get("/api/nowhere", headers=CHINESE), 404, "not_found"),
        (client.get("/api/planner/requests", headers=CHINESE), 401, "login_required"),
    ]
    for response, status, code in checks:
        _no_english(_json_error(response, status, code))
    typed = client.post(
        "/api/requests",
        json={
            "title": TITLE,
            "served_groups": "elderly",
            "notify_progress": "yes",
            "reporter_contact": 5,
            "lat": lat,
            "lon": lon,
        },
        headers=CHINESE,
    )
    error = _json_error(typed, 422, "validation_failed")
    assert error["fields"]["served_groups"] == "served_groups 必须是选项列表。"
    assert error["fields"]["notify_progress"] == "notify_progress 必须是 true 或 false。"
    assert error["fields"]["reporter_contact"] == "reporter_contact 必须是文字。"

    english = client.get(f"/api/requests/nearby?lat={lat}&lon={lon}&radius_m=x")
    assert _json_error(english, 422, "validation_failed")["fields"] == {
        "radius_m": "radius_m must be a whole number of metres."
    }


# tests/chinese.py reads "Open311" as the word "Open" followed by digits.
# Open311's parameter names and our service code are the protocol's words in every language.
OPEN311_WORDS = ["Open311", "jurisdiction_id", "service_code", "BUS_STOP_REQUEST", ".json", ".xml"]


def test_open311_error_descriptions_are_in_the_readers_language(app, client, app_session, city):
    reconfigure(app, OPEN311_JURISDICTION_ID="binjiang")
    answers = [
        (client.get("/open311/v2/services.csv", headers=CHINESE), 404),
        (client.get("/open311/v2/nothing-here.json", headers=CHINESE), 404),
        (client.put("/open311/v2/requests.json", headers=CHINESE), 405),
        (client.get("/open311/v2/services.json?jurisdiction_id=elsewhere", headers=CHINESE), 404),
    ]
    for response, status in answers:
        assert response.status_code == status
        (entry,) = response.get_json()
        assert entry["code"] == status
        assert english_words(entry["description"], [*OPEN311_WORDS, "elsewhere"]) == [], entry
    xml = client.get("/open311/v2/nothing-here.xml", headers=CHINESE)
    assert "这个网址没有 Open311 资源。" in xml.get_data(as_text=True)
    english = client.get("/open311/v2/services.csv")
    assert english.get_json()[0]["description"] == "Unknown format: use .json or .xml."


def test_refusals_from_the_services_reach_json_and_open311_in_the_readers_language(
    client, app_session, city
):
    """The services' own refusals (an unknown reference, missing fields, a pin outside the
    area) pass through the API and Open311 as they are: in the reader's language too."""
    unknown = client.get("/api/requests/SR-2026-999999", headers=CHINESE)
    _no_english(_json_error(unknown, 404, "not_found"))
    missing = client.post("/api/requests", json={}, headers=CHINESE)
    _no_english(_json_error(missing, 422, "validation_failed"), *CODES, "lat", "lon")
    outside = client.post(
        "/api/requests",
        json={"title": TITLE, "description": DESCRIPTION, "lat": 31.23, "lon": 121.47},
        headers=CHINESE,
    )
    assert outside.status_code == 422
    _no_english(outside.get_json()["error"], AREA)
    filed = client.post("/open311/v2/requests.json", data={}, headers=CHINESE)
    assert filed.status_code == 400
    for entry in filed.get_json():
        # Each description starts with the Open311 parameter it is about ("description：…").
        parameter = re.match(r"[a-z_\[\]]+(?=：)", entry["description"])
        assert parameter, entry
        assert (
            english_words(entry["description"], [*OPEN311_WORDS, "lat", "long", parameter.group()])
            == []
        ), entry
