"""Events hold facts, not sentences.

``events.facts`` (JSON) holds what a sentence about the event is made of (a department, a date,
routes, a reference, a reason's code); ``note`` keeps only what a person typed. Existing rows
are read apart: the English sentence the old code wrote is recognised, its facts kept, and what
followed it (the person's words) left in ``note``. A note no pattern recognises is kept whole.
Going back writes the English sentence in front of the note again.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("to_status", sa.String),
    sa.column("from_status", sa.String),
    sa.column("note", sa.Text),
    sa.column("facts", sa.JSON),
)

_DAY = r"(?P<on>\d{2} \w{3} \d{4})"
_ROUTES = r"(?P<routes>.+?)"
_REJECTION_LABELS = {
    "Too close to an existing stop": "too_close_to_existing_stop",
    "No bus route passes near enough to call here": "no_route_nearby",
    "The street is not suitable for a stop": "road_unsuitable",
    "Too few people would use a stop here": "low_demand",
    "Another request asks for the same stop": "duplicate",
    "Another reason": "other",
}
_MILESTONE_TITLES = {
    "Site survey": "site_survey",
    "Construction start": "construction_start",
    "Construction finish": "construction_finish",
    "Launch": "launch",
}
# (kind, to_status or None) -> the sentences the old code wrote, each a regex whose named
# groups are facts; what follows the sentence is the person's note.
_PATTERNS: dict[tuple[str, str | None], list[str]] = {
    ("submitted", None): [r"Request received\."],
    ("supported", None): [r"A resident added their support\."],
    ("approved", None): [
        r"Approved together with (?P<with>SR-\d{4}-\d{6}): one new stop serves both\.",
        r"Approved: a new stop is planned here\.",
    ],
    ("merged", None): [
        r"Merged into (?P<into>SR-\d{4}-\d{6}), which asks for the same stop; follow it there\. "
        r"Its supporters now include this request's\."
    ],
    ("info_requested", None): [r"A planner asks:"],
    ("info_answered", None): [
        r"The resident answered the planner's question; the request is back in review\."
    ],
    ("completed", None): [rf"In service from {_DAY}, served by routes? {_ROUTES}\."],
    ("project_cancelled", None): [
        r"The stop project was cancelled \((?P<reason_note>.*)\); the request is back in review\."
    ],
    ("feedback_published", None): [r"Feedback (?P<feedback_id>\d+) published\."],
    ("feedback_hidden", None): [r"Feedback (?P<feedback_id>\d+) hidden\."],
    ("project_stage", "site_survey"): [
        r"The site survey has begun: planners will visit the site\.",
        r"The site survey has begun\.",
        r"The site will be surveyed again\.",
    ],
    ("project_stage", "coordination"): [
        r"The site is surveyed; now the city's departments review it \((?P<departments>.*?)\)\.",
        r"The city's departments now review the site\.",
    ],
    ("project_stage", "construction"): [rf"Construction started on {_DAY}\."],
    ("project_stage", "in_service"): [rf"In service from {_DAY}, served by routes? {_ROUTES}\."],
    ("project_stage", "cancelled"): [r"The stop project is cancelled:"],
    ("survey_done", None): [rf"The site was surveyed on {_DAY}\."],
    ("construction_finished", None): [rf"Construction finished on {_DAY}\."],
    ("sign_off_given", None): [r"(?P<department>.+?) signed off\."],
    ("sign_off_reason", None): [r"(?P<department>.+?) signs off:"],
    ("sign_off_changes_requested", None): [r"(?P<department>.+?) asks for changes:"],
    ("sign_off_refused", None): [r"(?P<department>.+?) refuses:"],
    ("sign_off_reopened", None): [r"(?P<department>.+?) is asked to decide again:"],
    ("launch_planned", None): [rf"Routes? {_ROUTES} will call here from {_DAY}\."],
    ("due_date_changed", None): [
        r"(?P<milestone_title>.+?): due (?P<before>.+?) → (?P<after>.+?)\."
    ],
}


def _iso(day: str) -> str | None:
    try:
        return datetime.strptime(day, "%d %b %Y").date().isoformat()
    except ValueError:
        return None


def _routes(text: str) -> list[str]:
    return [part.strip() for part in re.split(r", | and ", text) if part.strip()]


def _facts(kind: str, groups: dict[str, str]) -> tuple[dict, str]:
    """Facts from a recognised sentence's groups, and any words of the person inside it."""
    facts: dict = {}
    inner_note = groups.pop("reason_note", None) or ""
    for key, value in groups.items():
        if value is None:
            continue
        if key == "on":
            facts["service_start" if kind in ("completed", "project_stage") else "on"] = _iso(value)
        elif key == "routes":
            facts["routes"] = _routes(value)
        elif key == "departments":
            facts["departments"] = [name.strip() for name in value.split(",") if name.strip()]
        elif key == "feedback_id":
            facts["feedback_id"] = int(value)
        elif key == "milestone_title":
            if value.startswith("Sign-off: "):
                facts["milestone"], facts["department"] = "sign_off", value[len("Sign-off: ") :]
            else:
                facts["milestone"], facts["department"] = _MILESTONE_TITLES.get(value, value), ""
        elif key in ("before", "after"):
            facts[key] = _iso(value)
        else:
            facts[key] = value
    if kind == "launch_planned" and "on" in facts:
        facts["service_start"] = facts.pop("on")
    if kind == "project_stage" and "service_start" in facts and "routes" not in facts:
        facts["on"] = facts.pop("service_start")
    return facts, inner_note


def read_apart(kind: str, to_status: str | None, note: str) -> tuple[dict, str]:
    """(facts, the person's note) of an old event's note."""
    note = note or ""
    if kind == "rejected":
        for label, code in _REJECTION_LABELS.items():
            if note.startswith(label + "."):
                return {"reason": code}, note[len(label) + 1 :].strip()
        return {"reason": "other"}, note
    key = (kind, to_status if kind == "project_stage" else None)
    for pattern in _PATTERNS.get(key, []):
        match = re.match(pattern, note)
        if match:
            facts, inner = _facts(kind, dict(match.groupdict()))
            rest = note[match.end() :].strip()
            return facts, " ".join(part for part in (inner, rest) if part)
    return {}, note


def upgrade() -> None:
    op.add_column("events", sa.Column("facts", sa.JSON, nullable=False, server_default="{}"))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_events.c.id, _events.c.kind, _events.c.to_status, _events.c.note)
    ).all()
    for event_id, kind, to_status, note in rows:
        facts, person_note = read_apart(kind, to_status, note)
        if facts or person_note != (note or ""):
            connection.execute(
                _events.update()
                .where(_events.c.id == event_id)
                .values(facts=facts, note=person_note)
            )


def _english(kind: str, to_status: str | None, from_status: str | None, facts: dict) -> str:
    """The sentence the code before this revision wrote, for going back."""
    day = facts.get("on") or facts.get("service_start")
    day = datetime.fromisoformat(day).strftime("%d %b %Y") if day else ""
    routes = facts.get("routes", [])
    listed = (
        routes[0]
        if len(routes) == 1
        else ", ".join(routes[:-1]) + " and " + routes[-1]
        if routes
        else ""
    )
    noun = "route" if len(routes) == 1 else "routes"
    department = facts.get("department", "")
    sentences = {
        "submitted": "Request received.",
        "supported": "A resident added their support.",
        "merged": f"Merged into {facts.get('into', '')}, which asks for the same stop; follow it "
        "there. Its supporters now include this request's.",
        "info_requested": "A planner asks:",
        "info_answered": "The resident answered the planner's question; the request is back in "
        "review.",
        "completed": f"In service from {day}, served by {noun} {listed}.",
        "survey_done": f"The site was surveyed on {day}.",
        "construction_finished": f"Construction finished on {day}.",
        "sign_off_given": f"{department} signed off.",
        "sign_off_reason": f"{department} signs off:",
        "sign_off_changes_requested": f"{department} asks for changes:",
        "sign_off_refused": f"{department} refuses:",
        "sign_off_reopened": f"{department} is asked to decide again:",
        "launch_planned": f"{noun.capitalize()} {', '.join(routes)} will call here from {day}.",
    }
    if kind == "approved":
        return (
            f"Approved together with {facts['with']}: one new stop serves both."
            if facts.get("with")
            else "Approved: a new stop is planned here."
        )
    if kind == "rejected":
        labels = {code: label for label, code in _REJECTION_LABELS.items()}
        return labels.get(facts.get("reason"), "Another reason") + "."
    if kind == "project_stage":
        return {
            "site_survey": "The site will be surveyed again."
            if from_status == "coordination"
            else "The site survey has begun: planners will visit the site.",
            "coordination": "The site is surveyed; now the city's departments review it "
            f"({', '.join(facts.get('departments', []))}).",
            "construction": f"Construction started on {day}.",
            "in_service": f"In service from {day}, served by {noun} {listed}." if routes else "",
            "cancelled": "The stop project is cancelled:",
        }.get(to_status or "", "")
    return sentences.get(kind, "")


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _events.c.id,
            _events.c.kind,
            _events.c.to_status,
            _events.c.from_status,
            _events.c.note,
            _events.c.facts,
        )
    ).all()
    for event_id, kind, to_status, from_status, note, facts in rows:
        facts = json.loads(facts) if isinstance(facts, str) else (facts or {})
        sentence = _english(kind, to_status, from_status, facts)
        if sentence:
            text = " ".join(part for part in (sentence, note) if part)
            connection.execute(_events.update().where(_events.c.id == event_id).values(note=text))
    op.drop_column("events", "facts")
