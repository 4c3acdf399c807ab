"""Rate limits per client address, so one client cannot flood the service or its database.

Every endpoint gets RATELIMIT_DEFAULT; filing and supporting requests (the resident forms and the
JSON API alike) share the stricter RATELIMIT_WRITES. Counts live in RATELIMIT_STORAGE_URI: this
process's memory by default, or Redis, which every worker and host of a deployment shares.
Static files (the vendored libraries included) are never limited. Over a limit the answer is 429
with ``Retry-After`` in seconds: our JSON error under /api, the friendly error page elsewhere.

Each app gets its own ``Limiter``, kept in ``app.extensions``, because the factory builds many
apps per process (one per test) and a module-level limiter would share counts and storage.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

# The one rule for JSON versus page errors lives in web/errors.py; this is its 429.
from transitreq.i18n import _
from transitreq.services.context import SETTINGS_KEY
from transitreq.web.errors import _wants_json as wants_json
from transitreq.web.errors import json_error
from transitreq.web.open311 import keyed_client

# Endpoints that create something: a request, a support, an answer, feedback.
WRITE_ENDPOINTS = (
    "api.create_request",
    "api.create_support",
    "public.submit",
    "public.support",
    # Also slows anyone guessing the reporter's contact to answer in their name.
    "public.answer",
    # Feedback on a finished stop, which a planner must read before it is shown.
    "public.feedback",
    "open311.create_request",
)
# Documentation is the same for everyone and cheap to serve.
EXEMPT_ENDPOINTS = ("api_docs.document", "api_docs.docs")


def _filed_with_a_key() -> bool:
    return request.endpoint == "open311.create_request" and keyed_client() is not None


def _api_client_key() -> str:
    client = keyed_client()
    return f"api-client-{client.id}" if client is not None else get_remote_address()


def limiter() -> Limiter:
    return current_app.extensions["transitreq.limiter"]


def _seconds_to_wait() -> int:
    """Whole seconds until the breached window resets, at least 1 (Retry-After must be > 0)."""
    breached = limiter().current_limit
    if breached is None:
        return 1
    reset_at, _remaining = breached.window
    return max(1, math.ceil(reset_at - time.time()))


def _own_error_handler():
    """The HTTP error handler of the blueprint serving this request, if it speaks its own format
    (Open311 answers with the standard's error list)."""
    for name in request.blueprints:
        handler = current_app.error_handler_spec[name][None].get(HTTPException)
        if handler is not None:
            return handler
    return None


def _too_many_requests(error: RateLimitExceeded):
    # Retry-After is set after this, by the hook in ``init_app``.
    own_handler = _own_error_handler()
    if own_handler is not None:
        return own_handler(error)
    message = _("Too many requests from your address; please wait a moment and try again.")
    if wants_json():
        return json_error(429, "rate_limited", message)
    return render_template("errors/error.html", status=429, message=message), 429


def init_app(app: Flask) -> None:
    """Attach the limiter; call after the blueprints are registered (it wraps their views)."""

    # Registered before the limiter so it runs after the limiter's own header hook (Flask runs
    # after-request hooks in reverse). That hook can round Retry-After down to 0, and it puts
    # one on every response; only a refusal should tell the client to wait.
    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code == 429:
            response.headers["Retry-After"] = str(_seconds_to_wait())
        elif response.status_code < 400:
            response.headers.pop("Retry-After", None)
        return response

    rate_limiter = Limiter(
        get_remote_address,
        headers_enabled=True,
        key_prefix="transitreq",
        # A store that is down must not take the service down with it.
        swallow_errors=not app.testing,
    )
    rate_limiter.init_app(app)
    app.extensions["transitreq.limiter"] = rate_limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    if not rate_limiter.enabled:
        return
    writes = rate_limiter.shared_limit(
        app.extensions[SETTINGS_KEY].ratelimit_writes,
        scope="writes",
        methods=["POST"],
        override_defaults=False,
        exempt_when=_filed_with_a_key,
    )
    for endpoint in WRITE_ENDPOINTS:
        app.view_functions[endpoint] = writes(app.view_functions[endpoint])
    # A civic app with its own API key files for many residents from one server: it is counted
    # by its key, against its own allowance, not against the residents' per-address one.
    per_key = rate_limiter.limit(
        app.extensions[SETTINGS_KEY].open311_key_ratelimit,
        key_func=_api_client_key,
        methods=["POST"],
        override_defaults=False,
        exempt_when=lambda: not _filed_with_a_key(),
    )
    endpoint = "open311.create_request"
    app.view_functions[endpoint] = per_key(app.view_functions[endpoint])
    for endpoint in EXEMPT_ENDPOINTS:
        rate_limiter.exempt(app.view_functions[endpoint])
