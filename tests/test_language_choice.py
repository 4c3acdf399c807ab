"""The reader chooses the language: the switch in the header remembers it and brings them back
to the page they were on (never to another site); without a choice, the browser's languages
decide; a language the site is not written in is refused, saying which ones it is."""

from __future__ import annotations

import re

import pytest

from tests.chinese import english_on_page
from tests.conftest import csrf_token_from
from tests.factories import add_service_area, file_request

CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.8"}


def _choose(client, language: str, next_page: str = "/", field: str = "locale"):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/language", data={field: language, "next": next_page, "csrf_token": token})


def _html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def test_choosing_chinese_returns_to_the_page_and_every_page_after_is_chinese(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session, title="银湖小区门口需要一个公交站")
    track = f"/requests/{filed.reference}?from=map"

    chosen = _choose(client, "zh_Hans", next_page=track)

    assert chosen.status_code == 303
    assert chosen.location == track
    assert "lang=zh_Hans" in chosen.headers["Set-Cookie"]
    assert "HttpOnly" in chosen.headers["Set-Cookie"]
    # The choice holds on every page after, whatever page comes next.
    for page in ("/", track, "/login"):
        html = client.get(page).get_data(as_text=True)
        assert _html_lang(html) == "zh-Hans", page
        assert 'lang="zh-Hans" class="header-button" aria-pressed="true"' in html
    home = client.get("/").get_data(as_text=True)
    assert "申请设立公交站" in home and "Request a bus stop" not in home
    assert english_on_page(client.get("/login").get_data(as_text=True)) == []

    back = _choose(client, "en", next_page="/login")

    assert back.location == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert _html_lang(html) == "en" and "Staff login" in html


@pytest.mark.parametrize("language", ["zh-Hans", "zh-hans", "zh_Hans"])
def test_the_language_may_be_sent_as_its_tag_too(client, app_session, language):
    chosen = _choose(client, language, field="language")

    assert chosen.status_code == 303
    assert _html_lang(client.get("/login").get_data(as_text=True)) == "zh-Hans"


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
        "",
    ],
)
def test_the_switch_never_sends_the_reader_to_another_site(client, app_session, elsewhere):
    chosen = _choose(client, "zh_Hans", next_page=elsewhere)

    assert chosen.status_code == 303
    assert chosen.location == "/"
    # The choice itself still counts.
    assert _html_lang(client.get("/").get_data(as_text=True)) == "zh-Hans"


def test_a_chinese_browser_reads_chinese_until_the_reader_chooses_otherwise(client, app_session):
    first = client.get("/", headers=CHINESE_BROWSER).get_data(as_text=True)
    assert _html_lang(first) == "zh-Hans" and "申请设立公交站" in first
    english = client.get("/", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert _html_lang(english) == "en" and "Request a bus stop" in english
    # No Accept-Language at all: the city's default, English here.
    assert _html_lang(client.get("/").get_data(as_text=True)) == "en"

    _choose(client, "en")

    chosen = client.get("/", headers=CHINESE_BROWSER).get_data(as_text=True)
    assert _html_lang(chosen) == "en" and "Request a bus stop" in chosen


def test_an_unknown_language_is_refused_with_a_clear_message(client, app_session):
    refused = _choose(client, "fr", next_page="/login")

    assert refused.status_code == 400
    assert "Set-Cookie" not in refused.headers or "lang=" not in refused.headers["Set-Cookie"]
    html = refused.get_data(as_text=True)
    assert "This site is not written in that language. Choose one of: English, 简体中文." in html
    assert _html_lang(client.get("/login").get_data(as_text=True)) == "en"

    in_chinese = client.post(
        "/language",
        data={"locale": "klingon", "csrf_token": csrf_token_from(html)},
        headers=CHINESE_BROWSER,
    )
    assert in_chinese.status_code == 400
    page = in_chinese.get_data(as_text=True)
    assert "本网站没有这种语言的版本。请从以下语言中选择：English、简体中文。" in page
    assert english_on_page(page) == []


def test_a_form_sent_back_offers_the_switch_back_to_the_page_it_was_on(client, app_session):
    """A refused form answers at its POST-only address: switching the language there must bring
    the reader back to the page the form was on, not to a 405."""
    add_service_area(app_session)
    filed = file_request(app_session)
    track = f"http://transitreq.test/requests/{filed.reference}"
    token = csrf_token_from(client.get(track).get_data(as_text=True))

    refused = client.post(
        f"/requests/{filed.reference}/support",
        data={"contact": "", "csrf_token": token},
        headers={"Referer": track},
    )

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'name="next" value="/requests/{filed.reference}"' in html
    from_elsewhere = client.post(
        f"/requests/{filed.reference}/support",
        data={"contact": "", "csrf_token": token},
        headers={"Referer": "https://evil.example/requests/x"},
    )
    assert 'name="next" value="/"' in from_elsewhere.get_data(as_text=True)


def test_an_unnamed_service_area_is_the_city_in_the_readers_words(app, client, app_session):
    """SERVICE_AREA_NAME unset: the title and the way back say "the city" in each language; a
    name the city gave is shown as written."""
    from tests.conftest import reconfigure

    add_service_area(app_session)
    english = client.get("/").get_data(as_text=True)
    assert "<title>Request a bus stop in the city" in english
    chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "本市" in re.search(r"<title>(.*?)</title>", chinese, re.S).group(1)
    assert "the city" not in chinese
    reconfigure(app, SERVICE_AREA_NAME="江湾区")
    named = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "江湾区" in re.search(r"<title>(.*?)</title>", named, re.S).group(1)
