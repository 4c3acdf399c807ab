"""How a deployment runs its stop projects: which departments must sign off, how long each
milestone may take, and how residents are written to. Read from config once, at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from transitreq.models import MilestoneKind

SETTINGS_KEY = "transitreq.project_settings"
# Where the web layer puts the address residents reach us at when PUBLIC_URL is unset.
BASE_URL_KEY = "transitreq.base_url"

DEFAULT_SIGN_OFFS = ("Urban construction", "Landscaping", "Traffic police", "Bus operator")
DEFAULT_DUE_DAYS: dict[MilestoneKind, int] = {
    MilestoneKind.SITE_SURVEY: 30,
    MilestoneKind.SIGN_OFF: 60,
    MilestoneKind.CONSTRUCTION_START: 90,
    MilestoneKind.CONSTRUCTION_FINISH: 150,
    MilestoneKind.LAUNCH: 180,
}


@dataclass(frozen=True)
class ProjectSettings:
    # Departments whose sign-off every new project needs, in the order they are listed.
    required_sign_offs: tuple[str, ...] = DEFAULT_SIGN_OFFS
    # Who owns construction and launch; each must be a department name.
    construction_department: str = "Urban construction"
    launch_department: str = "Bus operator"
    # Days from approval by which each milestone falls due.
    due_days: Mapping[MilestoneKind, int] = field(default_factory=lambda: dict(DEFAULT_DUE_DAYS))
    # The prefix of the stable GTFS stop_id given to each project's stop.
    gtfs_stop_id_prefix: str = "TRQ-"
    # Links in e-mails; empty means the address of the web request that caused the e-mail.
    public_url: str = ""
    # Signs the unsubscribe links in e-mails.
    secret_key: str = ""
    # The sender residents see, and the signature under each message.
    agency_name: str = "Transit planning office"
    # The city's time zone: "today" for due dates, overdue flags and the dates staff enter.
    timezone: str = "UTC"


def parse_names(raw: str, setting: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    if not names:
        raise ValueError(f"{setting} must name at least one department")
    if len({name.lower() for name in names}) != len(names):
        raise ValueError(f"{setting} names a department twice: {raw!r}")
    return names


def parse_due_days(raw: str) -> dict[MilestoneKind, int]:
    """``site_survey=30,sign_off=60,…``; kinds not named keep their default."""
    due = dict(DEFAULT_DUE_DAYS)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        kind, _, days = item.partition("=")
        try:
            due[MilestoneKind(kind.strip())] = int(days)
        except ValueError:
            raise ValueError(
                f"MILESTONE_DUE_DAYS: {item!r} is not <milestone>=<days> with a milestone "
                f"from {', '.join(kind.value for kind in MilestoneKind)}"
            ) from None
    if any(days < 0 for days in due.values()):
        raise ValueError("MILESTONE_DUE_DAYS: days cannot be negative")
    return due


def project_settings(config: Mapping[str, Any]) -> ProjectSettings:
    """Settings from app config, checked once at start so a typo stops the app, not a planner."""
    return ProjectSettings(
        required_sign_offs=parse_names(str(config["REQUIRED_SIGN_OFFS"]), "REQUIRED_SIGN_OFFS"),
        construction_department=str(config["CONSTRUCTION_DEPARTMENT"]).strip(),
        launch_department=str(config["LAUNCH_DEPARTMENT"]).strip(),
        due_days=parse_due_days(str(config["MILESTONE_DUE_DAYS"])),
        gtfs_stop_id_prefix=str(config["GTFS_STOP_ID_PREFIX"]),
        public_url=str(config["PUBLIC_URL"]).rstrip("/"),
        secret_key=str(config["SECRET_KEY"]),
        agency_name=str(config["OPEN311_AGENCY"]),
        timezone=checked_timezone(str(config["TIMEZONE"])),
    )


def checked_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of zones ("America") or a name too long to be a file.
        raise ValueError(
            f"TIMEZONE {name!r} is not an IANA time zone such as Europe/Helsinki"
        ) from None
    return name


def settings_of(session: Session) -> ProjectSettings:
    """The deployment's settings carried by the session; defaults for a bare session."""
    return session.info.get(SETTINGS_KEY) or ProjectSettings()


def local_today(session: Session) -> date:
    """Today's date where the city is, which is what a planner means by "today": at 01:00 in
    Helsinki it is already tomorrow there, though not yet in UTC."""
    return datetime.now(ZoneInfo(settings_of(session).timezone)).date()


def local_date(session: Session, moment: datetime) -> date:
    """The date of a stored UTC timestamp where the city is."""
    return moment.astimezone(ZoneInfo(settings_of(session).timezone)).date()


def base_url_of(session: Session) -> str:
    settings = settings_of(session)
    return settings.public_url or str(session.info.get(BASE_URL_KEY, "")).rstrip("/")
