"""Place names residents can search for, and the one rule that makes a name matchable.

``place_names`` gathers, one row per place, every name the map can be searched by: stops from
the GTFS feeds (same-named platforms together), landmarks residents named in their requests,
service areas, and streets and places from an OpenStreetMap extract once one is imported. Each
source keeps its own rows in step, in the transaction that changes the source
(``services/places/index.py``); searching reads this table alone (``services/places/search.py``).

The matching form of a name is computed here in Python and stored beside it, because neither
database folds accents and case the same way (PostgreSQL's ``lower`` follows its collation,
SQLite's folds ASCII only, and ``unaccent`` is an extension SpatiaLite lacks): a query is folded
by the same function, so both sides always agree.
"""

from __future__ import annotations

import enum
import unicodedata

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import WGS84_SRID, Base, enum_column


class PlaceKind(enum.StrEnum):
    """What a place is; also the order in which two same-named places side by side are kept
    (a stop named like the landmark beside it is shown once, as the stop)."""

    STOP = "stop"
    AREA = "area"
    PLACE = "place"
    STREET = "street"
    LANDMARK = "landmark"


class PlaceName(Base):
    """One searchable name at one point (WGS 84)."""

    __tablename__ = "place_names"
    __table_args__ = (
        # Prefix matches are found through this index (PostgreSQL needs the pattern operator
        # class for LIKE 'q%' whatever the database's collation; SQLite compares bytes).
        Index(
            "ix_place_names_normalised_name",
            "normalised_name",
            postgresql_ops={"normalised_name": "text_pattern_ops"},
        ),
        # A source replaces exactly its own rows.
        Index("ix_place_names_kind_dataset", "kind", "dataset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind, 10))
    # As the source spells it, shown to residents.
    name: Mapped[str] = mapped_column(String(255))
    # ``normalise_name(name)``: what queries are matched against.
    normalised_name: Mapped[str] = mapped_column(Text)
    # Which import or table the row came from, so it can be replaced alone: the feed for stops,
    # ``requests`` for landmarks, ``service_areas`` for areas, the extract's name for streets
    # and places.
    dataset: Mapped[str] = mapped_column(String(120))
    # The row's origin within its dataset: a request's or area's id, the first GTFS stop_id of
    # a group of platforms, an OpenStreetMap element (``way/123``).
    source_id: Mapped[str] = mapped_column(String(64))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)


# Letters that carry no combining mark to strip, folded as readers of their languages type them
# on a keyboard without them.
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
# Apostrophes vanish ("St Mary's" is found as "st marys"); every other mark separates words.
_APOSTROPHES = frozenset("'\u2019\u02bc")
# Letters, marks and numbers make up words: CJK ideographs are letters (Lo), and the vowel signs
# of Indic scripts are marks, so neither is broken up.
_WORD_CATEGORIES = "LMN"


def normalise_name(text: str) -> str:
    """The form of a name, or of a query, that matching compares.

    Compatibility decomposition (NFKD) with combining marks dropped, then case folding: "Töölö"
    and "TOOLO" both become "toolo", "SÃO" and "sao" match, a full-width "Ｓ" is an "S". A run
    of punctuation or spaces becomes one space, so "Pohj. Rautatiekatu" is found by "pohj
    rautatiekatu". Chinese, Japanese and Korean text keeps its characters (they have no case),
    so any run of them typed is found inside a name. Traditional and simplified Chinese are not
    folded into each other: that needs a dictionary of variants, not a Unicode rule.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    folded = folded.translate(_LETTER_FOLDS)
    kept = "".join(
        c if unicodedata.category(c)[0] in _WORD_CATEGORIES else " "
        for c in folded
        if c not in _APOSTROPHES
    )
    return " ".join(kept.split())
