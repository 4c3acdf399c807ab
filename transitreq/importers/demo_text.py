"""The demo city's words in both languages it is written in (English and Simplified Chinese).

The demo is data, written once in one language (the city's ``DEFAULT_LOCALE`` or
``seed-demo --language``), not translated for each reader: what residents and planners write
is shown as they wrote it.
"""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    """One demo text in both languages."""

    en: str
    zh: str

    def pick(self, language: str) -> str:
        """The text in ``language`` ("en", "zh_Hans")."""
        return self.zh if language.startswith("zh") else self.en


DEMO_RESIDENT = Text("Demo resident", "演示居民")
DEMO_PLANNER = Text("Demo planner", "演示规划员")
