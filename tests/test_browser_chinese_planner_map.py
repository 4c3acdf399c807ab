"""A planner who reads Chinese, in a real browser: the planners' map and its review queue, the
layer switcher, the legend, the markers' and the population layers' labels, the summary of a
request picked on the map and the review page's pin are all in Chinese, as the script draws
them from the page's catalogue (web/planner_messages.py)."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from playwright.sync_api import Page, expect
from sqlalchemy import update

from tests.chinese import english_words
from tests.factories import RAILWAY_SQUARE, STAFF_PASSWORD, add_service_area, file_request, offset
from transitreq.models import PopulationDataset, PopulationUnit, RequestStatus, StopRequest
from transitreq.services.accounts.staff import NewUser, create_user
from transitreq.services.requests.filing import support_request

pytestmark = pytest.mark.browser

TITLES = ["江边小区需要公交站", "学校门口的公交站", "医院旁边的公交站"]
# Every label the script makes, read where it is kept (a tooltip is in the page only while it
# is open): the markers of the queue, the population and coverage layers and the catchments.
TOOLTIPS = """() => {
  const texts = [];
  const visit = (layer) => {
    if (layer.eachLayer) { layer.eachLayer(visit); }
    const tip = layer.getTooltip && layer.getTooltip();
    if (tip) {
      const content = tip.getContent();
      texts.push(typeof content === "string" ? content : content.textContent);
    }
  };
  const layers = window.transitreqLayers;
  ["requests", "population", "gap", "selection"].forEach((name) => visit(layers[name]));
  return texts;
}"""


@pytest.fixture
def viewport() -> dict[str, int]:
    """Wide enough for the map and the queue table side by side."""
    return {"width": 1400, "height": 900}


def _city(session) -> None:
    add_service_area(session, name="滨江区")
    for number, title in enumerate(TITLES):
        filed = file_request(
            session,
            title=title,
            description="老人要走很远才能到公交站。",
            landmark="滨江公园",
            reporter_name="张阿姨",
            reporter_contact=f"resident{number}@example.org",
            point=offset(RAILWAY_SQUARE, 100 * number, 300 + 200 * number),
        )
        if number == 1:
            session.execute(
                update(StopRequest)
                .where(StopRequest.id == filed.id)
                .values(status=RequestStatus.UNDER_REVIEW)
            )
            session.commit()
        for supporter in range(number):
            support_request(session, filed.reference, f"fan{number}-{supporter}@example.org")
    points = [offset(RAILWAY_SQUARE, bearing, 250) for bearing in range(0, 360, 45)]
    dataset = PopulationDataset(
        name="2020年人口普查",
        source="人口普查.csv",
        population_field="population",
        geometry_kind="points",
        unit_count=len(points),
        total_population=120.0 * len(points),
    )
    dataset.units = [
        PopulationUnit(geom=from_shape(point, srid=4326), population=120.0) for point in points
    ]
    session.add(dataset)
    session.commit()


def _log_in_and_choose_chinese(page: Page, session) -> None:
    planner = create_user(
        session, NewUser("planner@city.example", "李规划", "planner", STAFF_PASSWORD, "")
    )
    page.goto(page.base_url + "/planning/")
    page.fill("#email", planner.email)
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/planning/")
    page.click("button[name=locale][value=zh_Hans]")
    page.wait_for_url("**/planning/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_function("() => window.transitreqLayers !== undefined")


def _show_overlay(page: Page, label: str) -> None:
    """Tick an overlay in the layer switcher, as the planner does."""
    page.evaluate(
        """(label) => [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
             .find((item) => item.textContent.includes(label)).querySelector("input").click()""",
        label,
    )


def _english(texts: list[str]) -> list[str]:
    return [text for text in texts if english_words(text, TITLES)]


def test_a_planner_reading_chinese_sees_the_map_queue_and_summary_in_chinese(
    page, live_app, live_session
):
    _city(live_session)
    _log_in_and_choose_chinese(page, live_session)

    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(len(TITLES))
    expect(page.locator("#queue-count")).to_have_text("有 3 项申请符合条件。")
    expect(page.locator("#page-label")).to_have_text("第 1 页，共 1 页")
    expect(rows.first.get_by_role("button")).to_have_text("在地图上显示")
    page.wait_for_function(
        f"() => window.transitreqLayers.requests.getLayers().length === {len(TITLES)}"
    )
    # Close enough for the coverage gap, which is computed for at most 5 × 5 km.
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 15, {animate: false}); }",
        [RAILWAY_SQUARE.y, RAILWAY_SQUARE.x],
    )

    switcher = page.locator(".leaflet-control-layers-list").text_content()
    assert "人口密度" in switcher and "覆盖空白（距公交站 400 米以外）" in switcher
    _show_overlay(page, "人口密度")
    page.wait_for_function("() => window.transitreqLayers.population.getLayers().length > 0")
    page.wait_for_function("() => window.transitreqLayers.gap.getLayers().length > 0")

    # The planner picks a request from the queue: its summary and catchments on the map.
    rows.nth(1).get_by_role("button").click()
    summary = page.locator("#summary-figures")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("400 米内的人口")
    expect(summary).to_contain_text("项申请，")
    expect(page.locator("#request-summary")).to_contain_text("打开审核页面")
    page.wait_for_function("() => window.transitreqLayers.selection.getLayers().length > 0")

    tooltips = page.evaluate(TOOLTIPS)
    assert any("位支持者" in text for text in tooltips)
    assert any(text.endswith("米步行可达范围") for text in tooltips)
    assert any(text.startswith("120 人") for text in tooltips)
    panels = [
        page.locator("#queue-pane").inner_text(),
        page.locator(".legend").inner_text(),
        page.locator("#layer-status").inner_text(),
        switcher,
        page.locator(".map-notes").all_inner_texts(),
    ]
    texts = [text for panel in panels for text in ([panel] if isinstance(panel, str) else panel)]
    assert _english(texts + tooltips) == []

    # On to the review page: the pin the planner drags is named in Chinese too.
    page.get_by_role("link", name="打开审核页面").click()
    page.wait_for_function("() => window.reviewPin !== undefined")
    expect(page.locator(".leaflet-marker-icon").first).to_have_attribute("title", "公交站位置")
