"""The application factory, configuration, CLI and response headers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import reconfigure
from tests.factories import (
    add_service_area,
)
from transitreq import create_app, migrate
from transitreq.models import Stop, StopRequest
from transitreq.web.security import content_security_policy, tile_source


def test_embedded_default_is_a_spatialite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(instance_path=str(tmp_path / "instance"))
    engine = app.extensions["transitreq.engine"]
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'transitreq.db'}"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT spatialite_version()")).scalar()
    engine.dispose()


def test_sqlite_url_gets_spatialite_too(tmp_path):
    database = tmp_path / "elsewhere.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}"}, instance_path=str(tmp_path))
    engine = app.extensions["transitreq.engine"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT CheckSpatialMetaData()")).scalar() > 0
    engine.dispose()
    assert database.exists()


def test_init_db_and_seed_demo_commands(app):
    runner = app.test_cli_runner()
    init = runner.invoke(args=["init-db"])
    seed = runner.invoke(args=["seed-demo"])
    assert init.exit_code == 0, init.output
    assert f"revision {migrate.head_revision()}" in init.output
    assert seed.exit_code == 0, seed.output
    session = app.extensions["transitreq.sessionmaker"]()
    stops = session.scalar(select(func.count(Stop.id)))
    requests = session.scalar(select(func.count(StopRequest.id)))
    session.close()
    assert f"{stops} stops, {requests} requests" in seed.output
    assert stops > 50


def test_only_our_own_inline_scripts_may_run(client):
    """Each response carries a fresh nonce; every inline script we write carries it too."""
    first, second = client.get("/"), client.get("/")
    policy = first.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    html = first.get_data(as_text=True)
    # Data blocks (the map's JSON configuration) are never run, so they need no nonce.
    inline_scripts = re.findall(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")([^>]*)>", html
    )
    assert inline_scripts
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline_scripts)
    assert '<script type="application/json" id="map-config">' in html
    assert nonce not in second.headers["Content-Security-Policy"]


def test_tile_host_alone_is_allowed_for_images():
    assert tile_source("https://{s}.tiles.example.net/{z}/{x}/{y}.png") == (
        "https://*.tiles.example.net"
    )
    assert tile_source("") == ""
    policy = content_security_policy("https://maps.city.example/tiles/{z}/{x}/{y}.png", "n")
    assert "img-src 'self' data: https://maps.city.example" in policy


def test_repository_never_ships_vendored_front_end_files():
    root = Path(__file__).parent.parent
    tracked = subprocess.run(
        ["git", "ls-files", "static/vendor", "node_modules"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert tracked == ""
    assert "static/vendor/" in (root / ".gitignore").read_text().split()


def test_without_secret_key_a_random_one_is_kept_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first = create_app({"DATABASE_URL": database}, instance_path=str(tmp_path / "instance"))
    again = create_app({"DATABASE_URL": database}, instance_path=str(tmp_path / "instance"))
    elsewhere = create_app({"DATABASE_URL": database}, instance_path=str(tmp_path / "other"))
    assert len(first.config["SECRET_KEY"]) >= 48
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] != elsewhere.config["SECRET_KEY"]
    for app in (first, again, elsewhere):
        app.extensions["transitreq.engine"].dispose()


def test_title_limit_beyond_the_column_stops_the_app_at_start(tmp_path):

    with pytest.raises(ValueError, match="TITLE_MAX_CHARS"):
        create_app(
            {"TITLE_MAX_CHARS": 500, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_tracking_links_use_the_public_url_when_set(app, app_session, client):
    from tests.factories import file_request

    add_service_area(app_session)
    filed = file_request(app_session)
    reconfigure(app, PUBLIC_URL="https://stops.city.example/")
    body = client.get(f"/api/requests/{filed.reference}").get_json()
    assert body["tracking_url"] == f"https://stops.city.example/requests/{filed.reference}"


@pytest.mark.parametrize("srid", [4326, 999999])
def test_a_metric_srid_that_is_not_metric_stops_the_app_at_start(tmp_path, srid):
    with pytest.raises(ValueError, match="METRIC_SRID"):
        create_app(
            {"METRIC_SRID": srid, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_a_national_metric_crs_works_on_spatialite_too(tmp_path):
    """EPSG:3067 (Finland) is not among SpatiaLite's WGS 84 presets; it is added on connect."""
    from tests.factories import RAILWAY_SQUARE
    from transitreq import migrate

    app = create_app(
        {"METRIC_SRID": 3067, "DATABASE_URL": f"sqlite:///{tmp_path}/fi.db"},
        instance_path=str(tmp_path),
    )
    engine = app.extensions["transitreq.engine"]
    migrate.upgrade(engine)
    with engine.connect() as connection:
        x, y = connection.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM"
                " (SELECT ST_Transform(MakePoint(:lon, :lat, 4326), 3067)"
                " AS p)"
            ),
            {"lon": RAILWAY_SQUARE.x, "lat": RAILWAY_SQUARE.y},
        ).one()
    engine.dispose()
    assert 385_000 < x < 387_000 and 6_671_000 < y < 6_674_000


def test_reference_systems_added_on_connect_outlast_a_rollback(tmp_path):
    """UTM zone 60 south (missing from SpatiaLite's own table) and a configured national CRS are
    registered by the connect hook; they stay after the pool rolls the first connection back,
    for connections opened later without being asked for them."""
    from transitreq.db import make_engine

    url = f"sqlite:///{tmp_path}/nz.db"
    first = make_engine(url, (3067,))
    with first.connect() as connection:
        connection.execute(text("SELECT 1"))  # read only: the pool rolls back on return
    first.dispose()
    later = make_engine(url)
    with later.connect() as connection:
        registered = connection.execute(
            text("SELECT srid FROM spatial_ref_sys WHERE srid IN (3067, 32760) ORDER BY srid")
        ).scalars()
        assert list(registered) == [3067, 32760]
        x, y = connection.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(MakePoint(174.7633,"
                " -36.8485, 4326), 32760) AS p)"
            )
        ).one()
    later.dispose()
    # Auckland in zone 60 south: west of the zone's central meridian (177° E).
    assert 200_000 < x < 500_000 and 5_900_000 < y < 6_000_000


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("REQUIRED_SIGN_OFFS", " , ", "REQUIRED_SIGN_OFFS must name at least one department"),
        ("REQUIRED_SIGN_OFFS", "Landscaping,landscaping", "names a department twice"),
        ("MILESTONE_DUE_DAYS", "survey=30", "MILESTONE_DUE_DAYS: 'survey=30'"),
        ("MILESTONE_DUE_DAYS", "sign_off=-5", "cannot be negative"),
        ("MAIL_SECURITY", "tls", "MAIL_SECURITY must be starttls, ssl or none"),
    ],
)
def test_project_and_mail_settings_are_checked_at_start(tmp_path, setting, value, message):
    with pytest.raises(ValueError, match=message):
        create_app(
            {setting: value, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_project_settings_reach_every_session(tmp_path):
    from transitreq.models import MilestoneKind
    from transitreq.services.context import settings_of

    app = create_app(
        {
            "REQUIRED_SIGN_OFFS": "Fire brigade, Landscaping",
            "MILESTONE_DUE_DAYS": "site_survey=10, launch=400",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
        instance_path=str(tmp_path),
    )
    session = app.extensions["transitreq.sessionmaker"]()
    try:
        settings = settings_of(session)
    finally:
        session.close()
        app.extensions["transitreq.engine"].dispose()
    assert settings.projects.required_sign_offs == ("Fire brigade", "Landscaping")
    assert settings.projects.due_days[MilestoneKind.SITE_SURVEY] == 10
    assert settings.projects.due_days[MilestoneKind.LAUNCH] == 400
    assert settings.projects.due_days[MilestoneKind.SIGN_OFF] == 60  # not named: the default


def test_an_unknown_time_zone_stops_the_app_at_start(tmp_path):
    with pytest.raises(ValueError, match="TIMEZONE 'Europe/Atlantis' is not an IANA time zone"):
        create_app(
            {"TIMEZONE": "Europe/Atlantis", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_a_negative_proxy_count_stops_the_app_at_start(tmp_path):
    with pytest.raises(ValueError, match="PROXY_COUNT must be 0 or more"):
        create_app(
            {"PROXY_COUNT": -1, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_commands_refuse_an_old_schema_and_say_to_run_init_db(tmp_path):
    """Every command but init-db and seed-demo used to migrate the schema first, even
    create-user, so an operator could change a production schema without meaning to."""
    from transitreq import create_app, migrate

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/old.db", "SECRET_KEY": "x"},
        instance_path=str(tmp_path),
    )
    engine = app.extensions["transitreq.engine"]
    migrate.upgrade(engine, "0007")
    runner = app.test_cli_runner()
    create_lea = [
        "create-user",
        "lea@city.example",
        "--name",
        "Lea",
        "--role",
        "admin",
        "--password",
        "a long enough password",
    ]
    refused = runner.invoke(args=create_lea)
    assert refused.exit_code == 1
    assert "is at revision 0007" in refused.output and "init-db" in refused.output
    assert migrate.current_revision(engine) == "0007"
    ready = runner.invoke(args=["init-db"])
    assert ready.exit_code == 0 and migrate.current_revision(engine) == migrate.head_revision()
    created = runner.invoke(args=create_lea)
    assert created.exit_code == 0, created.output
    engine.dispose()


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


def test_a_time_zone_that_is_a_folder_of_zones_is_refused_by_name(tmp_path):
    from transitreq import create_app

    with pytest.raises(ValueError, match="TIMEZONE 'America' is not an IANA time zone"):
        create_app(
            {"TIMEZONE": "America", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )
