"""How a deployment runs its stop projects: which departments must sign off, who builds and
launches, how long each milestone may take. Built from config once, at start (``config.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from transitreq.models import MilestoneKind


@dataclass(frozen=True)
class ProjectSettings:
    # Departments whose sign-off every new project needs, in the order they are listed.
    required_sign_offs: tuple[str, ...]
    # Who owns construction and launch; each must be a department name.
    construction_department: str
    launch_department: str
    # Days from approval by which each milestone falls due.
    due_days: Mapping[MilestoneKind, int]
    # The prefix of the stable GTFS stop_id given to each project's stop.
    gtfs_stop_id_prefix: str


def parse_names(raw: str, setting: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    if not names:
        raise ValueError(f"{setting} must name at least one department")
    if len({name.lower() for name in names}) != len(names):
        raise ValueError(f"{setting} names a department twice: {raw!r}")
    return names


def parse_due_days(
    raw: str, base: Mapping[MilestoneKind, int] | None = None
) -> dict[MilestoneKind, int]:
    """``site_survey=30,sign_off=60,…`` over ``base``: kinds not named keep their day there."""
    due = dict(base or {})
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


def checked_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of zones ("America") or a name too long to be a file.
        raise ValueError(
            f"TIMEZONE {name!r} is not an IANA time zone such as Europe/Helsinki"
        ) from None
    return name


def checked_region(code: str) -> str:
    code = code.strip().upper()
    if code and code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"PHONE_DEFAULT_REGION {code!r} is not a country code such as FI, CN or BR"
        )
    return code
