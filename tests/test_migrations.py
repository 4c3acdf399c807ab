"""One Alembic history builds both backends from empty to head and takes them back to base."""

from __future__ import annotations

import json

import pytest
from geoalchemy2 import Geometry
from sqlalchemy import inspect, text

from tests import databases
from transitreq import migrate
from transitreq.db import make_engine
from transitreq.importers.report import example_text
from transitreq.models import Base

# Every table and spatial column the models declare: the history must build exactly these.
APP_TABLES = set(Base.metadata.tables)
SPATIAL_COLUMNS = {
    (table.name, column.name)
    for table in Base.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, Geometry)
}


@pytest.fixture
def empty_engine(backend, tmp_path):
    if backend == "postgis":
        url = databases.create_postgis_database()
    else:
        url = databases.spatialite_database(tmp_path)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    if backend == "postgis":
        databases.drop_postgis_database(url)


def _spatial_indexes(engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT t.relname, a.attname FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                    "JOIN pg_class t ON t.oid = i.indrelid "
                    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
                    "WHERE am.amname = 'gist'"
                )
            )
        else:
            rows = connection.execute(
                text(
                    "SELECT f_table_name, f_geometry_column FROM geometry_columns "
                    "WHERE spatial_index_enabled = 1"
                )
            )
        return {(table, column) for table, column in rows}


def _point_sql(engine) -> str:
    """A WGS 84 point as SQL literal text, spelt for the engine's database."""
    function = "GeomFromText" if engine.dialect.name == "sqlite" else "ST_GeomFromText"
    return f"{function}('POINT(24.94 60.17)', 4326)"


def test_upgrade_from_empty_to_head_then_downgrade_to_base(empty_engine):
    assert migrate.current_revision(empty_engine) is None

    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert set(inspect(empty_engine).get_table_names()) >= APP_TABLES
    assert _spatial_indexes(empty_engine) == SPATIAL_COLUMNS

    migrate.downgrade(empty_engine)
    assert migrate.current_revision(empty_engine) is None
    assert not APP_TABLES & set(inspect(empty_engine).get_table_names())
    assert _spatial_indexes(empty_engine) == set()

    # Back up again: downgrade left nothing behind that would block a fresh upgrade.
    migrate.upgrade(empty_engine)
    assert _spatial_indexes(empty_engine) == SPATIAL_COLUMNS


def test_open311_downgrade_keeps_the_request_geometry_and_its_index(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "0002")

    columns = {column["name"] for column in inspect(empty_engine).get_columns("stop_requests")}
    assert "media_url" not in columns
    assert "api_clients" not in inspect(empty_engine).get_table_names()
    # Stop projects (0005), place names (0013), street networks (0018) and the stored
    # coverage (0019) come later than 0002, with their own spatial columns.
    later = {
        ("coverage_parts", "geom"),
        ("stop_projects", "location"),
        ("place_names", "location"),
        ("street_edges", "geom"),
        ("street_nodes", "location"),
    }
    assert _spatial_indexes(empty_engine) == SPATIAL_COLUMNS - later
    if empty_engine.dialect.name == "sqlite":
        # Rebuilding the table (Alembic's batch mode) would leave SpatiaLite's triggers and
        # R*Tree pointing at a temporary table; a plain DROP COLUMN keeps them whole.
        with empty_engine.connect() as connection:
            check = connection.execute(
                text("SELECT CheckSpatialIndex('stop_requests', 'location')")
            ).scalar()
        assert check == 1


def test_projects_approved_before_tracking_get_the_default_milestones(empty_engine):
    """0007 gives projects that already exist a survey, four sign-offs, construction and launch."""
    migrate.upgrade(empty_engine, "0006")
    with empty_engine.begin() as connection:
        point = _point_sql(empty_engine)
        connection.execute(
            text(
                "INSERT INTO stop_projects (name, location, status, created_at) "
                f"VALUES ('Old project', {point}, 'approved', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(text("INSERT INTO departments (name) VALUES ('Landscaping')"))
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        plan = connection.execute(
            text(
                "SELECT m.kind, d.name, m.state FROM project_milestones m "
                "LEFT JOIN departments d ON d.id = m.department_id ORDER BY m.position"
            )
        ).all()
        version, routes = connection.execute(
            text("SELECT version, launch_routes FROM stop_projects")
        ).one()
        departments = connection.execute(text("SELECT count(*) FROM departments")).scalar()
    assert [(kind, name) for kind, name, _ in plan] == [
        ("site_survey", None),
        ("sign_off", "Urban construction"),
        ("sign_off", "Landscaping"),
        ("sign_off", "Traffic police"),
        ("sign_off", "Bus operator"),
        ("construction_start", "Urban construction"),
        ("construction_finish", "Urban construction"),
        ("launch", "Bus operator"),
    ]
    assert {state for _, _, state in plan} == {"pending"}
    assert departments == 4  # the existing Landscaping reused, not duplicated
    assert version == 1
    assert routes in ("[]", [])


def test_accounts_made_before_0009_keep_working_and_0009_comes_back_out(empty_engine):
    """0009 gives existing accounts session version 1 and moves failure counting from the
    account to login_attempts; going back restores the old columns."""
    migrate.upgrade(empty_engine, "0007")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, role, password_hash, active, failed_logins, "
                "created_at) VALUES ('lea@city.example', 'Lea', 'admin', 'scrypt:x', true, 4, "
                "CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(empty_engine, "0009")
    columns = {column["name"] for column in inspect(empty_engine).get_columns("users")}
    assert {"failed_logins", "locked_until"}.isdisjoint(columns) and "session_version" in columns
    assert "login_attempts" in inspect(empty_engine).get_table_names()
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT session_version FROM users")).scalar() == 1

    migrate.downgrade(empty_engine, "0007")
    columns = {column["name"] for column in inspect(empty_engine).get_columns("users")}
    assert {"failed_logins", "locked_until"} <= columns and "session_version" not in columns
    assert "login_attempts" not in inspect(empty_engine).get_table_names()
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT failed_logins FROM users")).scalar() == 0


def test_messages_the_old_code_gave_up_on_become_dead_and_stay_given_up_going_back(empty_engine):
    """0008: messages 0007's code stopped trying at 5 attempts, never sent and never reported,
    become dead (shown to administrators); the rest wait as before. Going back to 0007 keeps a
    dead message given up for the old code, whatever its attempts."""
    migrate.upgrade(empty_engine, "0007")
    insert = text(
        "INSERT INTO outbound_emails (recipient, subject, body, created_at, sent_at, attempts, "
        "last_error) VALUES (:recipient, 's', 'b', CURRENT_TIMESTAMP, :sent_at, :attempts, :error)"
    )
    with empty_engine.begin() as connection:
        for recipient, sent_at, attempts, error in (
            ("given-up@example.org", None, 5, "cannot connect to mail:587: refused"),
            ("refused@example.org", None, 5, None),
            ("waiting@example.org", None, 2, "timed out"),
            ("sent@example.org", "2026-11-30 10:00:00", 5, None),
        ):
            connection.execute(
                insert,
                {"recipient": recipient, "sent_at": sent_at, "attempts": attempts, "error": error},
            )

    migrate.upgrade(empty_engine)

    query = text(
        "SELECT recipient, dead_at IS NOT NULL, last_error FROM outbound_emails ORDER BY id"
    )
    with empty_engine.connect() as connection:
        rows = connection.execute(query).all()
    assert [(recipient, bool(dead), error) for recipient, dead, error in rows] == [
        ("given-up@example.org", True, "cannot connect to mail:587: refused"),
        ("refused@example.org", True, "gave up after 5 attempts"),
        ("waiting@example.org", False, "timed out"),
        ("sent@example.org", False, None),
    ]

    with empty_engine.begin() as connection:
        # Refused for good at its first attempt under the new code.
        connection.execute(
            text(
                "UPDATE outbound_emails SET attempts = 1, dead_at = CURRENT_TIMESTAMP "
                "WHERE recipient = 'waiting@example.org'"
            )
        )
    migrate.downgrade(empty_engine, "0007")

    columns = {column["name"] for column in inspect(empty_engine).get_columns("outbound_emails")}
    assert "dead_at" not in columns and "leased_until" not in columns
    with empty_engine.connect() as connection:
        attempts = connection.execute(
            text("SELECT attempts FROM outbound_emails ORDER BY id")
        ).scalars()
        assert list(attempts) == [5, 5, 5, 5]


def test_place_names_are_filled_from_what_was_loaded_before_0013(empty_engine):
    """0013 makes the stops, service areas and landmarks already loaded searchable: platforms
    of one name together as one place, merged requests' landmarks left out."""
    migrate.upgrade(empty_engine, "0012")
    geometry = "GeomFromText" if empty_engine.dialect.name == "sqlite" else "ST_GeomFromText"
    with empty_engine.begin() as connection:
        for stop_id, name, lon, lat in (
            ("P1", "Rautatientori", 24.9430, 60.1710),
            ("P2", "Rautatientori", 24.9436, 60.1712),
            ("K1", "Kaisaniemi", 24.9460, 60.1750),
        ):
            connection.execute(
                text(
                    "INSERT INTO stops (feed, gtfs_stop_id, name, location, trips_per_weekday) "
                    f"VALUES ('hsl', :id, :name, {geometry}(:point, 4326), 0)"
                ),
                {"id": stop_id, "name": name, "point": f"POINT({lon} {lat})"},
            )
        connection.execute(
            text(
                "INSERT INTO service_areas (name, boundary) VALUES ('Keskusta', "
                f"{geometry}('MULTIPOLYGON(((24.9 60.15, 24.98 60.15, 24.98 60.19, 24.9 60.15)))',"
                " 4326))"
            )
        )
        for landmark, status in (("Kauppatori", "submitted"), ("Old market", "merged")):
            connection.execute(
                text(
                    "INSERT INTO stop_requests (title, description, served_groups, landmark, "
                    "media_urls, location, status, notify_progress, is_demo, created_at, "
                    "updated_at, version) VALUES ('A stop', 'Please.', '[]', :landmark, '[]', "
                    f"{geometry}('POINT(24.95 60.167)', 4326), :status, false, false, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"landmark": landmark, "status": status},
            )

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT kind, name, normalised_name, dataset, ST_X(location), ST_Y(location) "
                "FROM place_names ORDER BY kind, name"
            )
        ).all()
    assert [(kind, name, folded, dataset) for kind, name, folded, dataset, _, _ in rows] == [
        ("area", "Keskusta", "keskusta", "service_areas"),
        ("landmark", "Kauppatori", "kauppatori", "requests"),
        ("stop", "Kaisaniemi", "kaisaniemi", "hsl"),
        ("stop", "Rautatientori", "rautatientori", "hsl"),
    ]
    assert rows[-1][4:] == pytest.approx((24.9433, 60.1711))


def test_import_notices_stored_as_english_sentences_become_keys_and_come_back(empty_engine):
    """0017 reads the English sentences 0016's importers stored with a dataset into problem keys
    and values, so the Data page can show them in Chinese; an unknown sentence is kept whole.
    Going back writes the English sentences again."""
    migrate.upgrade(empty_engine, "0016")
    expired = (
        "the calendar ended on Friday 2020-05-01, before today: service is measured on "
        "Monday 2020-04-06, the busiest weekday of its last 4 weeks"
    )
    left_out = "'60,17' is not a number; no trip calls at this stop, so it is left out"
    colour = "is not a colour (six hex digits), so the default FFFFFF is used"
    option = "is not one of 0, 1; read as 0"
    oddity = "a sentence no importer ever wrote"
    messages = [expired, left_out, colour, option, oddity]
    report = [
        {
            "code": "notice",
            "severity": "warning",
            "count": len(messages),
            "examples": [
                {"file": "stops.txt", "row": 3, "field": "stop_lat", "value": None, "message": m}
                for m in messages
            ],
        }
    ]
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO dataset_imports (kind, name, source, imported_at, imported_by, "
                "strict, counts, report) VALUES ('gtfs', 'spo', 'spo.zip', CURRENT_TIMESTAMP, "
                "'ops', false, '{}', :report)"
            ),
            {"report": json.dumps(report)},
        )

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        stored = connection.execute(text("SELECT report FROM dataset_imports")).scalar()
    examples = (json.loads(stored) if isinstance(stored, str) else stored)[0]["examples"]
    assert all("message" not in example for example in examples)
    assert [example["problem"] for example in examples] == [
        {
            "key": "feed_expired",
            "params": {"ended_day": "2020-05-01", "measured_day": "2020-04-06", "weeks": 4},
        },
        {
            "key": "unlocated_left_out",
            "params": {"problem": {"key": "not_number", "params": {"value": "60,17"}}},
        },
        {"key": "colour_default", "params": {"default": "FFFFFF"}},
        {"key": "option_read_as_0", "params": {"choices": [0, 1]}},
        {"text": oddity},
    ]
    # Read today, in English, they say what they said.
    assert [example_text(example).split(": ", 1)[1] for example in examples] == messages

    migrate.downgrade(empty_engine, "0016")

    with empty_engine.connect() as connection:
        stored = connection.execute(text("SELECT report FROM dataset_imports")).scalar()
    examples = (json.loads(stored) if isinstance(stored, str) else stored)[0]["examples"]
    assert [example["message"] for example in examples] == messages


def _support(connection, title: str, contact: str) -> None:
    connection.execute(
        text(
            "INSERT INTO supports (request_id, contact, notify_progress, created_at)"
            " SELECT id, :contact, false, CURRENT_TIMESTAMP FROM stop_requests"
            " WHERE title = :title"
        ),
        {"title": title, "contact": contact},
    )


def test_supporter_counts_are_filled_for_existing_requests_and_kept_until_going_back(
    empty_engine,
):
    """0023 counts the supports each request already has, then its triggers keep the count;
    going back to 0022 drops the column and the triggers, and supports can still be added."""
    migrate.upgrade(empty_engine, "0022")
    point = _point_sql(empty_engine)
    with empty_engine.begin() as connection:
        for title in ("Backed", "Alone"):
            connection.execute(
                text(
                    "INSERT INTO stop_requests (title, description, landmark, served_groups,"
                    " media_urls, location, status, notify_progress, is_demo, created_at,"
                    f" updated_at, version) VALUES (:title, '', '', '[]', '[]', {point},"
                    " 'submitted', false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"title": title},
            )
        for contact in ("a@example.org", "b@example.org", "c@example.org"):
            _support(connection, "Backed", contact)
    migrate.upgrade(empty_engine)
    counts = "SELECT title, supporter_count FROM stop_requests ORDER BY title"
    with empty_engine.begin() as connection:
        assert connection.execute(text(counts)).all() == [("Alone", 0), ("Backed", 3)]
        _support(connection, "Alone", "d@example.org")
        assert connection.execute(text(counts)).all() == [("Alone", 1), ("Backed", 3)]
    migrate.downgrade(empty_engine, "0022")
    with empty_engine.begin() as connection:
        _support(connection, "Alone", "e@example.org")
        columns = {column["name"] for column in inspect(connection).get_columns("stop_requests")}
    assert "supporter_count" not in columns
