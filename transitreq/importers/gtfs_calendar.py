"""Which day a feed's service is measured on, and the dates its calendar covers.

Service is measured on one representative weekday (Monday to Friday), chosen by this rule:

- **a current feed** (its calendar reaches today or later): the weekday with the most active
  trips anywhere in the calendar, ties going to the earliest;
- **an expired feed** (its calendar ended before today): the same choice among the weekdays of
  its last ``LAST_WEEKS`` weeks of service only, that is the 28 days ending on the last weekday
  any trip runs. A calendar kept from 2008 to 2020 is then measured on what ran at its end, the
  service closest to today, rather than on its first Tuesday; the report says so (info
  ``feed_expired``) and names the day.

A trip listed in frequencies.txt departs once per headway in each of its windows; any other trip
departs once.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from transitreq.importers.gtfs_feed import Feed
from transitreq.importers.problems import problem
from transitreq.importers.report import ImportReport

LAST_WEEKS = 4
_WEEK = datetime.timedelta(days=7)
_FRIDAY = 4


@dataclass(frozen=True)
class WeekdayService:
    """Which trips run on the representative weekday, how often each departs then, and the
    dates the calendar covers (of the services some trip uses)."""

    service_date: datetime.date
    departures: dict[str, int]
    first_date: datetime.date
    last_date: datetime.date
    expired: bool


class Stretch(NamedTuple):
    """A run of one weekday's dates, a week apart, on which the same number of trips run."""

    active_trips: int
    first: datetime.date
    last: datetime.date


def weekday_service(feed: Feed, report: ImportReport, today: datetime.date) -> WeekdayService:
    """The representative weekday (see the module's rule) and the departures on it.

    Raises ``ImportFailed`` (no_service) when no trip runs on any weekday.
    """
    first_date, last_date = calendar_span(feed)
    stretches = weekday_stretches(feed)
    if not stretches:
        raise report.error("no_service", problem("no_weekday_service"))
    expired = last_date < today
    if expired:
        service_date = _busiest(stretches, since=_last_weeks_start(stretches))
        calendar_file = "calendar.txt" if feed.weekly else "calendar_dates.txt"
        said = problem(
            "feed_expired", ended_day=last_date, measured_day=service_date, weeks=LAST_WEEKS
        )
        report.info("feed_expired", said, file=calendar_file)
    else:
        service_date = _busiest(stretches)
    departures = {
        trip_id: feed.frequency_departures.get(trip_id, 1)
        for trip_id, trip in feed.trips.items()
        if runs_on(feed, trip.service_id, service_date)
    }
    return WeekdayService(service_date, departures, first_date, last_date, expired)


def runs_on(feed: Feed, service_id: str, day: datetime.date) -> bool:
    """calendar.txt's weekly rule, overridden by calendar_dates.txt (1 adds, 2 removes)."""
    exception = feed.exceptions.get((service_id, day))
    return _runs_weekly(feed, service_id, day) if exception is None else exception


def _runs_weekly(feed: Feed, service_id: str, day: datetime.date) -> bool:
    weekly = feed.weekly.get(service_id)
    if weekly is None or not weekly.start <= day <= weekly.end:
        return False
    return weekly.weekdays[day.weekday()]


def calendar_span(feed: Feed) -> tuple[datetime.date, datetime.date]:
    """The first and last dates the calendar covers, over the services trips use: weekly
    ranges and added dates alike."""
    used = {trip.service_id for trip in feed.trips.values()}
    dates = [
        day
        for service_id, weekly in feed.weekly.items()
        if service_id in used
        for day in (weekly.start, weekly.end)
    ]
    dates += [
        day for (service_id, day), added in feed.exceptions.items() if added and service_id in used
    ]
    # A feed whose trips all run on removed dates only covers nothing: no_service says so.
    return (min(dates), max(dates)) if dates else (datetime.date.min, datetime.date.min)


def weekday_stretches(feed: Feed) -> list[Stretch]:
    """Every weekday date with trips, as stretches of equal service, counted as a sweep
    rather than date by date so a calendar spanning decades stays cheap.

    Each weekly rule adds its trips on its first matching weekday and takes them away a week
    after its last, and each exception that changes anything does the same for its one date;
    walking each weekday's changes in order gives the running count of active trips.
    """
    trips_per_service = Counter(trip.service_id for trip in feed.trips.values())
    changes: Counter[datetime.date] = Counter()
    for service_id, weekly in feed.weekly.items():
        for weekday in range(_FRIDAY + 1):
            first = weekly.start + datetime.timedelta(days=(weekday - weekly.start.weekday()) % 7)
            last = weekly.end - datetime.timedelta(days=(weekly.end.weekday() - weekday) % 7)
            if weekly.weekdays[weekday] and first <= last:
                changes[first] += trips_per_service[service_id]
                changes[last + _WEEK] -= trips_per_service[service_id]
    for (service_id, day), added in feed.exceptions.items():
        if day.weekday() <= _FRIDAY and added != _runs_weekly(feed, service_id, day):
            sign = 1 if added else -1
            changes[day] += sign * trips_per_service[service_id]
            changes[day + _WEEK] -= sign * trips_per_service[service_id]
    stretches = []
    for weekday in range(_FRIDAY + 1):
        days = sorted(day for day in changes if day.weekday() == weekday)
        active_trips = 0
        for day, following in zip(days, days[1:], strict=False):
            active_trips += changes[day]
            if active_trips > 0:
                stretches.append(Stretch(active_trips, day, following - _WEEK))
    return stretches


def _last_weeks_start(stretches: list[Stretch]) -> datetime.date:
    """The first day of the last ``LAST_WEEKS`` weeks before the last weekday with trips."""
    return max(stretch.last for stretch in stretches) - datetime.timedelta(
        weeks=LAST_WEEKS, days=-1
    )


def _busiest(stretches: list[Stretch], since: datetime.date | None = None) -> datetime.date:
    """The date with the most active trips from ``since`` on; ties go to the earliest."""
    candidates = []
    for stretch in stretches:
        day = stretch.first
        if since is not None and day < since:
            day += _WEEK * -((stretch.first - since).days // 7)
        if day <= stretch.last:
            candidates.append((stretch.active_trips, day))
    busiest = max(candidates, key=lambda candidate: (candidate[0], -candidate[1].toordinal()))
    return busiest[1]
