"""One error format: JSON ``{"error": {...}}`` under /api, a friendly page everywhere else."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from transitreq.errors import DomainError


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


_FRIENDLY = {
    400: "The request could not be understood.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "What was sent is too large.",
    500: "Something went wrong on our side; nothing was saved. Please try again.",
}


def _handle_http_error(error: HTTPException):
    status = error.code or 500
    message = _FRIENDLY.get(status, error.description or error.name)
    if status == 400 and error.description and "CSRF" in error.description:
        message = "The form expired or came from elsewhere; reload the page and try again."
    if _wants_json():
        code = error.name.lower().replace(" ", "_")
        return json_error(status, code, message)
    return render_template("errors/error.html", status=status, message=message), status


def _handle_unexpected(error: Exception):
    # Logged with its traceback; the user gets a clear message, never a stack trace.
    current_app.logger.exception("unhandled error", exc_info=error)
    if _wants_json():
        return json_error(500, "internal_error", _FRIENDLY[500])
    return render_template("errors/error.html", status=500, message=_FRIENDLY[500]), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)
