"""Stop projects tracked to completion: milestones, survey photos, feedback, the e-mail outbox.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Projects approved before this revision get the default plan; this list is frozen here on
# purpose (a revision never imports code that may change later).
_DEFAULT_SIGN_OFFS = ("Urban construction", "Landscaping", "Traffic police", "Bus operator")


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.add_column("stop_projects", sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.add_column("stop_projects", sa.Column("cancel_reason", sa.Text))
    op.add_column("stop_projects", sa.Column("launch_routes", sa.JSON))
    op.add_column("stop_projects", sa.Column("service_start_date", sa.Date))
    op.add_column("stop_projects", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.add_column(
        "stop_projects", sa.Column("version", sa.Integer, nullable=False, server_default="1")
    )
    op.create_index("ix_stop_projects_status", "stop_projects", ["status"])
    op.create_table(
        "project_milestones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("stop_projects.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("done_date", sa.Date),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("decided_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "survey_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "milestone_id",
            sa.Integer,
            sa.ForeignKey("project_milestones.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("stop_requests.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        _created_at(),
        sa.Column("moderated_at", sa.DateTime(timezone=True)),
        sa.Column(
            "moderated_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
    )
    # Events of a project rather than of one request; inline REFERENCES, never batch mode,
    # which would rebuild the table (see 0005).
    op.add_column(
        "events",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("stop_projects.id", ondelete="CASCADE")),
        inline_references=True,
    )
    op.create_index("ix_events_project_id", "events", ["project_id"])
    op.create_table(
        "outbound_emails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="SET NULL")),
        _created_at(),
        sa.Column("sent_at", sa.DateTime(timezone=True), index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
    )
    op.add_column(
        "supports",
        sa.Column("notify_progress", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    _plan_existing_projects()


def _plan_existing_projects() -> None:
    """Give projects approved before this revision the default milestones, without due dates."""
    connection = op.get_bind()
    projects = connection.execute(sa.text("SELECT id FROM stop_projects")).scalars().all()
    now = datetime.now(UTC)
    connection.execute(
        sa.text("UPDATE stop_projects SET updated_at = created_at, launch_routes = '[]'")
    )
    if not projects:
        return
    departments = {}
    for name in _DEFAULT_SIGN_OFFS:
        found = connection.execute(
            sa.text("SELECT id FROM departments WHERE name = :name"), {"name": name}
        ).scalar()
        if found is None:
            connection.execute(
                sa.text("INSERT INTO departments (name) VALUES (:name)"), {"name": name}
            )
            found = connection.execute(
                sa.text("SELECT id FROM departments WHERE name = :name"), {"name": name}
            ).scalar()
        departments[name] = found
    plan = [("site_survey", None)]
    plan += [("sign_off", departments[name]) for name in _DEFAULT_SIGN_OFFS]
    plan += [
        ("construction_start", departments["Urban construction"]),
        ("construction_finish", departments["Urban construction"]),
        ("launch", departments["Bus operator"]),
    ]
    insert = sa.text(
        "INSERT INTO project_milestones "
        "(project_id, kind, department_id, state, notes, position, updated_at) "
        "VALUES (:project, :kind, :department, 'pending', '', :position, :now)"
    )
    for project in projects:
        for position, (kind, department) in enumerate(plan):
            connection.execute(
                insert,
                {
                    "project": project,
                    "kind": kind,
                    "department": department,
                    "position": position,
                    "now": now,
                },
            )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), never batch mode: see 0005.
    op.drop_column("supports", "notify_progress")
    op.drop_table("outbound_emails")
    op.drop_index("ix_events_project_id", "events")
    op.drop_column("events", "project_id")
    op.drop_table("feedback")
    op.drop_table("survey_photos")
    op.drop_table("project_milestones")
    op.drop_index("ix_stop_projects_status", "stop_projects")
    for column in (
        "version",
        "closed_at",
        "service_start_date",
        "launch_routes",
        "cancel_reason",
        "updated_at",
    ):
        op.drop_column("stop_projects", column)
