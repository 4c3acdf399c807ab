"""The application factory, configuration, CLI and response headers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from transitreq import create_app
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
    assert "revision 0002" in init.output
    assert seed.exit_code == 0, seed.output
    session = app.extensions["transitreq.sessionmaker"]()
    stops = session.scalar(select(func.count(Stop.id)))
    requests = session.scalar(select(func.count(StopRequest.id)))
    session.close()
    assert f"{stops} stops, {requests} requests" in seed.output
    assert stops > 50


def test_pages_forbid_scripts_from_elsewhere(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "default-src 'self'" in policy


def test_tile_host_alone_is_allowed_for_images():
    assert tile_source("https://{s}.tiles.example.net/{z}/{x}/{y}.png") == (
        "https://*.tiles.example.net"
    )
    assert tile_source("") == ""
    policy = content_security_policy("https://maps.city.example/tiles/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://maps.city.example" in policy


def test_repository_never_ships_vendored_front_end_files():
    ignored = (Path(__file__).parent.parent / ".gitignore").read_text().split()
    assert "static/vendor/" in ignored
