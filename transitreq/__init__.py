"""transitreq: residents request bus stops on a map; planners weigh, decide and build them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from transitreq import config as settings
from transitreq.db import embedded_database_url, make_engine, make_sessionmaker
from transitreq.services.request_validation import RequestLimits


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the application; ``flask --app transitreq`` finds this factory by name.

    Settings come from the environment (``config.from_environment``) unless a test passes its
    own. With no DATABASE_URL the embedded SpatiaLite file in ``instance/`` (or
    ``instance_path``) is used.
    """
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(settings.from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    # Built once so a misconfigured limit stops the app at start, not a resident's request.
    app.extensions["transitreq.request_limits"] = RequestLimits(
        title_max_chars=app.config["TITLE_MAX_CHARS"],
        description_max_chars=app.config["DESCRIPTION_MAX_CHARS"],
    )
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = embedded_database_url(
            app.instance_path, settings.EMBEDDED_DATABASE_FILENAME
        )

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["transitreq.engine"] = engine
    app.extensions["transitreq.sessionmaker"] = make_sessionmaker(engine)

    from transitreq import cli
    from transitreq.web import register_web

    register_web(app)
    cli.register(app)
    return app
