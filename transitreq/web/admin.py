"""Administrators manage staff accounts and departments, the e-mail that could not go out, and
the response templates planners answer residents with."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from transitreq.errors import DomainError, ValidationFailed
from transitreq.i18n import _, lazy_gettext
from transitreq.models import Role, TemplateKind, utc_now
from transitreq.services.accounts import staff as accounts
from transitreq.services.mail import outbox
from transitreq.services.requests import templates
from transitreq.web.app_settings import settings as app_settings
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


def _page(errors: dict[str, str] | None = None, form=None, status: int = 200):
    session = db_session()
    return render_template(
        "admin/staff.html",
        users=accounts.staff(session),
        departments=accounts.departments(session),
        roles=list(Role),
        min_password_chars=accounts.MIN_PASSWORD_CHARS,
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/staff")
def staff() -> ResponseReturnValue:
    """Every account and department, with forms to add, deactivate and set passwords."""
    return _page()


@bp.post("/staff")
def add_user() -> ResponseReturnValue:
    form = request.form
    new = accounts.NewUser(
        form.get("email", ""),
        form.get("name", ""),
        form.get("role", ""),
        form.get("password", ""),
        form.get("department", ""),
    )
    try:
        user = accounts.create_user(db_session(), new)
    except ValidationFailed as refusal:
        return _page(refusal.fields, form, 422)
    flash(_("Account created for %(name)s.", name=user.name), "success")
    return redirect(url_for("admin.staff"), 303)


@bp.post("/staff/<int:user_id>/active")
def set_active(user_id: int) -> ResponseReturnValue:
    try:
        user = accounts.set_active(
            db_session(), user_id, request.form.get("active") == "1", current_user
        )
    except ValidationFailed as refusal:
        return _page(refusal.fields, None, 422)
    if user.active:
        flash(_("%(name)s is now active.", name=user.name), "success")
    else:
        flash(_("%(name)s is now deactivated.", name=user.name), "success")
    return redirect(url_for("admin.staff"), 303)


@bp.post("/staff/<int:user_id>/password")
def reset_password(user_id: int) -> ResponseReturnValue:
    """Set another member of staff's password; every session of theirs ends."""
    try:
        user = accounts.reset_password(
            db_session(), user_id, request.form.get("password", ""), current_user
        )
    except ValidationFailed as refusal:
        return _page({"reset": refusal.message}, None, 422)
    flash(
        _("New password set for %(name)s; their sessions are logged out.", name=user.name),
        "success",
    )
    return redirect(url_for("admin.staff"), 303)


@bp.post("/departments")
def add_department() -> ResponseReturnValue:
    try:
        department = accounts.add_department(db_session(), request.form.get("name", ""))
    except ValidationFailed as refusal:
        return _page({"department_name": refusal.fields["name"]}, None, 422)
    flash(_("Department “%(name)s” added.", name=department.name), "success")
    return redirect(url_for("admin.staff"), 303)


@bp.get("/mail")
def mail() -> ResponseReturnValue:
    """Progress e-mails given up on (dead) and those waiting longer than MAIL_LATE_AFTER_S,
    with recipient, attempts and last error, each with a button to try it afresh."""
    settings = app_settings().mail
    return render_template(
        "admin/mail.html",
        trouble=outbox.trouble(db_session(), utc_now(), settings.late_after_s),
        max_attempts=settings.policy.max_attempts,
        late_after_min=round(settings.late_after_s / 60),
    )


@bp.post("/mail/<int:message_id>/requeue")
def requeue_message(message_id: int) -> ResponseReturnValue:
    if outbox.requeue(db_session(), utc_now(), [message_id]):
        flash(
            _(
                "Message %(number)s is queued again and goes out at the next delivery.",
                number=message_id,
            ),
            "success",
        )
    else:
        flash(
            _("Message %(number)s was not re-queued: it is sent or being sent.", number=message_id),
            "error",
        )
    return redirect(url_for("admin.mail"), 303)


@bp.post("/mail/requeue-dead")
def requeue_dead() -> ResponseReturnValue:
    requeued = outbox.requeue(db_session(), utc_now())
    flash(_("%(count)s dead message(s) queued again.", count=requeued), "success")
    return redirect(url_for("admin.mail"), 303)


# --- response templates --------------------------------------------------------------------

TEMPLATE_FIELD_LABELS = {
    "kind": lazy_gettext("What it is for"),
    "title_en": lazy_gettext("Title in English"),
    "title_zh": lazy_gettext("Title in Chinese"),
    "text_en": lazy_gettext("Text in English"),
    "text_zh": lazy_gettext("Text in Chinese"),
    "confirm": lazy_gettext("Confirm"),
    "template": lazy_gettext("Template"),
}


def _templates_page(
    errors: dict[str, str] | None = None,
    form=None,
    editing: int | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db_session()
    return render_template(
        "admin/templates.html",
        kinds=list(TemplateKind),
        offered={kind: templates.templates_of(session, kind) for kind in TemplateKind},
        archived={
            kind: templates.templates_of(session, kind, archived=True) for kind in TemplateKind
        },
        editing=editing,
        deletable=templates.deletable,
        errors=errors or {},
        labels=TEMPLATE_FIELD_LABELS,
        form=form or {},
    ), status


def _draft(form) -> templates.TemplateDraft:
    return templates.TemplateDraft(
        kind=form.get("kind", ""),
        title_en=form.get("title_en", ""),
        title_zh=form.get("title_zh", ""),
        text_en=form.get("text_en", ""),
        text_zh=form.get("text_zh", ""),
        needs_text=form.get("needs_text") == "1",
    )


@bp.get("/templates")
def response_templates() -> ResponseReturnValue:
    """The reasons for not approving, questions and public notes planners pick from."""
    editing = request.args.get("edit", type=int)
    return _templates_page(editing=editing)


def _template_change(change, done: str, editing: int | None = None) -> ResponseReturnValue:
    try:
        change(db_session(), current_user._get_current_object())
    except DomainError as refusal:
        fields = refusal.fields or {"template": refusal.message}
        return _templates_page(fields, request.form, editing, refusal.status)
    flash(done, "success")
    return redirect(url_for("admin.response_templates"), 303)


@bp.post("/templates")
def add_template() -> ResponseReturnValue:
    draft = _draft(request.form)
    return _template_change(
        lambda session, user: templates.create_template(session, user, draft),
        _("Template added: planners can pick it now."),
    )


@bp.post("/templates/<int:template_id>")
def edit_template(template_id: int) -> ResponseReturnValue:
    draft = _draft(request.form)
    return _template_change(
        lambda session, user: templates.update_template(session, user, template_id, draft),
        _("Template saved. What was already sent from it is unchanged."),
        template_id,
    )


@bp.post("/templates/<int:template_id>/archive")
def archive_template(template_id: int) -> ResponseReturnValue:
    archive = request.form.get("archived") != "0"
    return _template_change(
        lambda session, user: templates.set_archived(session, user, template_id, archive),
        _("Template archived: it is no longer offered.")
        if archive
        else _("Template restored: planners can pick it again."),
    )


@bp.post("/templates/<int:template_id>/delete")
def delete_template(template_id: int) -> ResponseReturnValue:
    """Delete a template never used, once the administrator ticked the confirmation."""

    def delete(session, user) -> None:
        if request.form.get("confirm") != "1":
            raise ValidationFailed({"confirm": _("Tick “Yes, delete this template” to delete it.")})
        templates.delete_template(session, user, template_id)

    return _template_change(delete, _("Template deleted."))
