"""Office chores: response templates (the reasons for not approving, seeded with the ones the
code used to hold, in both languages; questions and public notes), and the planner a request
is assigned to.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# As the code held them at this revision (code, English, Chinese, needs the planner's words).
_REASONS = (
    ("too_close_to_existing_stop", "Too close to an existing stop", "离现有公交站太近", False),
    (
        "no_route_nearby",
        "No bus route passes near enough to call here",
        "附近没有可以在此停靠的公交线路",
        False,
    ),
    ("road_unsuitable", "The street is not suitable for a stop", "该路段不适合设站", False),
    ("low_demand", "Too few people would use a stop here", "在此设站的使用人数太少", False),
    (
        "duplicate",
        "Another request asks for the same stop",
        "已有其他申请要求设立同一个公交站",
        False,
    ),
    ("other", "Another reason", "其他原因", True),
)


def upgrade() -> None:
    templates = op.create_table(
        "response_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("code", sa.String(60), unique=True),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("text_en", sa.Text, nullable=False),
        sa.Column("text_zh", sa.Text, nullable=False),
        sa.Column("needs_text", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("times_used", sa.Integer, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        templates,
        [
            {
                "kind": "rejection_reason",
                "code": code,
                "title_en": english,
                "title_zh": chinese,
                "text_en": "",
                "text_zh": "",
                "needs_text": needs_text,
                "position": position,
                "times_used": 0,
                "created_at": now,
                "updated_at": now,
            }
            for position, (code, english, chinese, needs_text) in enumerate(_REASONS)
        ],
    )
    # A plain ADD COLUMN with an inline REFERENCES (see 0005): no batch rebuild of
    # stop_requests, which would lose SpatiaLite's geometry triggers and spatial index.
    op.add_column(
        "stop_requests",
        sa.Column(
            "assigned_to_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
        inline_references=True,
    )
    op.create_index(
        "ix_stop_requests_assigned_to_user_id", "stop_requests", ["assigned_to_user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_stop_requests_assigned_to_user_id", "stop_requests")
    op.drop_column("stop_requests", "assigned_to_user_id")
    op.drop_table("response_templates")
