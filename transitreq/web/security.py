"""Response headers that hold the pages to what we promise: nothing loaded from elsewhere.

The Content-Security-Policy lets scripts and styles come only from this app, so a stray CDN
link fails loudly in every browser; map tiles may come from the configured tile host alone.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def tile_source(tile_url: str) -> str:
    """The CSP source for a tile URL template: scheme and host, ``{s}`` subdomains as ``*``."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "tiles-subdomain"))
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("tiles-subdomain", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    images = " ".join(filter(None, ("'self'", "data:", tile_source(tile_url))))
    return "; ".join(
        (
            "default-src 'self'",
            # folium writes each map as an inline script, and Leaflet positions with inline styles.
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "connect-src 'self'",
            "frame-ancestors 'self'",
            "form-action 'self'",
            "base-uri 'self'",
        )
    )


def init_app(app: Flask) -> None:
    policy = content_security_policy(app.config["TILE_URL"])

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
