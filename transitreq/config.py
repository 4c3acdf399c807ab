"""Every setting transitreq reads, in one place, each with a default that runs.

Values come from the environment (so a deployment changes behaviour without code), and a test
passes its own mapping to ``create_app`` instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Where the embedded SQLite + SpatiaLite database lives when DATABASE_URL is unset; the path is
# relative to the Flask instance folder.
EMBEDDED_DATABASE_FILENAME = "transitreq.db"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def from_environment() -> dict[str, Any]:
    """Read the settings from the process environment, falling back to working defaults."""
    return {
        # PostgreSQL + PostGIS in production ("postgresql://…"); unset means the embedded
        # SpatiaLite file under instance/. A "sqlite:///path.db" URL also gets SpatiaLite loaded.
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        # Signs session cookies and CSRF tokens. Unset, a random key is made once and kept in
        # instance/secret_key, so one host needs no setting; several hosts must share one.
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        # The public address residents reach the service at (e.g. https://stops.city.example),
        # for the tracking links we hand out; unset, links use the host of the current request.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
        # Background map tiles; an empty value means no tile layer at all (a blank background:
        # markers, layers and clicks still work). Intranets point this at their own tile server.
        "TILE_URL": os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "TILE_ATTRIBUTION": os.environ.get("TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"),
        # A pin must fall inside one of the service areas loaded into the database. This name is
        # shown to residents in the page title and in the "outside the area" message.
        "SERVICE_AREA_NAME": os.environ.get("SERVICE_AREA_NAME", "the city"),
        # Requests filed within this walking distance of a new pin are offered for support
        # instead of a duplicate request.
        "NEARBY_RADIUS_M": _int_env("NEARBY_RADIUS_M", 300),
        # Limits on what a resident may type; longer text gets a form message, not a truncation.
        "TITLE_MAX_CHARS": _int_env("TITLE_MAX_CHARS", 120),
        "DESCRIPTION_MAX_CHARS": _int_env("DESCRIPTION_MAX_CHARS", 2000),
        # Site evaluation. Areas and along-route lengths are computed in this metric CRS; 0
        # means the UTM zone of the service areas' centre.
        "METRIC_SRID": _int_env("METRIC_SRID", 0),
        # Walking catchments, in metres, comma separated; the first one drives the score.
        "CATCHMENT_RADII_M": os.environ.get("CATCHMENT_RADII_M", "400,800"),
        # The catchment whose newly served population drives the score.
        "SCORE_RADIUS_M": _int_env("SCORE_RADIUS_M", 400),
        # A route this close to a site could call there with no detour.
        "PASS_BY_M": _int_env("PASS_BY_M", 50),
        # A new stop closer than this (along the route) to an existing one is flagged.
        "MIN_STOP_SPACING_M": _int_env("MIN_STOP_SPACING_M", 300),
        # Requests and supporters within this distance count as demand for a site.
        "DEMAND_RADIUS_M": _int_env("DEMAND_RADIUS_M", 300),
        # The score (see services/scoring.py): weights of its three terms, the values that earn
        # each term's full weight, and the share taken off when a site is too close to a stop.
        "SCORE_WEIGHT_NEWLY_SERVED": _float_env("SCORE_WEIGHT_NEWLY_SERVED", 50.0),
        "SCORE_WEIGHT_DEMAND": _float_env("SCORE_WEIGHT_DEMAND", 25.0),
        "SCORE_WEIGHT_ROUTES_PASSING": _float_env("SCORE_WEIGHT_ROUTES_PASSING", 25.0),
        "SCORE_FULL_NEWLY_SERVED": _float_env("SCORE_FULL_NEWLY_SERVED", 2000.0),
        "SCORE_FULL_DEMAND": _float_env("SCORE_FULL_DEMAND", 30.0),
        "SCORE_FULL_ROUTES_PASSING": _float_env("SCORE_FULL_ROUTES_PASSING", 2.0),
        "SCORE_SPACING_PENALTY": _float_env("SCORE_SPACING_PENALTY", 0.5),
        # Whole request bodies above this size are refused with 413 before they are parsed.
        "MAX_CONTENT_LENGTH": _int_env("MAX_CONTENT_LENGTH", 64 * 1024),
        # Cookies are sent over HTTPS only when the deployment says it terminates TLS.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # CSRF tokens on resident forms outlive a long form-filling session.
        "WTF_CSRF_TIME_LIMIT": _int_env("WTF_CSRF_TIME_LIMIT", 24 * 3600),
        # Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id this server answers for
        # (empty: any or none), the agency named as responsible on every request, and whether
        # POST requests need an API key issued with `flask create-api-key` ("1" turns it on).
        "OPEN311_JURISDICTION_ID": os.environ.get("OPEN311_JURISDICTION_ID", ""),
        "OPEN311_AGENCY": os.environ.get("OPEN311_AGENCY", "Transit planning office"),
        "OPEN311_REQUIRE_API_KEY": os.environ.get("OPEN311_REQUIRE_API_KEY", "") == "1",
        # Stop projects (services/project_settings.py): the departments whose sign-off every new
        # project needs, comma separated; who owns construction and the launch; and the days
        # after approval by which each milestone falls due ("site_survey=30,sign_off=60,…").
        "REQUIRED_SIGN_OFFS": os.environ.get(
            "REQUIRED_SIGN_OFFS", "Urban construction,Landscaping,Traffic police,Bus operator"
        ),
        "CONSTRUCTION_DEPARTMENT": os.environ.get("CONSTRUCTION_DEPARTMENT", "Urban construction"),
        "LAUNCH_DEPARTMENT": os.environ.get("LAUNCH_DEPARTMENT", "Bus operator"),
        "MILESTONE_DUE_DAYS": os.environ.get("MILESTONE_DUE_DAYS", ""),
        # The city's IANA time zone: what "today" is for due dates, overdue flags and the dates
        # staff enter (timestamps are stored in UTC whatever it is).
        "TIMEZONE": os.environ.get("TIMEZONE", "UTC"),
        # New stops in the GTFS stops.txt export get stop_id <prefix><project number>.
        "GTFS_STOP_ID_PREFIX": os.environ.get("GTFS_STOP_ID_PREFIX", "TRQ-"),
        # Progress e-mails to residents who asked for them. With no MAIL_SERVER they wait in
        # the outbox (table outbound_emails) until one is set and `flask send-notifications`
        # runs. MAIL_SECURITY is starttls, ssl or none.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int_env("MAIL_PORT", 587),
        "MAIL_SECURITY": os.environ.get("MAIL_SECURITY", "starttls"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "no-reply@localhost"),
        "MAIL_TIMEOUT_S": _float_env("MAIL_TIMEOUT_S", 10.0),
        # How many reverse proxies (load balancer, TLS terminator…) stand in front of the app.
        # With 1 or more, the client's address, scheme and host are read from the
        # X-Forwarded-For/-Proto/-Host headers those proxies add, so rate limits count each
        # resident rather than the proxy; leave 0 when clients connect directly, or anyone could
        # pick their own address by sending the header.
        "PROXY_COUNT": _int_env("PROXY_COUNT", 0),
        # Rate limits per client address (see web/rate_limits.py), in Flask-Limiter's notation
        # ("300 per minute", "10/second;1000/day"). "0" turns limiting off.
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        # Where counts are kept: in this process by default; with several workers or hosts, a
        # shared store such as redis://127.0.0.1:6379/0 so every worker counts the same client.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Every public page and API call, counted per endpoint.
        "RATELIMIT_DEFAULT": os.environ.get("RATELIMIT_DEFAULT", "300 per minute"),
        # Filing requests and supporting them (form and JSON API), counted together.
        "RATELIMIT_WRITES": os.environ.get("RATELIMIT_WRITES", "20 per minute"),
    }


def instance_secret_key(instance_path: str) -> str:
    """A random secret kept in the instance folder, made on first start and reused after."""
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
