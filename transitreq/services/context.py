"""What every service may know of where it runs: the deployment's settings and the city's day.

A session carries the app's ``Settings`` (the sessionmaker is configured with them), so a
service reads them from the session it was given; a bare session, as in a unit test, gets the
defaults. The web layer adds the address the request reached us at, for links in e-mails.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from transitreq.config import Settings

SETTINGS_KEY = "transitreq.settings"
# Where the web layer puts the address residents reach us at when PUBLIC_URL is unset.
BASE_URL_KEY = "transitreq.base_url"


def settings_of(session: Session) -> Settings:
    """The deployment's settings carried by the session; the defaults for a bare session."""
    settings = session.info.get(SETTINGS_KEY)
    if settings is None:
        from transitreq.config import default_settings

        settings = default_settings()
    return settings


def local_today(session: Session) -> date:
    """Today's date where the city is, which is what a planner means by "today": at 01:00 in
    Helsinki it is already tomorrow there, though not yet in UTC."""
    return datetime.now(ZoneInfo(settings_of(session).timezone)).date()


def local_date(session: Session, moment: datetime) -> date:
    """The date of a stored UTC timestamp where the city is."""
    return moment.astimezone(ZoneInfo(settings_of(session).timezone)).date()


def base_url_of(session: Session) -> str:
    """Where links in e-mails point: PUBLIC_URL, else where this request reached us."""
    return settings_of(session).public_url or str(session.info.get(BASE_URL_KEY, "")).rstrip("/")
