"""transitreq: residents request bus stops on a map; planners weigh, decide and build them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from transitreq import config as settings
from transitreq.db import embedded_database_url, make_engine, make_sessionmaker
from transitreq.geo.metric_crs import check_metric_srid
from transitreq.services.evaluation import EvaluationSettings, parse_radii
from transitreq.services.mailer import smtp_settings
from transitreq.services.project_settings import SETTINGS_KEY as PROJECT_SETTINGS_KEY
from transitreq.services.project_settings import project_settings
from transitreq.services.request_validation import RequestLimits
from transitreq.services.review_queue import SETTINGS_KEY as SCORE_SETTINGS_KEY
from transitreq.services.scoring import ScoreWeights


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
    app.extensions["transitreq.evaluation_settings"] = evaluation_settings(app.config)
    app.extensions["transitreq.project_settings"] = project_settings(app.config)
    app.extensions["transitreq.smtp_settings"] = smtp_settings(app.config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = embedded_database_url(
            app.instance_path, settings.EMBEDDED_DATABASE_FILENAME
        )

    check_metric_srid(int(app.config["METRIC_SRID"]))
    proxies = int(app.config["PROXY_COUNT"])
    if proxies < 0:
        raise ValueError("PROXY_COUNT must be 0 or more")
    engine = make_engine(app.config["DATABASE_URL"], extra_srids=(int(app.config["METRIC_SRID"]),))
    app.extensions["transitreq.engine"] = engine
    app.extensions["transitreq.sessionmaker"] = make_sessionmaker(engine)
    # Services that score a request (on filing and support) evaluate with the deployment's
    # settings, carried by every session of this app.
    app.extensions["transitreq.sessionmaker"].configure(
        info={
            SCORE_SETTINGS_KEY: app.extensions["transitreq.evaluation_settings"],
            PROJECT_SETTINGS_KEY: app.extensions["transitreq.project_settings"],
        }
    )

    from transitreq import cli
    from transitreq.web import register_web

    register_web(app)
    cli.register(app)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def evaluation_settings(config: Mapping[str, Any]) -> EvaluationSettings:
    """Site-evaluation settings from config, checked once at start."""
    return EvaluationSettings(
        catchment_radii_m=parse_radii(str(config["CATCHMENT_RADII_M"])),
        pass_by_m=float(config["PASS_BY_M"]),
        min_stop_spacing_m=float(config["MIN_STOP_SPACING_M"]),
        demand_radius_m=float(config["DEMAND_RADIUS_M"]),
        metric_srid=int(config["METRIC_SRID"]),
        score_radius_m=int(config["SCORE_RADIUS_M"]),
        weights=ScoreWeights(
            newly_served=config["SCORE_WEIGHT_NEWLY_SERVED"],
            demand=config["SCORE_WEIGHT_DEMAND"],
            routes_passing=config["SCORE_WEIGHT_ROUTES_PASSING"],
            newly_served_full_at=config["SCORE_FULL_NEWLY_SERVED"],
            demand_full_at=config["SCORE_FULL_DEMAND"],
            routes_passing_full_at=config["SCORE_FULL_ROUTES_PASSING"],
            spacing_penalty=config["SCORE_SPACING_PENALTY"],
        ),
    )
