"""transitreq: residents request bus stops on a map; planners weigh, decide and build them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from transitreq import config
from transitreq.db import embedded_database_url, make_engine, make_sessionmaker
from transitreq.resources import resource_dir
from transitreq.services.context import SETTINGS_KEY


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the application; ``flask --app transitreq`` finds this factory by name.

    Settings come from the environment (``config.from_environment``) unless a test passes its
    own, and are checked once, here, into one ``config.Settings``. With no DATABASE_URL the
    embedded SpatiaLite file in ``instance/`` (or ``instance_path``) is used.
    """
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.from_mapping(config.from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config.instance_secret_key(app.instance_path)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = embedded_database_url(
            app.instance_path, config.EMBEDDED_DATABASE_FILENAME
        )
    settings = config.build_settings(app.config)
    app.extensions[SETTINGS_KEY] = settings
    # Flask's own session lifetime follows ours (see web/sessions.py).
    app.permanent_session_lifetime = timedelta(minutes=settings.session_idle_minutes)
    engine = make_engine(app.config["DATABASE_URL"], extra_srids=(settings.evaluation.metric_srid,))
    app.extensions["transitreq.engine"] = engine
    # Every session of this app carries the settings, so services read them from it.
    app.extensions["transitreq.sessionmaker"] = make_sessionmaker(engine)
    app.extensions["transitreq.sessionmaker"].configure(info={SETTINGS_KEY: settings})

    from transitreq import cli
    from transitreq.web import register_web

    register_web(app)
    cli.register(app)
    if settings.proxy_count:
        proxies = settings.proxy_count
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
