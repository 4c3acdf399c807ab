"""What residents type is data: template syntax, markup and script are shown exactly as typed on
every page, API, export and e-mail that carries them, and never run anywhere.

Pins the template injection found by an attacker's test: a title ``{{ 7*7 }}`` showed as ``49``
on the public map, ``{{ cycler.__init__.__globals__.os.popen(…) }}`` ran a shell command, and a
title holding ``{#`` made the home page answer 500 for everyone. The cause was resident text
inside folium elements, whose output branca compiles again as a Jinja template.

Each payload goes into every field a resident fills (title, description, landmark, name, the
answer to a planner's question, feedback) through each way in (the form, the JSON API and
Open311), then the whole story runs: support, question and answer, approval, the stop project
to service, feedback published.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select

from tests.conftest import BACKENDS, csrf_token_from, make_test_app
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    log_in,
    offset,
    take_to_stage,
)
from tests.templates import TEMPLATES
from transitreq.models import OutboundEmail
from transitreq.services.requests import decisions
from transitreq.services.requests.feedback import feedback_queue, moderate
from transitreq.services.requests.filing import find_by_reference

PAYLOADS = {
    "jinja expression": "{{ 7*7 }}",
    "jinja comment": "{# never closed",
    "jinja statement": "{% print(1) %}",
    "template literal": "${7*7}",
    "script element": "<script>alert(1)</script>",
    "attribute breakout": '"><img src=x onerror=alert(1)>',
    "server command": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
}
# What a payload would have become had anything evaluated or rendered it as markup.
EVALUATED = {"{{ 7*7 }}": "49", "{% print(1) %}": "1", "${7*7}": "49"}
EVIDENCE_OF_EVALUATION = ("uid=", "<script>alert", "<img src=x")


@dataclass
class HostileStory:
    payload: str
    by_form: str
    by_json: str
    by_open311: str
    project_id: int

    @property
    def references(self) -> tuple[str, str, str]:
        return (self.by_form, self.by_json, self.by_open311)


def _text(payload: str, field: str) -> str:
    return f"{field} {payload}"


def _file_by_form(client, payload: str) -> str:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(
        "/requests",
        data={
            "csrf_token": token,
            "lat": str(RAILWAY_SQUARE.y),
            "lon": str(RAILWAY_SQUARE.x),
            "title": _text(payload, "title"),
            "description": _text(payload, "description"),
            "served_groups": ["elderly"],
            "landmark": _text(payload, "landmark"),
            "reporter_name": _text(payload, "name"),
            "reporter_contact": "form@example.org",
            "notify_progress": "on",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.location.split("/")[-2]


def _file_by_json(client, payload: str) -> str:
    point = offset(RAILWAY_SQUARE, 90, 400)
    response = client.post(
        "/api/requests",
        json={
            "lat": point.y,
            "lon": point.x,
            "title": _text(payload, "title"),
            "description": _text(payload, "description"),
            "served_groups": ["elderly"],
            "landmark": _text(payload, "landmark"),
            "reporter_name": _text(payload, "name"),
            "reporter_contact": "json@example.org",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reference"]


def _file_by_open311(client, payload: str) -> str:
    point = offset(RAILWAY_SQUARE, 270, 400)
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "service_code": "BUS_STOP_REQUEST",
            "lat": str(point.y),
            "long": str(point.x),
            "description": _text(payload, "description"),
            "attribute[title]": _text(payload, "title"),
            "attribute[landmark]": _text(payload, "landmark"),
            "attribute[served][]": "elderly",
            "email": "open311@example.org",
            "first_name": _text(payload, "name"),
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()[0]["service_request_id"]


def _support_by_form(client, reference: str, payload: str) -> None:
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    response = client.post(
        f"/requests/{reference}/support",
        data={
            "csrf_token": csrf_token_from(page),
            "contact": "neighbour@example.org",
            "name": _text(payload, "supporter"),
        },
    )
    assert response.status_code == 303


def _answer_by_form(client, reference: str, payload: str) -> None:
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    response = client.post(
        f"/requests/{reference}/answer",
        data={
            "csrf_token": csrf_token_from(page),
            "contact": "form@example.org",
            "answer": _text(payload, "answer"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _feedback_by_form(client, reference: str, payload: str) -> None:
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    response = client.post(
        f"/requests/{reference}/feedback",
        data={
            "csrf_token": csrf_token_from(page),
            "body": _text(payload, "feedback"),
            "name": _text(payload, "feedback name"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _story(client, session, payload: str) -> HostileStory:
    add_service_area(session)
    by_form = _file_by_form(client, payload)
    by_json = _file_by_json(client, payload)
    by_open311 = _file_by_open311(client, payload)
    _support_by_form(client, by_form, payload)
    planner = add_user(session, "planner")
    asked = find_by_reference(session, by_form)
    decisions.ask_for_information(session, by_form, asked.version, planner, "Which corner?")
    _answer_by_form(client, by_form, payload)
    session.expire_all()
    answered = find_by_reference(session, by_form)
    project = decisions.approve(session, by_form, answered.version, planner, RAILWAY_SQUARE)
    take_to_stage(session, project, planner, "in_service")
    _feedback_by_form(client, by_form, payload)
    for item in feedback_queue(session):
        moderate(session, item.feedback.id, planner, "publish")
    return HostileStory(payload, by_form, by_json, by_open311, project.id)


@dataclass
class StoryCity:
    app: Flask
    story: HostileStory


@pytest.fixture(
    scope="module",
    params=[(backend, name) for backend in BACKENDS for name in PAYLOADS],
    ids=[f"{backend}-{name}" for backend in BACKENDS for name in PAYLOADS],
)
def story_city(request, tmp_path_factory) -> Iterator[StoryCity]:
    """The whole story told once per backend and payload, in a database of its own; the tests
    that follow only read what it left (each with a client and a session of its own)."""
    backend, name = request.param
    folder = tmp_path_factory.mktemp("story")
    url = TEMPLATES.copy(backend, directory=folder)
    app = make_test_app(url, str(folder / "instance"))
    session = app.extensions["transitreq.sessionmaker"]()
    try:
        yield StoryCity(app, _story(app.test_client(), session, PAYLOADS[name]))
    finally:
        session.close()
        app.extensions["transitreq.engine"].dispose()
        TEMPLATES.drop(url)


@pytest.fixture
def story(story_city) -> HostileStory:
    return story_city.story


@pytest.fixture
def story_client(story_city):
    return story_city.app.test_client()


@pytest.fixture
def story_session(story_city):
    session = story_city.app.extensions["transitreq.sessionmaker"]()
    yield session
    session.close()


def _assert_shown_verbatim(html: str, story: HostileStory, fields: tuple[str, ...], where: str):
    """Each field's text appears on the page exactly as typed (HTML-escaped, as markup must be),
    and nothing suggests it was evaluated."""
    for field in fields:
        assert str(escape(_text(story.payload, field))) in html, (where, field)
        if story.payload in EVALUATED:
            assert _text(EVALUATED[story.payload], field) not in html, (where, field)
    for evidence in EVIDENCE_OF_EVALUATION:
        assert evidence not in html, (where, evidence)


def _get_ok(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_public_pages_and_apis_show_resident_text_exactly_as_typed(story_client, story):
    home = _get_ok(story_client, "/")
    # The home page is a shell: no resident text is part of it at all.
    assert story.payload not in home and str(escape(story.payload)) not in home
    tracking = _get_ok(story_client, f"/requests/{story.by_form}")
    _assert_shown_verbatim(tracking, story, ("title", "description", "landmark"), "tracking")
    _assert_shown_verbatim(tracking, story, ("feedback",), "published feedback")
    for reference in story.references:
        details = story_client.get(f"/api/requests/{reference}").get_json()
        assert details["title"] == _text(story.payload, "title")
        assert details["description"] == _text(story.payload, "description")
        assert details["landmark"] == _text(story.payload, "landmark")
    layer = story_client.get("/api/layers/requests?bbox=24.9,60.15,24.98,60.19").get_json()
    titles = {feature["properties"]["title"] for feature in layer["features"]}
    assert titles == {_text(story.payload, "title")}
    nearby = story_client.get(f"/api/requests/nearby?lat={RAILWAY_SQUARE.y}&lon={RAILWAY_SQUARE.x}")
    nearby_titles = {item["title"] for item in nearby.get_json()["requests"]}
    assert _text(story.payload, "title") in nearby_titles
    stops = story_client.get("/api/layers/new-stops?bbox=24.9,60.15,24.98,60.19").get_json()
    assert [f["properties"]["name"] for f in stops["features"]] == [_text(story.payload, "title")]


def test_open311_answers_carry_resident_text_exactly(story_client, story):
    listed = story_client.get(f"/open311/v2/requests.json?service_request_id={story.by_open311}")
    assert listed.status_code == 200
    assert listed.get_json()[0]["description"] == _text(story.payload, "description")
    xml = story_client.get(f"/open311/v2/requests/{story.by_open311}.xml")
    assert xml.status_code == 200
    description = ElementTree.fromstring(xml.data).find("request/description").text
    assert description == _text(story.payload, "description")


def test_staff_pages_show_resident_text_exactly_as_typed(story_client, story_session, story):
    log_in(story_client, story_session, "planner")
    review = _get_ok(story_client, f"/planning/requests/{story.by_json}")
    _assert_shown_verbatim(review, story, ("title", "description", "landmark", "name"), "review")
    answered = _get_ok(story_client, f"/planning/requests/{story.by_form}")
    _assert_shown_verbatim(answered, story, ("answer",), "review with the answer")
    project = _get_ok(story_client, f"/planning/projects/{story.project_id}")
    _assert_shown_verbatim(project, story, ("title",), "project page")
    _assert_shown_verbatim(
        _get_ok(story_client, "/planning/projects/"), story, ("title",), "projects"
    )
    queue = story_client.get("/api/planner/requests?per_page=50").get_json()
    assert _text(story.payload, "title") in {row["title"] for row in queue["rows"]}
    _get_ok(story_client, "/planning/")
    _get_ok(story_client, "/planning/dashboard/")
    moderation = _get_ok(story_client, "/planning/feedback/")
    _assert_shown_verbatim(moderation, story, ("feedback",), "feedback moderation")


def test_department_sign_off_page_shows_the_site_name_as_typed(client, app_session):
    """During coordination the project (named after the resident's title) is on the
    department's page and its map configuration."""
    payload = PAYLOADS["server command"]
    add_service_area(app_session)
    reference = _file_by_form(client, payload)
    planner = add_user(app_session, "planner")
    filed = find_by_reference(app_session, reference)
    project = decisions.approve(app_session, reference, filed.version, planner, RAILWAY_SQUARE)
    take_to_stage(app_session, project, planner, "coordination")
    log_in(client, app_session, "department")
    html = _get_ok(client, "/departments/")
    assert str(escape(_text(payload, "title"))) in html
    config = json.loads(
        re.search(r'id="map-config">(.*?)</script>', html, re.S).group(1)  # type: ignore[union-attr]
    )
    assert config["marks"][0]["label"].startswith(_text(payload, "title"))
    assert "uid=" not in html


def test_exports_carry_resident_text_exactly_as_typed(story_client, story_session, story):
    log_in(story_client, story_session, "planner")
    title = _text(story.payload, "title")
    requests_csv = story_client.get("/planning/exports/requests.csv")
    assert requests_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(requests_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["title"] for row in rows} == {title}
    geojson = story_client.get("/planning/exports/requests.geojson").get_json()
    assert {feature["properties"]["title"] for feature in geojson["features"]} == {title}
    projects_csv = story_client.get("/planning/exports/projects.csv").get_data(as_text=True)
    names = {row["name"] for row in csv.DictReader(io.StringIO(projects_csv.lstrip("\ufeff")))}
    assert names == {title}
    stops = story_client.get("/planning/exports/stops.txt").get_data(as_text=True)
    assert [row["stop_name"] for row in csv.DictReader(io.StringIO(stops))] == [title]


def test_e_mails_carry_resident_text_exactly_as_typed(story_session, story):
    bodies = story_session.scalars(select(OutboundEmail.body)).all()
    assert bodies, "the story's milestones queue progress e-mails"
    for body in bodies:
        assert _text(story.payload, "title") in body
        assert "uid=" not in body


def test_the_resident_text_is_stored_exactly_as_typed(story_session, story):
    for reference in story.references:
        stored = find_by_reference(story_session, reference)
        assert stored.title == _text(story.payload, "title")
        assert stored.description == _text(story.payload, "description")
