"""Response headers that hold the pages to what we promise: nothing loaded from elsewhere.

The Content-Security-Policy lets scripts come only from this app, plus the inline map scripts
we write ourselves, which carry a fresh nonce on every response: a script injected through user
text has no nonce and does not run. Map tiles may come from the configured tile host alone.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from transitreq.web.app_settings import settings


def tile_source(tile_url: str) -> str:
    """The CSP source for a tile URL template: scheme and host, ``{s}`` subdomains as ``*``."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "tiles-subdomain"))
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("tiles-subdomain", "*")
    return f"{parts.scheme}://{host}"


def csp_nonce() -> str:
    """This response's script nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(tile_url: str, nonce: str) -> str:
    images = " ".join(filter(None, ("'self'", "data:", tile_source(tile_url))))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # Leaflet positions every marker and tile with inline style attributes.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "connect-src 'self'",
            "frame-ancestors 'self'",
            "form-action 'self'",
            "base-uri 'self'",
        )
    )


# A year: browsers that saw the header once keep to HTTPS that long, even if a later link or a
# network attacker offers plain HTTP.
HSTS_MAX_AGE_S = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(settings().tile_url, csp_nonce())
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # CSP's frame-ancestors says the same to current browsers; this is for older ones.
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if settings().https or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_S}")
        return response
