"""Open311 GeoReport v2 under /open311/v2/: other civic apps file and follow stop requests.

Every resource answers in ``.json`` and ``.xml``; every error is the standard's list of
``{code, description}`` with the same HTTP status. The rules live in ``services/open311.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError, DisconnectionError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from transitreq.errors import DomainError
from transitreq.i18n import _, lazy_gettext
from transitreq.models import ApiClient
from transitreq.services.requests import open311
from transitreq.services.requests.filing import find_by_reference
from transitreq.web.app_settings import public_root, settings
from transitreq.web.database import db_session
from transitreq.web.errors import as_unavailable, unavailable_response
from transitreq.web.forms import request_limits
from transitreq.web.locale import page_locale
from transitreq.web.open311_format import FORMATS, format_of, render, render_errors
from transitreq.web.presenters import tracking_url

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

# Lazy: translated when an error is answered, for that client's reader.
_HTTP_DESCRIPTIONS = {
    400: lazy_gettext("The request could not be understood."),
    404: lazy_gettext("There is no Open311 resource at this address."),
    405: lazy_gettext("This resource does not accept that method."),
    413: lazy_gettext("The request body is too large."),
    429: lazy_gettext(
        "Too many requests from your address; wait for the time in Retry-After and try again."
    ),
}
_OTHER_REFUSAL = lazy_gettext("The request could not be completed.")
# A NotFound raised for an unknown format says so; its own description is this sentence.
_UNKNOWN_FORMAT = "unknown_format"


@bp.before_request
def _check_format_and_jurisdiction() -> None:
    if (request.view_args or {}).get("fmt", "json") not in FORMATS:
        raise NotFound(_UNKNOWN_FORMAT)
    served = settings().open311_jurisdiction_id
    given = request.values.get("jurisdiction_id", "")
    if served and given and given != served:
        raise open311.UnknownService(
            _("jurisdiction_id %(given)s is not served here.", given=repr(given))
        )


def _base_url() -> str:
    return public_root() + (bp.url_prefix or "")


def _request_fields(stop_requests: list) -> list[dict]:
    agency = settings().agency_name
    return [
        open311.request_fields(
            stop_request,
            agency,
            _("Follow this request at %(url)s", url=tracking_url(stop_request.reference)),
        )
        for stop_request in stop_requests
    ]


@bp.get("/discovery.<fmt>")
def discovery(fmt: str) -> Response:
    """Where this server's GeoReport v2 endpoint is and which formats it speaks."""
    agency = settings().agency_name
    body = {
        "changeset": open311.CHANGESET,
        "contact": f"{agency}, {public_root()}/",
        "key_service": _(
            "API keys for filing requests are issued by the %(agency)s.", agency=agency
        ),
        "endpoints": [
            {
                "specification": open311.SPECIFICATION_URL,
                "url": _base_url(),
                "changeset": open311.CHANGESET,
                "type": "production",
                "formats": [FORMATS["xml"], FORMATS["json"]],
            }
        ],
    }
    return render(fmt, body, "discovery")


@bp.get("/services.<fmt>")
def services(fmt: str) -> Response:
    """The one service offered: bus stop requests."""
    return render(fmt, open311.service_list(), "services", "service")


@bp.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str) -> Response:
    """A service's attributes: who the stop would serve, the landmark, a short title."""
    definition = open311.service_definition(service_code, request_limits())
    return render(fmt, definition, "service_definition")


@bp.post("/requests.<fmt>")
def create_request(fmt: str) -> Response:
    """File a request from form-encoded parameters (lat/long required; no geocoding)."""
    session = db_session()
    if settings().open311_require_api_key:
        open311.check_api_key(session, request.form.get("api_key"))
    form = request.form
    served = form.getlist("attribute[served][]") + form.getlist("attribute[served]")
    submission = open311.Submission(
        served=served,
        media_urls=form.getlist("media_url") + form.getlist("media_url[]"),
        landmark=form.get("attribute[landmark]", ""),
        title=form.get("attribute[title]", ""),
        locale=page_locale(),
        **{name: form.get(name, "") for name in open311.SUBMISSION_PARAMETERS},
    )
    stop_request = open311.submit(session, submission, request_limits())
    reference = stop_request.reference
    notice = _(
        "Request received; planners will review it. Follow it at %(url)s",
        url=tracking_url(reference),
    )
    body = [
        {
            "service_request_id": reference,
            "token": reference,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return render(fmt, body, "service_requests", "request", 201)


@bp.get("/requests.<fmt>")
def list_requests(fmt: str) -> Response:
    """Requests by ``service_request_id`` (comma list), or by service, dates and status."""
    query = open311.parse_query(request.args, datetime.now(UTC))
    found = open311.find_requests(db_session(), query)
    return render(fmt, _request_fields(found), "service_requests", "request")


@bp.get("/requests/<service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str) -> Response:
    """One request, as a list of one."""
    stop_request = find_by_reference(db_session(), service_request_id)
    return render(fmt, _request_fields([stop_request]), "service_requests", "request")


@bp.get("/tokens/<token>.<fmt>")
def get_token(token: str, fmt: str) -> Response:
    """The request behind a token (ours equal the reference: requests are filed at once)."""
    stop_request = find_by_reference(db_session(), token)
    body = [{"service_request_id": stop_request.reference, "token": token}]
    return render(fmt, body, "service_requests", "request")


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(unknown: str) -> Response:
    """Anything else under /open311/v2: 405 for a known resource, else 404, as an error list."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "open311.unknown" and method != request.method:
            raise MethodNotAllowed()
    raise NotFound()


def keyed_client() -> ApiClient | None:
    """The client whose valid API key this request carries, looked up once per request: a
    civic app filing with its own key gets its own rate limit (web/rate_limits.py)."""
    if "open311_client" not in g:
        g.open311_client = open311.client_with_key(db_session(), request.form.get("api_key"))
    return g.open311_client


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    status, errors = open311.open311_errors(error)
    return render_errors(format_of(request.path), status, errors)


# By code as well as by class: the rate limiter's own 429 handler is registered by code on the
# app, and a code match anywhere is found before a class match.
@bp.errorhandler(429)
@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    description = str(_HTTP_DESCRIPTIONS.get(status, _OTHER_REFUSAL))
    if status == 404 and error.description == _UNKNOWN_FORMAT:
        description = _("Unknown format: use .json or .xml.")
    return render_errors(format_of(request.path), status, [(status, description)])


@bp.errorhandler(DBAPIError)
@bp.errorhandler(DisconnectionError)
def _database_error(error: Exception) -> Response:
    unavailable = as_unavailable(error)
    if unavailable is None:
        return _unexpected(error)
    return unavailable_response(unavailable, _domain_error(unavailable))


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled Open311 error", exc_info=error)
    description = _("Something went wrong on our side; nothing was saved.")
    return render_errors(format_of(request.path), 500, [(500, description)])
