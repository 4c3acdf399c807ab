"""Flask blueprints, one per audience, wired onto the app by ``register_web``."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from transitreq import sentences
from transitreq.models import RequestStatus
from transitreq.models.transit import MODE_LABELS
from transitreq.services.requests.contacts import MAX_CONTACT_CHARS
from transitreq.services.requests.validation import NAME_MAX_CHARS
from transitreq.web import (
    admin,
    api,
    auth,
    compression,
    dashboard,
    data,
    database,
    departments,
    errors,
    exports,
    input_guard,
    locale,
    moderation,
    notifications,
    open311,
    openapi,
    photos,
    planner_api,
    planning,
    projects,
    public,
    rate_limits,
    request_photos,
    review,
    score_keeper,
    security,
    suggestions,
)
from transitreq.web.app_settings import service_area_name

csrf = CSRFProtect()
# The largest id our id columns hold: INTEGER, 32 bits on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in our URLs is a row's id: a number no row can have matches no route (404)
    instead of overflowing the database driver (500)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def register_web(app: Flask) -> None:
    # Before any blueprint adds a rule that uses it.
    app.url_map.converters["int"] = RowIdConverter
    # First, so that its after-request step runs last (Flask runs them in reverse): it
    # compresses the body every other step has finished.
    compression.init_app(app)
    database.init_app(app)
    score_keeper.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    locale.init_app(app)
    # Ahead of CSRF protection, which reads the whole body: survey photos may be larger.
    app.before_request(projects.allow_photo_uploads)
    # Likewise the residents' request form, which may carry photos of the spot.
    app.before_request(request_photos.allow_request_photos)
    csrf.init_app(app)
    # After the photo allowance above: reading a form parses the body.
    input_guard.init_app(app)
    # JSON clients cannot be lured into cross-site posts (browsers preflight JSON bodies), and
    # they carry no session cookie; their forms-style protection comes with API keys later.
    csrf.exempt(api.bp)
    # Open311 clients are other servers posting form-encoded bodies without cookies; what
    # guards their POSTs is the API key, when the deployment requires one.
    csrf.exempt(open311.bp)
    auth.init_app(app)
    app.register_blueprint(admin.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(planning.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(planner_api.bp)
    app.register_blueprint(suggestions.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(departments.bp)
    app.register_blueprint(photos.bp)
    app.register_blueprint(request_photos.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(data.bp)
    app.register_blueprint(notifications.bp)
    rate_limits.init_app(app)

    @app.context_processor
    def _statuses():
        return {
            "request_statuses": list(RequestStatus),
            "status_labels": {status.value: status.label for status in RequestStatus},
            "service_area_name": service_area_name(),
            "contact_max_chars": MAX_CONTACT_CHARS,
            "name_max_chars": NAME_MAX_CHARS,
        }

    app.add_template_global(sentences.event_title, "event_title")
    app.add_template_global(sentences.actor_name, "actor_name")
    app.add_template_global(sentences.event_text, "event_text")

    @app.template_global("mode_label")
    @app.template_filter("mode_label")
    def _mode_label(mode: str) -> str:
        return MODE_LABELS.get(mode, mode)
