"""Which language a page is written in: the reader's choice (the switch in the header, kept in
a cookie), else what their browser asks for (Accept-Language), else ``DEFAULT_LOCALE``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    has_request_context,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale

from transitreq.i18n import (
    LOCALES,
    _,
    format_day,
    format_moment,
    format_month,
    format_number,
    format_weekday,
    html_lang,
)
from transitreq.resources import PACKAGE_DIR
from transitreq.web.app_settings import settings

COOKIE = "lang"
# A year: the choice outlives a visit, as a resident expects.
COOKIE_MAX_AGE_S = 365 * 24 * 3600
# How each language names itself in the switch.
NATIVE_NAMES = {"en": "English", "zh_Hans": "简体中文"}
# The BCP 47 tag of each, for the switch's lang attributes (a screen reader reads each name in
# its own language).
LANGUAGE_TAGS = {"en": "en", "zh_Hans": "zh-Hans"}

# What the switch (``locale``) or another client (``language``) may send: our code or its BCP 47
# tag, in any case ("zh_Hans", "zh-Hans", "zh-hans").
_ACCEPTED = {name.lower(): code for code, tag in LANGUAGE_TAGS.items() for name in (code, tag)}

bp = Blueprint("locale", __name__)


def choose_locale() -> str:
    """The language of the page being made; outside a web request (the mail worker, a
    command), the city's default."""
    if not has_request_context():
        return settings().default_locale
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    # Browsers say zh-CN, zh-Hans or zh; our Chinese is Simplified.
    wanted = request.accept_languages.best_match(
        ["en", "zh-Hans", "zh-CN", "zh-SG", "zh"], default=None
    )
    if wanted:
        return "en" if wanted == "en" else "zh_Hans"
    return settings().default_locale


def safe_return_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page: the switch must not be a
    way to send people elsewhere. Browsers read a backslash as a slash and drop tabs and line
    breaks, so ``/\\evil.example`` or ``/<tab>/evil.example`` would leave the site too."""
    if (
        not target
        or not target.startswith("/")
        or urlsplit(target).netloc
        or any(character == "\\" or character < " " for character in target)
        or target.startswith("//")
    ):
        return "/"
    return target


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """Remember the language chosen in the header's switch and go back to the page; a language
    the site is not written in is refused (400) and nothing is remembered."""
    locale = _ACCEPTED.get(
        (request.form.get("locale") or request.form.get("language") or "").strip().lower()
    )
    if locale is None:
        message = _(
            "This site is not written in that language. Choose one of: %(languages)s.",
            languages=_(", ").join(NATIVE_NAMES[code] for code in LOCALES),
        )
        return render_template("errors/error.html", status=400, message=message), 400
    response = redirect(safe_return_path(request.form.get("next")), 303)
    response.set_cookie(
        COOKIE,
        locale,
        max_age=COOKIE_MAX_AGE_S,
        samesite="Lax",
        secure=settings().https,
        httponly=True,
    )
    return response


def page_locale() -> str:
    """The language this page is shown in, as stored with what a resident files: their
    e-mails are written in it."""
    return str(get_locale() or settings().default_locale)


def _here() -> str:
    """Where the switch brings the reader back to: this page, its query included. A page that
    answers a form (sent back with its messages) has an address that takes no GET: the page the
    form was on, else the home page."""
    if not has_request_context():
        return "/"
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return "/"
    return safe_return_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=choose_locale,
        timezone_selector=lambda: settings().timezone,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    app.register_blueprint(bp)

    @app.after_request
    def _vary(response: Response) -> Response:
        # The same address answers in another language for another reader.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response

    # Days, moments, months and numbers the reader's way, in the city's time zone.
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_month, "month")
    app.add_template_filter(format_weekday, "weekday")
    app.add_template_filter(format_number, "number")

    @app.context_processor
    def _language():
        return {
            "html_lang": html_lang(),
            "languages": NATIVE_NAMES,
            "language_tags": LANGUAGE_TAGS,
            "current_language": page_locale(),
            # Where the switch brings the reader back to: this page, its query included.
            "here": _here(),
        }
