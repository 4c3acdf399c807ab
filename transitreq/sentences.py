"""The sentences residents and staff read about what happened, made when they are shown.

An event stores a kind and facts (a department, a date, routes, a reference); the words are
made here from them, through the message catalogue, in the reader's language, and dates are
written the reader's way. What a person typed (``Event.note``) follows the sentence as it was
typed. Nothing here is ever stored, so a sentence can be reworded or translated at any time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from transitreq.i18n import _, current_locale, format_day, lazy_gettext, ngettext
from transitreq.models import Event, EventKind, MilestoneKind, ProjectStage, RequestStatus
from transitreq.models.projects import milestone_title
from transitreq.models.response_templates import DEFAULT_REJECTION_REASONS, in_language

K = EventKind
P = ProjectStage


def _reason(facts: dict[str, Any]) -> str:
    """The public reason a request was not approved, in the reader's language: as the event
    kept it when sent (a response template's words), else, for events from before templates,
    the office's first reasons by their code."""
    locale = str(current_locale())
    words = facts.get("reason_words") or {}
    if words:
        return in_language(words.get("en", ""), words.get("zh_Hans", ""), locale)
    for code, english, chinese, _needs_text in DEFAULT_REJECTION_REASONS:
        if code == facts.get("reason"):
            return in_language(english, chinese, locale)
    return ""


def _day(facts: dict[str, Any], key: str) -> str:
    value = facts.get(key)
    return format_day(date.fromisoformat(value)) if value else _("no date")


def listed(names: Sequence[str]) -> str:
    """ "7", "7 and 12", "7, 12 and 14", in the reader's language."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s", first=_(", ").join(names[:-1]), last=names[-1])


def describe_launch(routes: Sequence[str], service_start: date) -> str:
    """ "In service from 01 Mar 2027, served by routes 7 and 12": the words on the tracking
    page and the new stop's tooltip."""
    return ngettext(
        "In service from %(day)s, served by route %(routes)s.",
        "In service from %(day)s, served by routes %(routes)s.",
        len(routes),
        day=format_day(service_start),
        routes=listed(routes),
    )


def _launch(facts: dict[str, Any]) -> str:
    return describe_launch(facts.get("routes", []), date.fromisoformat(facts["service_start"]))


def _stage_summary(event: Event) -> str:
    facts = event.facts or {}
    stage = P(event.to_status)
    if stage is P.SITE_SURVEY:
        if event.from_status == P.COORDINATION.value:
            return _("The site will be surveyed again.")
        return _("The site survey has begun: planners will visit the site.")
    if stage is P.COORDINATION:
        return _(
            "The site is surveyed; now the city's departments review it (%(departments)s).",
            departments=_(", ").join(facts.get("departments", [])),
        )
    if stage is P.CONSTRUCTION:
        return _("Construction started on %(day)s.", day=_day(facts, "on"))
    if stage is P.IN_SERVICE:
        return _launch(facts) if facts.get("service_start") else ""
    if stage is P.CANCELLED:
        return _("The stop project is cancelled:")
    return ""


def event_summary(event: Event) -> str:
    """What the system says about the event (without what a person typed); may be empty."""
    facts = event.facts or {}
    kind = event.kind
    department = facts.get("department", "")
    if kind is K.PROJECT_STAGE and event.to_status:
        return _stage_summary(event)
    if kind is K.APPROVED:
        if facts.get("with"):
            return _(
                "Approved together with %(reference)s: one new stop serves both.",
                reference=facts["with"],
            )
        return _("A new stop is planned here.")
    if kind is K.MERGED:
        return _(
            "Merged into %(reference)s, which asks for the same stop; follow it there. "
            "Its supporters now include this request's.",
            reference=facts.get("into", ""),
        )
    if kind is K.REJECTED:
        return _("%(reason)s.", reason=_reason(facts))
    if kind is K.COMPLETED or kind is K.LAUNCH_PLANNED:
        if kind is K.LAUNCH_PLANNED:
            return ngettext(
                "Route %(routes)s will call here from %(day)s.",
                "Routes %(routes)s will call here from %(day)s.",
                len(facts.get("routes", [])),
                routes=_(", ").join(facts.get("routes", [])),
                day=_day(facts, "service_start"),
            )
        return _launch(facts)
    simple = {
        K.SUBMITTED: lambda: _("Request received."),
        K.SUPPORTED: lambda: _("A resident added their support."),
        K.INFO_REQUESTED: lambda: _("A planner asks:"),
        K.INFO_ANSWERED: lambda: _(
            "The resident answered the planner's question; the request is back in review."
        ),
        K.PROJECT_CANCELLED: lambda: _(
            "The stop project was cancelled; the request is back in review."
        ),
        K.FEEDBACK_PUBLISHED: lambda: _(
            "Feedback %(number)s published.", number=facts.get("feedback_id", "")
        ),
        K.FEEDBACK_HIDDEN: lambda: _(
            "Feedback %(number)s hidden.", number=facts.get("feedback_id", "")
        ),
        K.PHOTO_PUBLISHED: lambda: _(
            "Photo %(number)s published: the public sees it.", number=facts.get("photo", "")
        ),
        K.PHOTO_HIDDEN: lambda: _(
            "Photo %(number)s hidden from the public.", number=facts.get("photo", "")
        ),
        K.ASSIGNED: lambda: (
            _("Assigned to %(name)s.", name=facts["to"]) if facts.get("to") else _("Unassigned.")
        ),
        K.SURVEY_DONE: lambda: _("The site was surveyed on %(day)s.", day=_day(facts, "on")),
        K.CONSTRUCTION_FINISHED: lambda: _(
            "Construction finished on %(day)s.", day=_day(facts, "on")
        ),
        K.SIGN_OFF_GIVEN: lambda: _("%(department)s signed off.", department=department),
        K.SIGN_OFF_REASON: lambda: _("%(department)s signs off:", department=department),
        K.SIGN_OFF_CHANGES_REQUESTED: lambda: _(
            "%(department)s asks for changes:", department=department
        ),
        K.SIGN_OFF_REFUSED: lambda: _("%(department)s refuses:", department=department),
        K.SIGN_OFF_REOPENED: lambda: _(
            "%(department)s is asked to decide again:", department=department
        ),
        K.DUE_DATE_CHANGED: lambda: _(
            "%(milestone)s: due %(before)s → %(after)s.",
            milestone=milestone_title(MilestoneKind(facts["milestone"]), department),
            before=_day(facts, "before"),
            after=_day(facts, "after"),
        ),
    }
    return simple[kind]() if kind in simple else ""


def event_text(event: Event) -> str:
    """The sentence and what the person typed after it: the whole of what a reader sees."""
    return " ".join(part for part in (event_summary(event), event.note) if part)


# --- titles on the timelines and audit logs ---------------------------------------------------

_STAGE_TITLES = {
    P.APPROVED: lazy_gettext("Approved"),
    P.SITE_SURVEY: lazy_gettext("Site survey"),
    P.COORDINATION: lazy_gettext("Review by the city's departments"),
    P.CONSTRUCTION: lazy_gettext("Construction started"),
    P.IN_SERVICE: lazy_gettext("In service"),
    P.CANCELLED: lazy_gettext("Cancelled"),
}
_KIND_TITLES = {
    K.SUBMITTED: lazy_gettext("Submitted"),
    K.SUPPORTED: lazy_gettext("Supported"),
    K.APPROVED: lazy_gettext("Approved"),
    K.MERGED: lazy_gettext("Merged"),
    K.REJECTED: lazy_gettext("Not approved"),
    K.INFO_REQUESTED: lazy_gettext("Needs information"),
    K.INFO_ANSWERED: lazy_gettext("Under review"),
    K.INTERNAL_NOTE: lazy_gettext("Internal note"),
    K.COMPLETED: lazy_gettext("In service"),
    K.PROJECT_CANCELLED: lazy_gettext("Cancelled"),
    K.FEEDBACK_PUBLISHED: lazy_gettext("Feedback published"),
    K.FEEDBACK_HIDDEN: lazy_gettext("Feedback hidden"),
    K.PHOTO_PUBLISHED: lazy_gettext("Photo published"),
    K.PHOTO_HIDDEN: lazy_gettext("Photo hidden"),
    K.ASSIGNED: lazy_gettext("Assignment"),
    K.SURVEY_FINDINGS: lazy_gettext("Survey findings"),
    K.SURVEY_DONE: lazy_gettext("Site surveyed"),
    K.SIGN_OFF_GIVEN: lazy_gettext("A department signed off"),
    K.SIGN_OFF_REASON: lazy_gettext("Sign-off reason"),
    K.SIGN_OFF_CHANGES_REQUESTED: lazy_gettext("Changes requested"),
    K.SIGN_OFF_REFUSED: lazy_gettext("Sign-off refused"),
    K.SIGN_OFF_REOPENED: lazy_gettext("Sign-off asked again"),
    K.CONSTRUCTION_FINISHED: lazy_gettext("Construction finished"),
    K.LAUNCH_PLANNED: lazy_gettext("Routes and start date set"),
    K.DUE_DATE_CHANGED: lazy_gettext("Due date changed"),
    K.PROJECT_NOTE: lazy_gettext("News from the planners"),
}


# Who acted, when it was not a staff member (whose name is stored as it is shown).
_ACTOR_NAMES = {"resident": lazy_gettext("a resident"), "system": lazy_gettext("the system")}


def actor_name(event: Event) -> str:
    """Who caused ``event``, for the audit log: a staff member's name as stored; the codes for
    residents and the service itself in the reader's words."""
    return str(_ACTOR_NAMES.get(event.actor, event.actor))


def event_title(event: Event) -> str:
    """The heading of an event on a timeline or audit log."""
    if event.kind is K.PROJECT_STAGE and event.to_status:
        stage = P(event.to_status)
        if stage is P.SITE_SURVEY and event.from_status == P.COORDINATION.value:
            return _("Site survey again")
        return str(_STAGE_TITLES[stage])
    if event.kind is K.SIGN_OFF_GIVEN and (event.facts or {}).get("department"):
        return _("%(department)s signed off", department=event.facts["department"])
    if event.kind is K.STATUS_CHANGED and event.to_status:
        return str(RequestStatus(event.to_status).label)
    return str(_KIND_TITLES.get(event.kind, event.kind.replace("_", " ").capitalize()))
