"""One Alembic history builds both backends from empty to head and takes them back to base."""

from __future__ import annotations

import pytest
from geoalchemy2 import Geometry
from sqlalchemy import inspect, text

from tests import databases
from transitreq import migrate
from transitreq.db import make_engine
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
    # Stop projects (0005) come later than 0002, with their own spatial column.
    assert _spatial_indexes(empty_engine) == SPATIAL_COLUMNS - {("stop_projects", "location")}
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
        point = "ST_GeomFromText('POINT(24.94 60.17)', 4326)"
        if empty_engine.dialect.name == "sqlite":
            point = "GeomFromText('POINT(24.94 60.17)', 4326)"
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
