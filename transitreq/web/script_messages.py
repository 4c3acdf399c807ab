"""Every catalogue of sentences the pages hand their scripts, in one list.

The scripts in ``static/js`` hold no sentences: a page writes the messages its scripts need into
its configuration, each looked up by key, already in the reader's language. Each catalogue is a
function made during the request (so ``_()`` translates for the reader); this list is how
``tests/test_translations.py`` finds them to check that every key a script asks for exists.
"""

from __future__ import annotations

from collections.abc import Callable

from transitreq.web.form_messages import form_messages
from transitreq.web.map_messages import map_messages
from transitreq.web.place_search import place_search_messages
from transitreq.web.planner_messages import planner_messages
from transitreq.web.suggestion_messages import suggestion_messages
from transitreq.web.walk_messages import walk_messages

SCRIPT_CATALOGUES: tuple[Callable[[], dict[str, str]], ...] = (
    map_messages,
    place_search_messages,
    form_messages,
    planner_messages,
    walk_messages,
    suggestion_messages,
)


def all_script_messages() -> dict[str, str]:
    """Every key any script may ask for, with its sentence in the reader's language."""
    merged: dict[str, str] = {}
    for catalogue in SCRIPT_CATALOGUES:
        merged.update(catalogue())
    return merged
