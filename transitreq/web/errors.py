"""One error format: JSON ``{"error": {...}}`` under /api, a friendly page everywhere else."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from transitreq.errors import DatabaseUnavailable, DomainError
from transitreq.i18n import lazy_gettext


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    fields = fields or {}
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields}
    if fields:
        body["field"] = next(iter(fields))
    return {"error": body}


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    return jsonify(error_body(code, message, fields)), status


def _handle_domain_error(error: DomainError):
    if _wants_json():
        return json_error(error.status, error.code, error.message, error.fields)
    return render_template("errors/error.html", status=error.status, message=error.message), (
        error.status
    )


def as_unavailable(error: Exception) -> DatabaseUnavailable | None:
    """The database-unreachable refusal for a driver error that says the connection is gone
    (server restarting, connection terminated, network down), else None: other database errors
    are bugs and stay 500s."""
    if isinstance(error, OperationalError | DisconnectionError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return DatabaseUnavailable()
    return None


def unavailable_response(error: DatabaseUnavailable, response: Response) -> Response:
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response


def _handle_database_error(error: DBAPIError):
    unavailable = as_unavailable(error)
    if unavailable is None:
        return _handle_unexpected(error)
    current_app.logger.warning("database unreachable: %s", error.__class__.__name__)
    body, status = _handle_domain_error(unavailable)
    return unavailable_response(unavailable, current_app.make_response((body, status)))


# Lazy: each is translated when shown, for the reader of that page.
_FRIENDLY = {
    400: lazy_gettext("The request could not be understood."),
    401: lazy_gettext("Log in to see this page."),
    403: lazy_gettext("Your account may not see this page."),
    404: lazy_gettext("There is nothing at this address."),
    405: lazy_gettext("This address does not accept that method."),
    413: lazy_gettext("What was sent is too large."),
    429: lazy_gettext("Too many requests from your address; please wait a moment and try again."),
    500: lazy_gettext("Something went wrong on our side; nothing was saved. Please try again."),
    503: lazy_gettext("The service is not available just now; please try again in a moment."),
}
# Any other refusal or failure: the page and the JSON still say it in the reader's language.
_OTHER_REFUSAL = lazy_gettext("The request could not be completed.")
_CSRF_FAILED = lazy_gettext(
    "The form expired or came from elsewhere; reload the page and try again."
)


def _handle_http_error(error: HTTPException):
    status = error.code or 500
    message = str(_FRIENDLY.get(status, _OTHER_REFUSAL if status < 500 else _FRIENDLY[500]))
    if status == 400 and error.description and "CSRF" in error.description:
        message = str(_CSRF_FAILED)
    if _wants_json():
        code = error.name.lower().replace(" ", "_")
        return json_error(status, code, message)
    return render_template("errors/error.html", status=status, message=message), status


def _handle_unexpected(error: Exception):
    # Logged with its traceback; the user gets a clear message, never a stack trace.
    current_app.logger.exception("unhandled error", exc_info=error)
    if _wants_json():
        return json_error(500, "internal_error", str(_FRIENDLY[500]))
    return render_template("errors/error.html", status=500, message=_FRIENDLY[500]), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(DBAPIError, _handle_database_error)
    app.register_error_handler(DisconnectionError, _handle_database_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)
