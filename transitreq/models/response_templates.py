"""Answers the office gives again and again, written once in both languages by an
administrator: the public reasons for not approving a request, questions to residents and
public notes. A planner picks one on the review page and adjusts it before sending.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import LazyString
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.i18n import lazy_gettext
from transitreq.models.base import Base, UtcDateTime, enum_column, utc_now


class TemplateKind(enum.StrEnum):
    REJECTION_REASON = "rejection_reason"
    QUESTION = "question"
    PUBLIC_NOTE = "public_note"

    @property
    def label(self) -> LazyString:
        return _KIND_LABELS[self.value]


_KIND_LABELS = {
    "rejection_reason": lazy_gettext("Reasons for not approving"),
    "question": lazy_gettext("Questions to residents"),
    "public_note": lazy_gettext("Public notes"),
}

# The reasons for not approving the office started with (code, English, Chinese, whether the
# planner must explain it). Migration 0020 wrote them as the first templates; events written
# before then name their reason by these codes alone, and are read with these words.
DEFAULT_REJECTION_REASONS = (
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


def in_language(english: str, chinese: str, locale: str | None) -> str:
    """The Chinese words for a Chinese reader (when written), else the English."""
    if locale and locale.startswith("zh") and chinese:
        return chinese
    return english


class ResponseTemplate(Base):
    """One reusable answer, in English and Chinese; archived rather than deleted once used."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TemplateKind] = mapped_column(enum_column(TemplateKind, 20), index=True)
    # A reason's code, which its events keep (new reasons get ``reason-<id>``); NULL otherwise.
    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_zh: Mapped[str] = mapped_column(Text, default="")
    # A reason that means nothing without the planner's own words ("another reason").
    needs_text: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How many decisions were sent from it: a used template is archived, never deleted.
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    def title_in(self, locale: str | None) -> str:
        return in_language(self.title_en, self.title_zh, locale)

    def text_in(self, locale: str | None) -> str:
        return in_language(self.text_en, self.text_zh, locale)

    @property
    def words(self) -> dict[str, str]:
        """The title in each language, as a reason's event keeps it (what residents were told,
        even if an administrator rewords the template later)."""
        return {"en": self.title_en, "zh_Hans": self.title_zh}
