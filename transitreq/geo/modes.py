"""Transit modes in the analysis: which routes a new stop can serve, and how far each mode's
stops reach.

A new stop is a bus stop (or whatever ``NEW_STOP_ROUTE_TYPES`` names): only routes of those
modes could call there with no detour, and only their stops set the spacing. People are
*already served* by a stop of any mode, each mode with its own catchment: a metro station draws
people from farther than a bus stop does. ``CATCHMENT_BY_ROUTE_TYPE`` gives a mode's catchment
in metres; a stop reaches at least the radius being evaluated, and farther when its mode says
so (a stop served by several modes reaches as far as the farthest). A stop no route calls at is
counted as a stop of the new-stop modes.

Route types are GTFS ``route_type`` codes, basic (3 bus) or extended (700–799 bus, 100–199
rail…): each names its mode (``models/transit.py``), so ``3`` also covers a feed's ``704``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from transitreq.models import Stop, StopMode
from transitreq.models.transit import BASIC_MODES, EXTENDED_MODES, transit_mode


@dataclass(frozen=True)
class ModeRules:
    """The deployment's modes: those new stops serve, and each mode's catchment in metres."""

    new_stop_modes: frozenset[str]
    catchment_m: Mapping[str, int]

    def serves_new_stops(self, mode: str) -> bool:
        return mode in self.new_stop_modes

    def reach_m(self, mode: str, radius_m: float) -> float:
        """How far a stop of ``mode`` serves people, when ``radius_m`` is being evaluated."""
        return max(float(radius_m), float(self.catchment_m.get(mode, 0)))

    def farthest_reach_m(self, radius_m: float) -> float:
        return max([float(radius_m), *(float(value) for value in self.catchment_m.values())])


def parse_route_types(text: str, setting: str) -> frozenset[str]:
    """ "3,11" → {"bus", "trolleybus"}: the modes of the listed GTFS route types."""
    modes = set()
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or transit_mode(int(part)) == "other":
            raise ValueError(f"{setting}: {part!r} is not a GTFS route_type (e.g. 3 for bus)")
        modes.add(transit_mode(int(part)))
    if not modes:
        raise ValueError(f"{setting} names no route type")
    return frozenset(modes)


def parse_catchments(text: str, setting: str) -> dict[str, int]:
    """ "1=800,2=800" → {"metro": 800, "rail": 800}."""
    catchments: dict[str, int] = {}
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        route_type, _, metres = part.partition("=")
        if not route_type.strip().isdigit() or not metres.strip().isdigit():
            raise ValueError(f"{setting}: {part!r} is not route_type=metres (e.g. 2=800)")
        mode = transit_mode(int(route_type))
        if mode == "other" or not 1 <= int(metres) <= 5000:
            raise ValueError(f"{setting}: {part!r} needs a GTFS route_type and 1–5000 m")
        catchments[mode] = int(metres)
    return catchments


def route_type_is(mode: str, route_type: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL: the route type names ``mode`` (basic code or extended range)."""
    basic = [code for code, name in BASIC_MODES.items() if name == mode]
    ranges = [(first, last) for first, last, name in EXTENDED_MODES if name == mode]
    conditions = [route_type.in_(basic)] if basic else []
    conditions += [and_(route_type >= first, route_type <= last) for first, last in ranges]
    return or_(*conditions) if conditions else literal(False)


def stop_reach_m(rules: ModeRules, radius_m: float) -> ColumnElement[float]:
    """SQL, correlated with ``Stop``: how far that stop serves people at ``radius_m`` — the
    farthest reach of the modes calling there (``stop_modes``), at least ``radius_m``."""
    farther = {mode: metres for mode, metres in rules.catchment_m.items() if metres > radius_m}
    if not farther:
        return literal(float(radius_m))
    per_mode = case(
        *((StopMode.mode == mode, literal(float(metres))) for mode, metres in farther.items()),
        else_=literal(float(radius_m)),
    )
    farthest = (
        select(func.max(per_mode))
        .where(StopMode.stop_id == Stop.id)
        .correlate(Stop)
        .scalar_subquery()
    )
    return func.coalesce(farthest, literal(float(radius_m)))


def stop_has_mode(mode: str, rules: ModeRules) -> ColumnElement[bool]:
    """SQL, correlated with ``Stop``: a trip of ``mode`` calls there (a stop no trip calls at
    counts as one of the new-stop modes)."""
    modes = select(literal(1, Integer)).where(StopMode.stop_id == Stop.id).correlate(Stop)
    served = modes.where(StopMode.mode == mode).exists()
    if rules.serves_new_stops(mode):
        return or_(served, ~modes.exists())
    return served
