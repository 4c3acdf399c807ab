"""What text anyone may send us: the one rule, used by every form, API and import.

Text is refused, with the field named, when it holds a character that no page, database or mail
server should carry, or that changes how the text around it reads:

- NUL and the other C0/C1 control characters (tab and line breaks only where a field is
  multiline): PostgreSQL refuses NUL outright, and the rest are invisible;
- unpaired UTF-16 surrogates, which are not text at all;
- Unicode's bidirectional controls (embeddings, overrides, isolates and marks): a title with
  U+202E RIGHT-TO-LEFT OVERRIDE reads backwards, so ``SR-2026-000123 Approved`` could be made to
  show as something the planner never wrote.
"""

from __future__ import annotations

import unicodedata

from transitreq.i18n import _, current_locale

# Unicode's Bidi_Control property, all twelve of them.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
LINE_BREAKS_AND_TABS = "\n\r\t"


def text_problem(text: str, multiline: bool = False) -> str | None:
    """What is wrong with ``text`` (a phrase to follow the field's name, in the reader's
    language), or None."""
    allowed = LINE_BREAKS_AND_TABS if multiline else ""
    for character in text:
        if character in BIDI_CONTROLS:
            return _(
                "contains %(character)s, a character that changes the direction text is "
                "shown in; remove it",
                character=_named(character),
            )
        category = unicodedata.category(character)
        if category == "Cs":
            return _("contains a character that is not valid text")
        if category == "Cc" and character not in allowed:
            return _(
                "contains a control character (%(character)s); remove it",
                character=_named(character),
            )
    return None


def _named(character: str) -> str:
    """The character's code point, and in English its Unicode name (names exist in English
    only, so other languages show the code alone)."""
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "") if current_locale().language == "en" else ""
    return f"{code} {name}" if name else code
