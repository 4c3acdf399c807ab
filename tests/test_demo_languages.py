"""The demo city is written in one language, the city's: a Chinese city's demo reads Chinese
from the area's name to the residents' thanks, and an English one stays as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.chinese import english_words
from tests.conftest import reconfigure
from transitreq.config import build_settings, default_settings
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import (
    Event,
    Feedback,
    Milestone,
    Route,
    ServiceArea,
    Stop,
    StopProject,
    StopRequest,
)
from transitreq.models.population import PopulationDataset

# Names that stay as written in a Chinese demo: line numbers and the Latin letters of units.
_LATIN_ALLOWED = {"m"}


def _demo_texts(session) -> dict[str, list[str]]:
    """Every text the demo wrote that a reader meets, by where it is kept."""
    requests = list(session.scalars(select(StopRequest)))
    return {
        "area": [area.name for area in session.scalars(select(ServiceArea))],
        "routes": [route.long_name for route in session.scalars(select(Route))],
        "stops": [stop.name for stop in session.scalars(select(Stop))],
        "requests": [
            text
            for request in requests
            for text in (
                request.title,
                request.description,
                request.landmark,
                request.reporter_name,
            )
            if text
        ],
        "notes": [event.note for event in session.scalars(select(Event)) if event.note],
        # "resident" is the code for an event a resident caused; pages show it translated.
        "actors": sorted({event.actor for event in session.scalars(select(Event))} - {"resident"}),
        "milestones": [m.notes for m in session.scalars(select(Milestone)) if m.notes],
        "feedback": [
            text for f in session.scalars(select(Feedback)) for text in (f.body, f.name) if text
        ],
        "projects": [project.name for project in session.scalars(select(StopProject))],
        "population": [dataset.name for dataset in session.scalars(select(PopulationDataset))],
    }


@pytest.fixture
def session_after(app):
    """Opens a session carrying the app's settings once ``changes`` are made (sessions take
    the settings they are opened with); each is closed after the test, passed or failed."""
    opened = []

    def open_session(**changes):
        reconfigure(app, **changes)
        opened.append(app.extensions["transitreq.sessionmaker"]())
        return opened[-1]

    yield open_session
    for opened_session in opened:
        opened_session.close()


def test_a_chinese_city_gets_its_demo_in_chinese(session_after):
    app_session = session_after(DEFAULT_LOCALE="zh_Hans")
    counts = seed_demo_city(app_session)
    texts = _demo_texts(app_session)
    english = {
        where: [text for text in values if set(english_words(text)) - _LATIN_ALLOWED]
        for where, values in texts.items()
    }
    assert english == {where: [] for where in texts}
    assert texts["area"] == ["江湾（演示城市）"]
    assert "北门社区卫生服务中心" in texts["projects"]
    # Departments are the city's, in its words: the sign-offs name them in Chinese.
    departments = {
        sign_off.owner_name
        for project in app_session.scalars(select(StopProject))
        for sign_off in project.sign_offs
    }
    assert departments == {"城建部门", "园林绿化部门", "交警部门", "公交公司"}
    # The residents filed in Chinese, so their e-mails will be Chinese too.
    assert {r.locale for r in app_session.scalars(select(StopRequest))} == {"zh_Hans"}
    # The same city as the English demo: only the words differ.
    app_session.close()
    assert seed_demo_city(session_after(DEFAULT_LOCALE="en")) == counts


@pytest.mark.demo_city("en")
def test_the_english_demo_is_written_in_english(session):
    texts = _demo_texts(session)
    assert texts["area"] == ["Riverbend (demo city)"]
    assert "Northgate health centre" in texts["projects"]
    chinese = [
        t for values in texts.values() for t in values if any("\u4e00" <= c <= "\u9fff" for c in t)
    ]
    assert chinese == []
    assert {r.locale for r in session.scalars(select(StopRequest))} == {"en"}


def test_the_demo_follows_a_city_with_fewer_departments(session_after):
    """Its sign-off steps name departments by their place in REQUIRED_SIGN_OFFS; a city with
    two gets the steps of those two and none for departments it does not have."""
    app_session = session_after(
        REQUIRED_SIGN_OFFS="Roads,Bus company",
        CONSTRUCTION_DEPARTMENT="Roads",
        LAUNCH_DEPARTMENT="Bus company",
    )
    seed_demo_city(app_session, "en")
    departments = {
        sign_off.owner_name
        for project in app_session.scalars(select(StopProject))
        for sign_off in project.sign_offs
    }
    assert departments == {"Roads", "Bus company"}


def test_seed_demo_takes_a_language_and_refuses_others(app, app_session):
    runner = app.test_cli_runner()
    chinese = runner.invoke(args=["seed-demo", "--language", "zh_Hans"])
    assert chinese.exit_code == 0, chinese.output
    assert app_session.scalars(select(ServiceArea.name)).all() == ["江湾（演示城市）"]
    refused = runner.invoke(args=["seed-demo", "--language", "fr"])
    assert refused.exit_code == 2
    assert "fr" in refused.output and "zh_Hans" in refused.output
    # Nothing replaced by the refused run.
    assert app_session.scalars(select(ServiceArea.name)).all() == ["江湾（演示城市）"]


def test_default_department_names_are_the_citys_words():
    english = default_settings().projects
    assert english.required_sign_offs == (
        "Urban construction",
        "Landscaping",
        "Traffic police",
        "Bus operator",
    )
    from transitreq.config import DEFAULTS

    chinese = build_settings({**DEFAULTS, "DEFAULT_LOCALE": "zh_Hans"})
    assert tuple(chinese.projects.required_sign_offs) == (
        "城建部门",
        "园林绿化部门",
        "交警部门",
        "公交公司",
    )
    assert chinese.projects.construction_department == "城建部门"
    assert chinese.projects.launch_department == "公交公司"
    assert chinese.agency_name == "公交规划办公室"
    # A city that names its own keeps its names whatever its language.
    named = build_settings(
        {**DEFAULTS, "DEFAULT_LOCALE": "zh_Hans", "OPEN311_AGENCY": "Verkehrsamt"}
    )
    assert named.agency_name == "Verkehrsamt"
