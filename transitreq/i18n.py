"""The reader's language: the one place text is translated and dates and numbers formatted.

Pages, JSON messages and e-mails all ask here, so a sentence reads the same wherever it is
shown. Inside a web request the language is the one chosen for the page (web/locale.py);
elsewhere (the mail worker, a command) it is the one set with ``in_language``; with neither,
English. Strings are marked with ``_`` (gettext) and extracted into ``transitreq/translations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale, get_timezone, gettext, lazy_gettext, ngettext

# The languages every page, e-mail and message exists in: English and Simplified Chinese.
LOCALES = ("en", "zh_Hans")
DEFAULT_LOCALE = "en"
# How a day, a moment and a month are written in each language: "05 Mar 2026", "2026年3月5日".
_PATTERNS = {
    "en": {"day": "dd MMM y", "moment": "dd MMM y, HH:mm", "month": "MMM y"},
    "zh": {"day": "y年M月d日", "moment": "y年M月d日 HH:mm", "month": "y年M月"},
}
_ = gettext
__all__ = [
    "_",
    "format_day",
    "format_moment",
    "format_month",
    "format_number",
    "format_weekday",
    "gettext",
    "lazy_gettext",
    "ngettext",
]


def current_locale() -> Locale:
    """The language being written in now."""
    if has_app_context() and "babel" in current_app.extensions:
        locale = get_locale()
        if locale is not None:
            return locale
    return Locale.parse(DEFAULT_LOCALE)


def html_lang(locale: Locale | None = None) -> str:
    """The BCP 47 tag for ``<html lang>``: ``en``, ``zh-Hans``."""
    locale = locale or current_locale()
    return "-".join(part for part in (locale.language, locale.script) if part)


def _pattern(name: str) -> tuple[str, Locale]:
    locale = current_locale()
    return _PATTERNS.get(locale.language, _PATTERNS["en"])[name], locale


def city_zone() -> tzinfo:
    """The city's time zone (``TIMEZONE``), in which every day and time is shown; UTC outside
    the app."""
    if has_app_context() and "babel" in current_app.extensions:
        return get_timezone() or UTC
    return UTC


def local_day(moment: date | datetime) -> date:
    """The day a stored moment (UTC) falls on in the city; a date is already one."""
    if isinstance(moment, datetime):
        return moment.astimezone(city_zone()).date()
    return moment


def format_day(day: date | datetime | None) -> str:
    """A day as the reader writes it; a moment is first placed in the city's time zone."""
    if day is None:
        return ""
    pattern, locale = _pattern("day")
    return format_date(local_day(day), pattern, locale=locale)


def format_moment(moment: datetime | None) -> str:
    """A day and time in the city's time zone, as the reader writes them."""
    if moment is None:
        return ""
    pattern, locale = _pattern("moment")
    zone = city_zone()
    return format_datetime(moment.astimezone(zone), pattern, tzinfo=zone, locale=locale)


def format_month(day: date) -> str:
    """A month as the reader writes it: "Mar 2026", "2026年3月"."""
    pattern, locale = _pattern("month")
    return format_date(day, pattern, locale=locale)


def format_weekday(day: date) -> str:
    """The day of the week in the reader's language."""
    return format_date(day, "EEEE", locale=current_locale())


def format_number(value: float, decimals: int = 0) -> str:
    """A number with the reader's grouping and decimal marks."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=current_locale())


@contextmanager
def in_language(locale: str | None) -> Iterator[None]:
    """Write in ``locale`` for the block (an e-mail to a resident who filed in Chinese)."""
    if not locale or not has_app_context():
        yield
        return
    with force_locale(locale):
        yield
