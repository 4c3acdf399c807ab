"""Every setting transitreq reads, in one place, each with a default that runs, and the one
typed ``Settings`` built from them.

Values come from the environment (so a deployment changes behaviour without code), and a test
passes its own mapping to ``create_app`` instead. ``build_settings`` checks them all at start
(a typo stops the app, not a resident's request) and the app carries the result: the web layer
reads it from the app (``web/app_settings.py``), services from their session
(``services/context.py``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from transitreq.geo.metric_crs import check_metric_srid
from transitreq.geo.modes import ModeRules, parse_catchments, parse_route_types
from transitreq.i18n import LOCALES
from transitreq.services.accounts.throttle import LoginThrottle, login_throttle
from transitreq.services.analysis.evaluation import EvaluationSettings, parse_radii
from transitreq.services.analysis.scoring import ScoreWeights
from transitreq.services.mail.delivery import MailSettings, mail_settings
from transitreq.services.projects.settings import (
    ProjectSettings,
    checked_region,
    checked_timezone,
    parse_due_days,
    parse_names,
)
from transitreq.services.requests.validation import RequestLimits

# Where the embedded SQLite + SpatiaLite database lives when DATABASE_URL is unset; the path is
# relative to the Flask instance folder.
EMBEDDED_DATABASE_FILENAME = "transitreq.db"


# Every setting with its default: the one place a default is written. The environment variable
# of the same name overrides it (parsed as the default's type); a test passes its own mapping.
DEFAULTS: dict[str, Any] = {
    # PostgreSQL + PostGIS in production ("postgresql://…"); unset means the embedded
    # SpatiaLite file under instance/. A "sqlite:///path.db" URL also gets SpatiaLite loaded.
    "DATABASE_URL": "",
    # Signs session cookies and CSRF tokens. Unset, a random key is made once and kept in
    # instance/secret_key, so one host needs no setting; several hosts must share one.
    "SECRET_KEY": "",
    # The public address residents reach the service at (e.g. https://stops.city.example),
    # for the tracking links we hand out; unset, links use the host of the current request.
    "PUBLIC_URL": "",
    # Background map tiles; an empty value means no tile layer at all (a blank background:
    # markers, layers and clicks still work). Intranets point this at their own tile server.
    "TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "TILE_ATTRIBUTION": "&copy; OpenStreetMap contributors",
    # The language pages are written in when neither the reader's choice nor their browser's
    # says which: en (English) or zh_Hans (Simplified Chinese).
    "DEFAULT_LOCALE": "en",
    # A pin must fall inside one of the service areas loaded into the database. This name is
    # shown to residents in the page title and in the "outside the area" message; empty, pages
    # say "the city" in the reader's language.
    "SERVICE_AREA_NAME": "",
    # Requests filed within this walking distance of a new pin are offered for support
    # instead of a duplicate request.
    "NEARBY_RADIUS_M": 300,
    # Limits on what a resident may type; longer text gets a form message, not a truncation.
    "TITLE_MAX_CHARS": 120,
    "DESCRIPTION_MAX_CHARS": 2000,
    # Site evaluation. Areas and along-route lengths are computed in this metric CRS; 0
    # means the UTM zone of the service areas' centre.
    "METRIC_SRID": 0,
    # Walking catchments, in metres, comma separated; the first one drives the score.
    "CATCHMENT_RADII_M": "400,800",
    # The catchment whose newly served population drives the score.
    "SCORE_RADIUS_M": 400,
    # A route this close to a site could call there with no detour.
    "PASS_BY_M": 50,
    # A new stop closer than this (along the route) to an existing one is flagged.
    "MIN_STOP_SPACING_M": 300,
    # Requests and supporters within this distance count as demand for a site.
    "DEMAND_RADIUS_M": 300,
    # Suggested stops: candidate sites lie this many metres apart along each route of the
    # new-stop modes (services/analysis/suggestions.py).
    "CANDIDATE_STEP_M": 50.0,
    # Modes (geo/modes.py). The GTFS route types a new stop serves: only routes of these
    # modes could call there with no detour and count for stop spacing (3 bus, 11
    # trolleybus; extended types of the same mode, such as 700–799, count too).
    "NEW_STOP_ROUTE_TYPES": "3,11",
    # How far each mode's stops serve people, as route_type=metres: a station of these
    # modes reaches this far when the radius evaluated is shorter (1 metro, 2 rail).
    "CATCHMENT_BY_ROUTE_TYPE": "1=800,2=800",
    # The score (see services/scoring.py): weights of its three terms, the values that earn
    # each term's full weight, and the share taken off when a site is too close to a stop.
    "SCORE_WEIGHT_NEWLY_SERVED": 50.0,
    "SCORE_WEIGHT_DEMAND": 25.0,
    "SCORE_WEIGHT_ROUTES_PASSING": 25.0,
    "SCORE_FULL_NEWLY_SERVED": 2000.0,
    "SCORE_FULL_DEMAND": 30.0,
    "SCORE_FULL_ROUTES_PASSING": 2.0,
    "SCORE_SPACING_PENALTY": 0.5,
    # Scores are computed after the answer, by a thread in each web process while it serves
    # no request (web/score_keeper.py): it looks every SCORE_KEEPER_INTERVAL_S for due scores
    # once the process has been idle SCORE_KEEPER_IDLE_S. None: on, except when TESTING.
    "SCORE_IN_BACKGROUND": None,
    "SCORE_KEEPER_INTERVAL_S": 2.0,
    "SCORE_KEEPER_IDLE_S": 0.2,
    # Whole request bodies above this size are refused with 413 before they are parsed.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # Cookies are sent over HTTPS only when the deployment says it terminates TLS.
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A staff session ends after this long without a request (8 hours: a working day).
    # PERMANENT_SESSION_LIFETIME is set to the same (web/sessions.py), so the browser drops
    # the cookie when the server stops accepting it.
    "SESSION_IDLE_MINUTES": 480,
    # Login attempts that may check a password (services/login_throttle.py): per account
    # from one client address, and per account from all addresses together, in each window.
    # Past either, attempts are refused unchecked, with the same answer as a wrong password,
    # until the window has passed.
    "LOGIN_FAILURES_PER_CLIENT": 5,
    "LOGIN_FAILURES_PER_ACCOUNT": 50,
    "LOGIN_WINDOW_MINUTES": 15,
    # CSRF tokens on resident forms outlive a long form-filling session.
    "WTF_CSRF_TIME_LIMIT": 24 * 3600,
    # Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id this server answers for
    # (empty: any or none), the agency named as responsible on every request, and whether
    # POST requests need an API key issued with `flask create-api-key` ("1" turns it on).
    "OPEN311_JURISDICTION_ID": "",
    # Empty: "Transit planning office" in the words of DEFAULT_LOCALE (CITY_WORDS below).
    "OPEN311_AGENCY": "",
    "OPEN311_REQUIRE_API_KEY": False,
    # Stop projects (services/project_settings.py): the departments whose sign-off every new
    # project needs, comma separated; who owns construction and the launch; and the days
    # after approval by which each milestone falls due ("site_survey=30,sign_off=60,…").
    # Empty: the four departments the brief names (urban construction, landscaping, traffic
    # police, bus operator), in the words of DEFAULT_LOCALE (CITY_WORDS below); a deployment
    # names its own. Department names are stored with each project, so they are the city's
    # words, not the reader's.
    "REQUIRED_SIGN_OFFS": "",
    "CONSTRUCTION_DEPARTMENT": "",
    "LAUNCH_DEPARTMENT": "",
    "MILESTONE_DUE_DAYS": (
        "site_survey=30,sign_off=60,construction_start=90,construction_finish=150,launch=180"
    ),
    # The city's IANA time zone: what "today" is for due dates, overdue flags and the dates
    # staff enter (timestamps are stored in UTC whatever it is).
    "TIMEZONE": "UTC",
    # The country (ISO 3166 code, e.g. FI, CN, BR) a phone number typed without its country
    # code belongs to, so "040 123 4567" and "+358 40 123 4567" count as one person. Unset,
    # only numbers typed with + and the country code are recognised in every form.
    "PHONE_DEFAULT_REGION": "",
    # New stops in the GTFS stops.txt export get stop_id <prefix><project number>.
    "GTFS_STOP_ID_PREFIX": "TRQ-",
    # Progress e-mails to residents who asked for them. Web requests only queue them in the
    # outbox (table outbound_emails); `flask deliver-mail` sends them (services/delivery.py).
    # With no MAIL_SERVER they wait there until one is set. MAIL_SECURITY is starttls, ssl
    # or none. MAIL_TIMEOUT_S bounds each exchange with the server, and so the lease a
    # worker holds on the message it is sending (services/outbox.py).
    "MAIL_SERVER": "",
    "MAIL_PORT": 587,
    "MAIL_SECURITY": "starttls",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "no-reply@localhost",
    "MAIL_TIMEOUT_S": 10.0,
    # A message the server refuses for now (4xx) is tried again after MAIL_RETRY_DELAY_S,
    # twice as long after each further refusal but never more than MAIL_RETRY_MAX_DELAY_S;
    # after MAIL_MAX_ATTEMPTS refusals (or one permanent 5xx refusal) it is dead and waits
    # for an administrator at /admin/mail. A server that cannot be reached counts against no
    # message.
    "MAIL_MAX_ATTEMPTS": 5,
    "MAIL_RETRY_DELAY_S": 60.0,
    "MAIL_RETRY_MAX_DELAY_S": 3600.0,
    # How long `flask deliver-mail` rests when the outbox holds nothing due.
    "MAIL_POLL_INTERVAL_S": 5.0,
    # /admin/mail lists messages still unsent this long after they were queued.
    "MAIL_LATE_AFTER_S": 3600.0,
    # How many reverse proxies (load balancer, TLS terminator…) stand in front of the app.
    # With 1 or more, the client's address, scheme and host are read from the
    # X-Forwarded-For/-Proto/-Host headers those proxies add, so rate limits count each
    # resident rather than the proxy; leave 0 when clients connect directly, or anyone could
    # pick their own address by sending the header.
    "PROXY_COUNT": 0,
    # Rate limits per client address (see web/rate_limits.py), in Flask-Limiter's notation
    # ("300 per minute", "10/second;1000/day"). "0" turns limiting off.
    "RATELIMIT_ENABLED": True,
    # Where counts are kept: in this process by default; with several workers or hosts, a
    # shared store such as redis://127.0.0.1:6379/0 so every worker counts the same client.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Every public page and API call, counted per endpoint.
    "RATELIMIT_DEFAULT": "300 per minute",
    # Filing requests and supporting them (form and JSON API), counted together.
    "RATELIMIT_WRITES": "20 per minute",
    # An Open311 client filing with a valid API key is counted by its key instead.
    "OPEN311_KEY_RATELIMIT": "600 per hour",
}

_TRUE = ("1", "true", "yes", "on")


def _parsed(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in _TRUE
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    return raw


def from_environment() -> dict[str, Any]:
    """Every setting: the environment's value where one is set, else the default."""
    return {
        name: default
        if os.environ.get(name) in (None, "")
        else _parsed(name, os.environ[name], default)
        for name, default in DEFAULTS.items()
    }


@dataclass(frozen=True)
class Settings:
    """Every setting of a deployment, typed and checked: one object, built once."""

    requests: RequestLimits
    evaluation: EvaluationSettings
    projects: ProjectSettings
    mail: MailSettings
    logins: LoginThrottle
    # Links residents keep (tracking, unsubscribe); empty: the host the request reached.
    public_url: str
    # Signs sessions, CSRF tokens and unsubscribe links.
    secret_key: str
    # The office residents hear from: sender of e-mails, Open311's agency_responsible.
    agency_name: str
    timezone: str
    phone_region: str
    service_area_name: str
    default_locale: str
    nearby_radius_m: int
    tile_url: str
    tile_attribution: str
    session_idle_minutes: int
    # Served over HTTPS (directly or behind a TLS proxy): secure cookies and HSTS.
    https: bool
    proxy_count: int
    open311_jurisdiction_id: str
    open311_require_api_key: bool
    ratelimit_writes: str
    open311_key_ratelimit: str


def _evaluation(config: Mapping[str, Any]) -> EvaluationSettings:
    metric_srid = int(config["METRIC_SRID"])
    check_metric_srid(metric_srid)
    return EvaluationSettings(
        catchment_radii_m=parse_radii(str(config["CATCHMENT_RADII_M"])),
        score_radius_m=int(config["SCORE_RADIUS_M"]),
        pass_by_m=float(config["PASS_BY_M"]),
        min_stop_spacing_m=float(config["MIN_STOP_SPACING_M"]),
        demand_radius_m=float(config["DEMAND_RADIUS_M"]),
        metric_srid=metric_srid,
        candidate_step_m=_candidate_step_m(config),
        weights=ScoreWeights(
            newly_served=float(config["SCORE_WEIGHT_NEWLY_SERVED"]),
            demand=float(config["SCORE_WEIGHT_DEMAND"]),
            routes_passing=float(config["SCORE_WEIGHT_ROUTES_PASSING"]),
            newly_served_full_at=float(config["SCORE_FULL_NEWLY_SERVED"]),
            demand_full_at=float(config["SCORE_FULL_DEMAND"]),
            routes_passing_full_at=float(config["SCORE_FULL_ROUTES_PASSING"]),
            spacing_penalty=float(config["SCORE_SPACING_PENALTY"]),
        ),
        modes=ModeRules(
            new_stop_modes=parse_route_types(
                str(config["NEW_STOP_ROUTE_TYPES"]), "NEW_STOP_ROUTE_TYPES"
            ),
            catchment_m=parse_catchments(
                str(config["CATCHMENT_BY_ROUTE_TYPE"]), "CATCHMENT_BY_ROUTE_TYPE"
            ),
        ),
    )


def _candidate_step_m(config: Mapping[str, Any]) -> float:
    step_m = float(config["CANDIDATE_STEP_M"])
    if not 5 <= step_m <= 1000:
        raise ValueError(f"CANDIDATE_STEP_M must be 5 to 1000 metres, not {step_m!r}")
    return step_m


# The names a deployment that sets none is given, in the words of its DEFAULT_LOCALE: the
# departments whose sign-off projects need (the first builds, the last launches), and the
# office that signs e-mails and answers Open311 as the agency responsible.
CITY_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "REQUIRED_SIGN_OFFS": "Urban construction,Landscaping,Traffic police,Bus operator",
        "CONSTRUCTION_DEPARTMENT": "Urban construction",
        "LAUNCH_DEPARTMENT": "Bus operator",
        "OPEN311_AGENCY": "Transit planning office",
    },
    "zh_Hans": {
        "REQUIRED_SIGN_OFFS": "城建部门,园林绿化部门,交警部门,公交公司",
        "CONSTRUCTION_DEPARTMENT": "城建部门",
        "LAUNCH_DEPARTMENT": "公交公司",
        "OPEN311_AGENCY": "公交规划办公室",
    },
}


def _city_word(config: Mapping[str, Any], name: str) -> str:
    """A name the deployment set, else the default in the words of its DEFAULT_LOCALE."""
    value = str(config[name]).strip()
    if value:
        return value
    return CITY_WORDS[_checked_locale(str(config["DEFAULT_LOCALE"]))][name]


def _projects(config: Mapping[str, Any]) -> ProjectSettings:
    # Milestones a deployment does not name keep the default's days.
    due_days = parse_due_days(
        str(config["MILESTONE_DUE_DAYS"]), parse_due_days(DEFAULTS["MILESTONE_DUE_DAYS"])
    )
    return ProjectSettings(
        required_sign_offs=parse_names(
            _city_word(config, "REQUIRED_SIGN_OFFS"), "REQUIRED_SIGN_OFFS"
        ),
        construction_department=_city_word(config, "CONSTRUCTION_DEPARTMENT"),
        launch_department=_city_word(config, "LAUNCH_DEPARTMENT"),
        due_days=due_days,
        gtfs_stop_id_prefix=str(config["GTFS_STOP_ID_PREFIX"]),
    )


def _at_least(config: Mapping[str, Any], name: str, minimum: int) -> int:
    value = int(config[name])
    if value < minimum:
        raise ValueError(f"{name} must be {minimum} or more")
    return value


def _checked_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise ValueError(f"DEFAULT_LOCALE {locale!r} is not one of {', '.join(LOCALES)}")
    return locale


def build_settings(config: Mapping[str, Any]) -> Settings:
    """The typed settings from a mapping of raw values (``from_environment`` or a test's),
    every one checked: a value that makes no sense raises ValueError naming the setting."""
    return Settings(
        requests=RequestLimits(
            title_max_chars=int(config["TITLE_MAX_CHARS"]),
            description_max_chars=int(config["DESCRIPTION_MAX_CHARS"]),
        ),
        evaluation=_evaluation(config),
        projects=_projects(config),
        # The sender's name is the agency's, in the city's words when none is set.
        mail=mail_settings({**config, "OPEN311_AGENCY": _city_word(config, "OPEN311_AGENCY")}),
        logins=login_throttle(config),
        public_url=str(config["PUBLIC_URL"]).rstrip("/"),
        secret_key=str(config["SECRET_KEY"]),
        agency_name=_city_word(config, "OPEN311_AGENCY"),
        timezone=checked_timezone(str(config["TIMEZONE"])),
        phone_region=checked_region(str(config["PHONE_DEFAULT_REGION"])),
        service_area_name=str(config["SERVICE_AREA_NAME"]),
        default_locale=_checked_locale(str(config["DEFAULT_LOCALE"])),
        nearby_radius_m=int(config["NEARBY_RADIUS_M"]),
        tile_url=str(config["TILE_URL"]),
        tile_attribution=str(config["TILE_ATTRIBUTION"]),
        session_idle_minutes=_at_least(config, "SESSION_IDLE_MINUTES", 1),
        https=bool(config["SESSION_COOKIE_SECURE"]),
        proxy_count=_at_least(config, "PROXY_COUNT", 0),
        open311_jurisdiction_id=str(config["OPEN311_JURISDICTION_ID"]),
        open311_require_api_key=bool(config["OPEN311_REQUIRE_API_KEY"]),
        ratelimit_writes=str(config["RATELIMIT_WRITES"]),
        open311_key_ratelimit=str(config["OPEN311_KEY_RATELIMIT"]),
    )


@cache
def _defaults() -> Settings:
    return build_settings(DEFAULTS)


def default_settings(**overrides: Any) -> Settings:
    """The defaults (never the environment), with ``overrides`` by setting name:
    ``default_settings(CATCHMENT_RADII_M="250,400")``. For tests and bare sessions."""
    return build_settings(DEFAULTS | overrides) if overrides else _defaults()


def instance_secret_key(instance_path: str) -> str:
    """A random secret kept in the instance folder, made on first start and reused after."""
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
