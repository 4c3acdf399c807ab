"""Response templates: administrators write them in both languages, planners pick one.

A template that was used is archived, never deleted, so the audit log can always say what was
sent from it; an archived one is no longer offered, and can be restored. The reasons for not
approving are templates too: a database with none at all (new, or emptied) gets the office's
first list back, so a planner always has a reason to pick.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import NotPermitted, TransitionRefused, UnknownReference, ValidationFailed
from transitreq.i18n import _
from transitreq.models import ResponseTemplate, Role, TemplateKind, User, utc_now
from transitreq.models.response_templates import DEFAULT_REJECTION_REASONS
from transitreq.services.requests.validation import clean_text
from transitreq.services.versioned import NOTE_MAX_CHARS

TITLE_MAX_CHARS = 200


@dataclass(frozen=True)
class TemplateDraft:
    """What an administrator typed on the template form."""

    kind: str
    title_en: str
    title_zh: str
    text_en: str = ""
    text_zh: str = ""
    needs_text: bool = False


def ensure_default_reasons(session: Session) -> None:
    """Write the office's first reasons when the table holds no reason at all."""
    count = session.scalar(
        select(func.count(ResponseTemplate.id)).where(
            ResponseTemplate.kind == TemplateKind.REJECTION_REASON
        )
    )
    if count:
        return
    with unit_of_work(session):
        for position, (code, english, chinese, needs_text) in enumerate(DEFAULT_REJECTION_REASONS):
            session.add(
                ResponseTemplate(
                    kind=TemplateKind.REJECTION_REASON,
                    code=code,
                    title_en=english,
                    title_zh=chinese,
                    needs_text=needs_text,
                    position=position,
                )
            )


def templates_of(
    session: Session, kind: TemplateKind, archived: bool = False
) -> list[ResponseTemplate]:
    """The templates of ``kind`` planners are offered (or, with ``archived``, those put away)."""
    if kind is TemplateKind.REJECTION_REASON:
        ensure_default_reasons(session)
    archived_test = (
        ResponseTemplate.archived_at.is_not(None)
        if archived
        else ResponseTemplate.archived_at.is_(None)
    )
    return list(
        session.scalars(
            select(ResponseTemplate)
            .where(ResponseTemplate.kind == kind, archived_test)
            .order_by(ResponseTemplate.position, ResponseTemplate.id)
        )
    )


def find_template(session: Session, template_id: int) -> ResponseTemplate:
    found = session.get(ResponseTemplate, template_id)
    if found is None:
        raise UnknownReference(
            _("There is no response template number %(number)d.", number=template_id), "template"
        )
    return found


def reason_by_code(session: Session, code: str) -> ResponseTemplate:
    """An offered reason for not approving, by the code the form sends."""
    ensure_default_reasons(session)
    found = session.scalar(
        select(ResponseTemplate).where(
            ResponseTemplate.kind == TemplateKind.REJECTION_REASON,
            ResponseTemplate.code == code,
            ResponseTemplate.archived_at.is_(None),
        )
    )
    if found is None:
        raise ValidationFailed({"reason_code": _("Pick a reason from the list.")})
    return found


def note_use(session: Session, template_id: int | None, kind: TemplateKind) -> None:
    """Count a use of the template a question or note started from, once it was sent; an
    unknown or mismatched id is ignored (the words sent are what counts)."""
    if template_id is None:
        return
    template = session.get(ResponseTemplate, template_id)
    if template is not None and template.kind is kind:
        with unit_of_work(session):
            template.times_used += 1


def template_text(
    session: Session, template_id: int | None, kind: TemplateKind, locale: str | None
) -> str:
    """A template's text in the resident's language: what a form without JavaScript sends
    when the planner picked a template and left the text empty."""
    template = session.get(ResponseTemplate, template_id) if template_id is not None else None
    if template is None or template.kind is not kind:
        return ""
    return template.text_in(locale)


def _require_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise NotPermitted(_("Only an administrator can change response templates."), "user")


def _clean(draft: TemplateDraft) -> dict:
    errors: dict[str, str] = {}
    if draft.kind not in {kind.value for kind in TemplateKind}:
        errors["kind"] = _("Choose what the template is for.")
    fields = (
        # field, its label on the form, longest allowed, required for every kind
        ("title_en", _("Title in English"), TITLE_MAX_CHARS, True),
        ("title_zh", _("Title in Chinese"), TITLE_MAX_CHARS, True),
        ("text_en", _("Text in English"), NOTE_MAX_CHARS, False),
        ("text_zh", _("Text in Chinese"), NOTE_MAX_CHARS, False),
    )
    # A reason's text is optional (the reason itself is the answer); other templates are text.
    text_required = draft.kind != TemplateKind.REJECTION_REASON.value
    values = {
        field: clean_text(
            getattr(draft, field),
            field,
            label,
            max_chars,
            errors,
            required=required or text_required,
            multiline=field.startswith("text"),
        )
        for field, label, max_chars, required in fields
    }
    if errors:
        raise ValidationFailed(errors)
    return values


def create_template(session: Session, user: User, draft: TemplateDraft) -> ResponseTemplate:
    _require_admin(user)
    values = _clean(draft)
    kind = TemplateKind(draft.kind)
    with unit_of_work(session):
        last = session.scalar(
            select(func.max(ResponseTemplate.position)).where(ResponseTemplate.kind == kind)
        )
        template = ResponseTemplate(
            kind=kind,
            needs_text=draft.needs_text and kind is TemplateKind.REJECTION_REASON,
            position=(last or 0) + 1,
            **values,
        )
        session.add(template)
        session.flush()
        if kind is TemplateKind.REJECTION_REASON:
            template.code = f"reason-{template.id}"
    return template


def update_template(
    session: Session, user: User, template_id: int, draft: TemplateDraft
) -> ResponseTemplate:
    """Reword a template; what was already sent from it stays as it was sent."""
    _require_admin(user)
    template = find_template(session, template_id)
    values = _clean(TemplateDraft(**{**draft.__dict__, "kind": template.kind.value}))
    with unit_of_work(session):
        for field, value in values.items():
            setattr(template, field, value)
        template.needs_text = draft.needs_text and template.kind is TemplateKind.REJECTION_REASON
    return template


def set_archived(
    session: Session, user: User, template_id: int, archived: bool
) -> ResponseTemplate:
    """Stop offering a template (or offer it again)."""
    _require_admin(user)
    template = find_template(session, template_id)
    with unit_of_work(session):
        template.archived_at = utc_now() if archived else None
    return template


def deletable(template: ResponseTemplate) -> bool:
    """Never used, and not one of the first reasons (which old decisions name by code)."""
    first_reasons = {row[0] for row in DEFAULT_REJECTION_REASONS}
    return not template.times_used and template.code not in first_reasons


def delete_template(session: Session, user: User, template_id: int) -> None:
    """Delete a template never used; one that was used is archived instead."""
    _require_admin(user)
    template = find_template(session, template_id)
    if not deletable(template):
        raise TransitionRefused(
            _("This template was used (or old decisions name it), so it can only be archived."),
            "template",
        )
    with unit_of_work(session):
        session.delete(template)
