"""Place names residents search the map by, filled from the stops, landmarks and service areas
already loaded.

The folding and the grouping of platforms are written out here as ``models/places.py`` and
``services/places/index.py`` did them on this day, so this history gives the same rows
whatever those modules become.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import unicodedata
from collections import Counter, defaultdict

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from pyproj import Geod
from shapely import wkb
from shapely.geometry import Point

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PLATFORMS_WITHIN_M = 250.0
# Every status but merged, as services/requests/rules.py named them SHOWN on this day.
_SHOWN = ("submitted", "under_review", "needs_info", "approved", "rejected", "completed")
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
_APOSTROPHES = frozenset("'\u2019\u02bc")
_WGS84 = Geod(ellps="WGS84")


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    folded = folded.translate(_LETTER_FOLDS)
    kept = "".join(
        c if unicodedata.category(c)[0] in "LMN" else " " for c in folded if c not in _APOSTROPHES
    )
    return " ".join(kept.split())


def _groups(points: list[Point]) -> list[list[int]]:
    parents = list(range(len(points)))

    def root(index: int) -> int:
        while parents[index] != index:
            index = parents[index]
        return index

    for first in range(len(points)):
        for second in range(first + 1, len(points)):
            a, b = points[first], points[second]
            if _WGS84.inv(a.x, a.y, b.x, b.y)[2] <= _PLATFORMS_WITHIN_M:
                parents[root(first)] = root(second)
    groups: dict[int, list[int]] = {}
    for index in range(len(points)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _stop_rows(connection) -> list[dict]:
    stops = connection.execute(
        sa.text("SELECT feed, gtfs_stop_id, name, ST_X(location), ST_Y(location) FROM stops")
    ).all()
    by_name: dict[tuple[str, str], list[tuple[str, str, Point]]] = defaultdict(list)
    for feed, stop_id, name, lon, lat in stops:
        by_name[(feed, _normalise(name))].append((stop_id, name, Point(lon, lat)))
    rows = []
    for (feed, folded), same_name in by_name.items():
        if not folded:
            continue
        same_name.sort()
        for group in _groups([point for _, _, point in same_name]):
            members = [same_name[index] for index in group]
            name = Counter(name for _, name, _ in members).most_common(1)[0][0].strip()
            lon = sum(point.x for _, _, point in members) / len(members)
            lat = sum(point.y for _, _, point in members) / len(members)
            rows.append(_row("stop", name, feed, members[0][0], lon, lat))
    return rows


def _area_rows(connection) -> list[dict]:
    areas = connection.execute(
        sa.text("SELECT id, name, ST_AsBinary(boundary) FROM service_areas")
    ).all()
    rows = []
    for area_id, name, boundary in areas:
        point = wkb.loads(bytes(boundary)).representative_point()
        rows.append(_row("area", name, "service_areas", str(area_id), point.x, point.y))
    return rows


def _landmark_rows(connection) -> list[dict]:
    statuses = ", ".join(f"'{status}'" for status in _SHOWN)
    landmarks = connection.execute(
        sa.text(
            "SELECT id, landmark, ST_X(location), ST_Y(location) FROM stop_requests "
            f"WHERE landmark <> '' AND status IN ({statuses})"
        )
    ).all()
    return [
        _row("landmark", landmark, "requests", str(request_id), lon, lat)
        for request_id, landmark, lon, lat in landmarks
    ]


def _row(kind: str, name: str, dataset: str, source_id: str, lon: float, lat: float) -> dict:
    name = name.strip()[:255]
    return {
        "kind": kind,
        "name": name,
        "normalised_name": _normalise(name),
        "dataset": dataset,
        "source_id": source_id,
        "location": f"POINT({lon!r} {lat!r})",
    }


def upgrade() -> None:
    op.create_table(
        "place_names",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("normalised_name", sa.Text, nullable=False),
        sa.Column("dataset", sa.String(120), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326), nullable=False),
    )
    op.create_index(
        "ix_place_names_normalised_name",
        "place_names",
        ["normalised_name"],
        postgresql_ops={"normalised_name": "text_pattern_ops"},
    )
    op.create_index("ix_place_names_kind_dataset", "place_names", ["kind", "dataset"])
    connection = op.get_bind()
    rows = _stop_rows(connection) + _area_rows(connection) + _landmark_rows(connection)
    rows = [row for row in rows if row["normalised_name"]]
    if rows:
        connection.execute(
            sa.text(
                "INSERT INTO place_names (kind, name, normalised_name, dataset, source_id, "
                "location) VALUES (:kind, :name, :normalised_name, :dataset, :source_id, "
                "ST_GeomFromText(:location, 4326))"
            ),
            rows,
        )


def downgrade() -> None:
    op.drop_index("ix_place_names_kind_dataset", "place_names")
    op.drop_index("ix_place_names_normalised_name", "place_names")
    if op.get_bind().dialect.name == "sqlite":
        # SpatiaLite keeps geometry metadata and an R*Tree beside the table; remove them too.
        op.execute("SELECT DisableSpatialIndex('place_names', 'location')")
        op.execute("DROP TABLE IF EXISTS idx_place_names_location")
        op.execute("SELECT DiscardGeometryColumn('place_names', 'location')")
    op.drop_table("place_names")
