"""A resident on a phone (390×844, touch) chooses Chinese in the header, taps the map where the
stop should be, sees the request already filed nearby in Chinese, fills in the form and reads the
confirmation in Chinese: no English anywhere a reader meets it on the way, the scripts' words
included."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, serving, wait_for_map
from tests.chinese import english_words
from tests.conftest import reconfigure
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, offset

pytestmark = pytest.mark.browser

AREA = "滨江区"
NEARBY_TITLE = "图书馆门口需要一个公交站"
TITLE = "滨江小区老人需要一个公交站"
DESCRIPTION = "小区里住着很多老人，走到最近的车站要二十分钟。"
LANDMARK = "滨江小区南门"
# What the test typed or filed is data; the map's credit names the library it is drawn with.
DATA = [AREA, NEARBY_TITLE, TITLE, DESCRIPTION, LANDMARK, "wangfang@example.cn", "Leaflet"]


def _english_on_screen(page: Page) -> list[str]:
    """The English words in what the page shows (``innerText`` of the body), minus the data."""
    return english_words(page.evaluate("document.body.innerText"), DATA)


def test_a_chinese_reader_files_a_request_on_a_phone(browser, live_app, live_session):
    reconfigure(live_app, SERVICE_AREA_NAME=AREA)
    add_service_area(live_session, name=AREA)
    nearby = file_request(live_session, title=NEARBY_TITLE, description=DESCRIPTION, landmark="")
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serving(live_app) as base_url:
        page.goto(base_url + "/", wait_until="networkidle")
        expect(page.locator("html")).to_have_attribute("lang", "en")

        page.get_by_role("button", name="简体中文").tap()
        # The switch navigates: wait for the new page before polling its script.
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        page.wait_for_function("() => window.transitreqMap !== undefined")
        expect(page.locator("#form-heading")).to_have_text("申请设立公交站")

        # A tap 120 m south of the request already filed: it is offered before anything is typed.
        target = offset(RAILWAY_SQUARE, 180, 120)
        page.evaluate(
            "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 16, { animate: false }); }",
            [target.y, target.x],
        )
        wait_for_map(page)
        box = page.locator("#map_city").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(page.locator("#coordinates-status")).to_contain_text("标记已放在")
        item = page.locator("#nearby-list > li")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(NEARBY_TITLE)
        expect(item).to_contain_text("暂无支持者")
        expect(item).to_contain_text(nearby.reference)
        offer = page.get_by_role("button", name="改为支持这项申请")
        expect(offer).to_be_visible()
        offer.tap()
        quick_form = page.locator(".quick-support")
        expect(quick_form.get_by_label("您的电子邮箱或电话")).to_be_focused()
        expect(quick_form.get_by_role("button", name=f"支持 {nearby.reference}")).to_be_visible()
        assert _english_on_screen(page) == []
        assert page.locator(".leaflet-control-zoom-in").get_attribute("aria-label") == "放大"

        page.fill("#title", TITLE)
        page.fill("#description", DESCRIPTION)
        page.locator("#served-elderly").check()
        page.fill("#landmark", LANDMARK)
        page.fill("#reporter_contact", "wangfang@example.cn")
        page.locator("#notify_progress").check()
        page.locator("#submit-request").tap()

        expect(page.locator("h1")).to_have_text("谢谢您：您的申请已提交")
        reference = page.inner_text("#reference")
        assert reference.startswith("SR-")
        expect(page.locator("body")).to_contain_text("通过您留下的联系方式告诉您进展情况")
        assert _english_on_screen(page) == []

        page.locator("#tracking-url").tap()
        expect(page.locator("#request-title")).to_have_text(TITLE)
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        assert _english_on_screen(page) == []
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
