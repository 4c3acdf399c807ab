"""The deployment's settings as the web layer reaches them: from the app serving the request."""

from __future__ import annotations

from flask import current_app

from transitreq.config import Settings
from transitreq.services.context import SETTINGS_KEY, base_url_of


def settings() -> Settings:
    return current_app.extensions[SETTINGS_KEY]


def service_area_name() -> str:
    """How pages name the service area: SERVICE_AREA_NAME as the city wrote it, else "the
    city" in the reader's language (an English default would show on every Chinese page)."""
    from transitreq.i18n import _

    return settings().service_area_name or _("the city")


def public_root() -> str:
    """Where residents reach us, for links we hand out: PUBLIC_URL when set (behind proxies),
    else the host this request came to. The one rule is ``services.context.base_url_of``."""
    from transitreq.web.database import db_session

    return base_url_of(db_session())
