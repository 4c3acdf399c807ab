"""A reader who chose Chinese is refused in Chinese: every domain error a service raises, the
words around a status or a mode, and an import's notices on the Data page, with the file, row
and field still named. The codes a program reads (``error.code``, statuses, notice codes) are
the same in both languages; the English reader still reads English.

Only what this part of the work writes is checked for English: the messages themselves and the
Data page's own content (the header and forms around them are checked with their pages).
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from geoalchemy2.shape import to_shape

from tests.chinese import english_on_page, english_words
from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    approve_request,
    file_request,
    log_in,
    version_of,
)
from tests.gtfs_feeds import MINIMAL_FEED, zip_feed
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.population import import_population
from transitreq.importers.records import who_imports
from transitreq.services.requests import decisions

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}
LAT, LON = RAILWAY_SQUARE.y, RAILWAY_SQUARE.x
# Outside the test's service area (central Helsinki), west of Espoo.
FAR_LAT, FAR_LON = 60.20, 24.60


def _read_in_chinese(client) -> None:
    """The reader picks 简体中文 with the header's switch."""
    _choose(client, "zh_Hans")


def _choose(client, locale: str) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    chosen = client.post("/language", data={"locale": locale, "next": "/", "csrf_token": token})
    assert chosen.status_code == 303


def _chinese(text: str, data: tuple[str, ...] = ()) -> None:
    """``text`` is Chinese, with no English word but the test's own data."""
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert english_words(text, data) == [], text


def _main(html: str) -> str:
    """The page's own content, without the shared header around it."""
    return html[html.index('<main id="main">') : html.index("</main>")]


def _form_messages(html: str) -> list[str]:
    """The messages the request form lists above itself after a refused submission."""
    summary = re.search(r'<div class="form-summary".*?<ul>(.*?)</ul>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


# --- Filing ---------------------------------------------------------------------------------


def test_a_form_filed_with_mistakes_lists_each_in_chinese(client, app_session):
    add_service_area(app_session)
    _read_in_chinese(client)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "lat": str(LAT),
        "lon": str(LON),
        "title": "",
        "description": "老人走到最近的车站要二十分钟。",
        "served_groups": ["elderly", "helicopters"],
        "reporter_contact": "12ab",
    }

    refused = client.post("/requests", data=form)

    assert refused.status_code == 422
    messages = _form_messages(refused.get_data(as_text=True))
    assert "请填写简短标题。" in messages
    assert "“helicopters”不在选项中，请从列表中选择。" in messages
    assert "请填写电子邮件地址，或 6 至 15 位数字的电话号码。" in messages
    for message in messages:
        _chinese(message, ("helicopters",))


def test_the_same_mistakes_in_english_read_english(client, app_session):
    add_service_area(app_session)
    token = csrf_token_from(client.get("/", headers=ENGLISH).get_data(as_text=True))
    form = {"csrf_token": token, "lat": str(LAT), "lon": str(LON), "description": "Far."}

    messages = _form_messages(client.post("/requests", data=form).get_data(as_text=True))

    assert "A short title is required." in messages


def _json_filing(client, headers, **changes):
    body = {
        "title": "滨江小区老人需要一个公交站",
        "description": "过河去最近的车站要走二十分钟。",
        "lat": LAT,
        "lon": LON,
        "served_groups": ["elderly"],
    } | changes
    return client.post("/api/requests", json=body, headers=headers)


def test_json_refusals_are_chinese_for_a_chinese_reader_and_keep_their_codes(client, app_session):
    add_service_area(app_session)
    mistakes = {"title": " ", "reporter_contact": "12ab", "served_groups": ["helicopters"]}

    chinese = _json_filing(client, CHINESE, **mistakes)
    english = _json_filing(client, ENGLISH, **mistakes)

    assert chinese.status_code == english.status_code == 422
    zh, en = chinese.get_json()["error"], english.get_json()["error"]
    assert zh["code"] == en["code"] == "validation_failed"
    assert (
        zh["fields"].keys() == en["fields"].keys() == {"title", "reporter_contact", "served_groups"}
    )
    assert zh["message"] == "有几项需要修改。"
    assert en["message"] == "Some fields need attention."
    assert zh["fields"]["title"] == "请填写简短标题。"
    assert zh["fields"]["reporter_contact"] == "请填写电子邮件地址，或 6 至 15 位数字的电话号码。"
    for message in zh["fields"].values():
        _chinese(message, ("helicopters",))
    assert en["fields"]["title"] == "A short title is required."


def test_a_title_too_long_or_with_a_control_character_is_named_in_chinese(client, app_session):
    add_service_area(app_session)

    long_title = _json_filing(client, CHINESE, title="站" * 201).get_json()["error"]
    bell = _json_filing(client, CHINESE, title="公交\x07站").get_json()["error"]

    assert long_title["fields"]["title"] == "简短标题有 201 个字符；请不要超过 120 个字符。"
    # Caught before the form is read (the guard names the field), or by the form's own rule.
    assert bell["code"] == "validation_failed" and "title" in bell["fields"]
    assert "U+0007" in bell["fields"]["title"]


@pytest.mark.parametrize(
    ("lat", "lon", "code", "chinese", "english"),
    [
        (
            FAR_LAT,
            FAR_LON,
            "outside_service_area",
            f"标记位置 {FAR_LAT:.6f}, {FAR_LON:.6f} 在服务范围以外，请放在市区范围内。",
            "is outside the service area; place it inside the city.",
        ),
        (
            LON,
            LAT,
            "swapped_coordinates",
            f"纬度和经度似乎写反了：您是指 {LAT:.6f}, {LON:.6f} 吗？请先写纬度。",
            "Latitude and longitude look swapped",
        ),
        (
            "north",
            LON,
            "invalid_coordinates",
            "纬度必须是以十进制度数表示的数字。",
            "Latitude must be a number in decimal degrees.",
        ),
    ],
    ids=["outside", "swapped", "not a number"],
)
def test_a_pin_that_cannot_be_taken_is_refused_in_chinese(
    client, app_session, lat, lon, code, chinese, english
):
    add_service_area(app_session)

    zh = _json_filing(client, CHINESE, lat=lat, lon=lon).get_json()["error"]
    en = _json_filing(client, ENGLISH, lat=lat, lon=lon).get_json()["error"]

    assert zh["code"] == en["code"]
    assert chinese in (zh["message"], *zh["fields"].values())
    assert english in " ".join((en["message"], *en["fields"].values()))


def test_supporting_a_closed_request_is_refused_in_chinese(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    rejected = file_request(app_session)
    decisions.reject(app_session, rejected.reference, rejected.version, planner, "low_demand")
    body = {"contact": "lin@example.org"}
    url = f"/api/requests/{rejected.reference}/supports"

    zh = client.post(url, json=body, headers=CHINESE)
    en = client.post(url, json=body, headers=ENGLISH)

    assert zh.status_code == en.status_code == 409
    assert zh.get_json()["error"]["code"] == en.get_json()["error"]["code"] == "not_supportable"
    assert zh.get_json()["error"]["message"] == (
        f"申请 {rejected.reference} 的状态为“未获批准”，不再接受支持。"
    )
    assert en.get_json()["error"]["message"] == (
        f"{rejected.reference} is not approved and takes no more supporters."
    )


def test_an_unknown_reference_and_its_status_label_read_chinese(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)

    missing = client.get("/api/requests/SR-2020-999999", headers=CHINESE).get_json()["error"]
    found = client.get(f"/api/requests/{filed.reference}", headers=CHINESE).get_json()
    english = client.get(f"/api/requests/{filed.reference}", headers=ENGLISH).get_json()

    assert missing["code"] == "not_found"
    assert missing["message"] == "没有申请编号为“SR-2020-999999”的设站申请。"
    assert (found["status"], found["status_label"]) == ("submitted", "已提交")
    assert (english["status"], english["status_label"]) == ("submitted", "Submitted")


def test_open311_error_descriptions_follow_accept_language(client, app_session):
    add_service_area(app_session)
    data = {"service_code": "POTHOLE", "description": "路面有坑。"}

    zh = client.post("/open311/v2/requests.json", data=data, headers=CHINESE).get_json()
    en = client.post("/open311/v2/requests.json", data=data, headers=ENGLISH).get_json()

    assert [error["code"] for error in zh] == [error["code"] for error in en]
    descriptions = [error["description"] for error in zh]
    assert "service_code：找不到服务代码“POTHOLE”。" in descriptions
    assert "lat：必填，须与 long 一起以十进制度数发送。" in descriptions
    for description in descriptions:
        _chinese(description, ("service_code", "POTHOLE", "lat", "long"))
    assert "service_code: Service code 'POTHOLE' not found." in [e["description"] for e in en]


# --- Stop projects ----------------------------------------------------------------------------


def _project_message(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(
        r'<div class="flash flash-error" id="project-message"[^>]*>(.*?)</div>', html, re.S
    ).group(1)


def test_a_project_step_out_of_order_is_refused_in_chinese(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = approve_request(app_session, planner)
    _read_in_chinese(client)
    page = client.get(f"/planning/projects/{project.id}").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token_from(page),
        "version": str(version_of(app_session, project)),
        "finished_on": date.today().isoformat(),
        "started_on": date.today().isoformat(),
    }

    finish = client.post(f"/planning/projects/{project.id}/construction/finish", data=form)
    start = client.post(f"/planning/projects/{project.id}/construction/start", data=form)

    assert finish.status_code == start.status_code == 409
    assert _project_message(finish) == "施工开始后才能记录完工。"
    # The stages are named by their Chinese labels inside the sentence.
    assert _project_message(start) == "处于“已批准”阶段的建站项目不能进入“施工中”阶段。"

    _choose(client, "en")
    form["csrf_token"] = csrf_token_from(
        client.get(f"/planning/projects/{project.id}").get_data(as_text=True)
    )
    english = client.post(f"/planning/projects/{project.id}/construction/start", data=form)
    assert english.status_code == 409
    assert _project_message(english) == (
        "A project that is approved cannot move to under construction."
    )


def test_a_date_before_the_approval_names_the_day_the_chinese_way(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = approve_request(app_session, planner)
    approved_on = project.created_at.date()
    _read_in_chinese(client)
    page = client.get(f"/planning/projects/{project.id}").get_data(as_text=True)
    client.post(
        f"/planning/projects/{project.id}/survey/start",
        data={"csrf_token": csrf_token_from(page), "version": str(project.version)},
    )

    refused = client.post(
        f"/planning/projects/{project.id}/survey",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(version_of(app_session, project)),
            "surveyed_on": "2000-01-01",
            "findings": "路缘够宽。",
        },
    )

    assert refused.status_code == 422
    day = f"{approved_on.year}年{approved_on.month}月{approved_on.day}日"
    assert f"项目于{day}获批；请选择之后的日期。" in refused.get_data(as_text=True)


# --- Modes -------------------------------------------------------------------------------------


def test_modes_are_named_in_chinese_on_the_site_evaluation(client, app_session, tmp_path):
    add_service_area(app_session)
    tram = [MINIMAL_FEED["routes.txt"][0], ["R1", "4", "Central – Harbour", "0", "d1462f"]]
    import_gtfs(app_session, zip_feed(tmp_path, {"routes.txt": tram}), "city")
    log_in(client, app_session)
    _read_in_chinese(client)

    html = client.get(f"/planning/evaluate?lat={LAT}&lon={LON}").get_data(as_text=True)

    stop_rows = re.findall(r"<td>Central Station platform 1.*?</tr>", html, re.S)
    assert stop_rows and "有轨电车" in stop_rows[0] and "tram" not in stop_rows[0]


# --- Import notices on the Data page -------------------------------------------------------------


def _import_with_defects(session, tmp_path) -> None:
    """A feed whose text colours are not colours, with a padded cell and a file GTFS does not
    define, long expired; a population table with a row without people."""
    routes = [
        [*MINIMAL_FEED["routes.txt"][0], "route_text_color"],
        ["R1", " 1 ", "Central – Harbour", "3", "d1462f", "0"],
    ]
    notes = [["note"], ["kept by hand"]]
    feed = zip_feed(tmp_path, {"routes.txt": routes, "notes.txt": notes})
    import_gtfs(session, feed, "city", today=date(2024, 3, 1))
    people = tmp_path / "people.csv"
    people.write_text(f"lon,lat,population\n{LON},{LAT},120\n{LON},{LAT + 0.001},\n")
    import_population(session, people, name="grid")


# The test's own data and what stays as it is in every language: the datasets' names, the
# columns and notice codes of the files, the commands, and who ran the import.
DATA_PAGE_DATA = (
    "city",
    "city.zip",
    "grid",
    "people.csv",
    who_imports(),
    "route_text_color",
    "route_short_name",
    "population",
    "invalid_color",
    "leading_or_trailing_whitespaces",
    "unknown_file",
    "feed_expired",
    "row_without_population",
    "FFFFFF",
    "flask import-gtfs",
    "import-population",
    "import-areas",
)


def test_the_data_page_shows_each_notice_in_chinese_with_its_file_row_and_field(
    client, app_session, tmp_path
):
    _import_with_defects(app_session, tmp_path)
    log_in(client, app_session)
    _read_in_chinese(client)

    page = client.get("/planning/data/")

    assert page.status_code == 200
    main = _main(page.get_data(as_text=True))
    assert english_on_page(main, data=DATA_PAGE_DATA) == []
    text = " ".join(re.sub(r"<[^>]+>", " ", main).split())
    assert "导入报告" in text and "公交数据（GTFS）" in text and "人口数据" in text
    assert (
        "routes.txt，第 2 行，字段“route_text_color”：不是颜色值（六位十六进制数字），"
        "已改用默认值 FFFFFF"
    ) in text
    assert "routes.txt，第 2 行，字段“route_short_name”：前后有空格，已去除" in text
    assert "notes.txt：不是 GTFS 规范中的文件，已忽略" in text
    assert (
        "calendar.txt：运营日历已于 2024-01-31（星期三）结束，早于今天：班次按 "
        "2024-01-04（星期四）计算，即最后 4 周中最繁忙的工作日"
    ) in text
    assert "people.csv，第 3 行，字段“population”：没有人口数，已跳过该行" in text
    assert "警告" in text and "提示" in text
    assert "3 个公交站" in text and "1 条线路" in text
    # Codes are codes in every language.
    assert "<code>invalid_color</code>" in main


def test_the_data_page_in_english_still_reads_english(client, app_session, tmp_path):
    _import_with_defects(app_session, tmp_path)
    log_in(client, app_session)

    main = _main(client.get("/planning/data/", headers=ENGLISH).get_data(as_text=True))

    text = " ".join(re.sub(r"<[^>]+>", " ", main).split()).replace("&#39;", "'")
    assert (
        "routes.txt, row 2, field 'route_text_color': is not a colour (six hex digits), so the "
        "default FFFFFF is used"
    ) in text
    assert "the calendar ended on Wednesday 2024-01-31, before today" in text
    assert "Import report" in text and "3 stops" in text and "1 route" in text


def test_notices_are_stored_as_codes_and_values_not_sentences(app_session, tmp_path):
    """What is stored reads in any language later: no English sentence is kept."""
    _import_with_defects(app_session, tmp_path)
    from sqlalchemy import select

    from transitreq.models import DatasetImport

    stored = json.dumps(app_session.scalars(select(DatasetImport.report)).all())
    assert "six hex digits" not in stored and "calendar ended" not in stored
    assert '"key": "colour_default"' in stored and '"default": "FFFFFF"' in stored
    assert '"ended_day": "2024-01-31"' in stored


def test_a_refused_import_says_where_in_the_citys_language(app, tmp_path):
    """The command speaks the city's default language; a Chinese city reads Chinese."""
    from tests.conftest import reconfigure

    broken = zip_feed(tmp_path, {"stops.txt": [MINIMAL_FEED["stops.txt"][0]]})
    reconfigure(app, DEFAULT_LOCALE="zh_Hans")

    result = app.test_cli_runner().invoke(args=["import-gtfs", str(broken), "--feed", "x"])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: city.zip 中的 stops.txt：没有公交站（没有一行的 location_type 为空或为 0）"
    )


def test_the_project_stage_and_request_status_keep_their_codes(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = approve_request(app_session, planner)
    reference = project.requests[0].reference

    zh = client.get(f"/api/requests/{reference}", headers=CHINESE).get_json()
    en = client.get(f"/api/requests/{reference}", headers=ENGLISH).get_json()

    assert zh["status"] == en["status"] == "approved"
    assert (zh["status_label"], en["status_label"]) == ("已批准", "Approved")
    assert to_shape(project.location).x == pytest.approx(LON)
