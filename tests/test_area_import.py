"""Operators load the service areas residents may file requests in, from GeoJSON boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import to_shape
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping
from sqlalchemy import select

from tests.factories import CENTRAL_HELSINKI, RAILWAY_SQUARE, add_service_area
from transitreq.errors import ImportFailed
from transitreq.geo.service_areas import area_containing
from transitreq.importers.areas import import_service_areas
from transitreq.models import ServiceArea

KALLIO = box(24.940, 60.178, 24.960, 60.190)
# Two islands of one district: a multipolygon.
ISLANDS = MultiPolygon([box(24.980, 60.140, 24.990, 60.150), box(24.995, 60.140, 25.005, 60.150)])
BOWTIE = Polygon([(24.90, 60.10), (24.91, 60.11), (24.91, 60.10), (24.90, 60.11)])
TO_ETRS_TM35FIN = Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)


def write_areas(path: Path, features: list[tuple], crs_name: str | None = None) -> Path:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None if geometry is None else mapping(geometry),
                "properties": properties,
            }
            for geometry, properties in features
        ],
    }
    if crs_name is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs_name}}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def stored_areas(session) -> dict[str, shapely.Geometry]:
    session.expire_all()
    return {
        area.name: to_shape(area.boundary)
        for area in session.scalars(select(ServiceArea).order_by(ServiceArea.id))
    }


def areas_state(session) -> list[tuple]:
    session.expire_all()
    return [
        (area.id, area.name, to_shape(area.boundary).wkb)
        for area in session.scalars(select(ServiceArea).order_by(ServiceArea.id))
    ]


def test_operator_loads_named_districts_and_pins_inside_them_are_accepted(session, tmp_path):
    path = write_areas(
        tmp_path / "districts.geojson",
        [(KALLIO, {"name": "Kallio"}), (ISLANDS, {"name": "Islands", "code": 7})],
    )

    summary = import_service_areas(session, path)

    assert summary.names == ["Kallio", "Islands"]
    areas = stored_areas(session)
    assert areas["Kallio"].equals_exact(MultiPolygon([KALLIO]), tolerance=1e-12)
    assert areas["Islands"].equals_exact(ISLANDS, tolerance=1e-12)
    assert area_containing(session, KALLIO.centroid).name == "Kallio"
    assert area_containing(session, ISLANDS.geoms[1].centroid).name == "Islands"
    assert area_containing(session, Point(24.992, 60.145)) is None


def test_reimport_redraws_areas_by_name_and_keeps_the_others(session, tmp_path):
    add_service_area(session)  # "Central Helsinki", drawn by hand earlier
    import_service_areas(
        session,
        write_areas(tmp_path / "first.geojson", [(KALLIO, {"name": "Kallio"})]),
    )
    bigger_kallio = box(24.935, 60.175, 24.965, 60.195)

    summary = import_service_areas(
        session,
        write_areas(
            tmp_path / "second.geojson",
            [(bigger_kallio, {"name": "Kallio"}), (ISLANDS, {"name": "Islands"})],
        ),
    )

    assert summary.names == ["Kallio", "Islands"]
    areas = stored_areas(session)
    assert sorted(areas) == ["Central Helsinki", "Islands", "Kallio"]
    assert areas["Kallio"].equals_exact(MultiPolygon([bigger_kallio]), tolerance=1e-12)
    assert areas["Central Helsinki"].equals_exact(MultiPolygon([CENTRAL_HELSINKI]), 1e-12)


def test_boundaries_in_a_projected_crs_are_stored_in_lon_lat(session, tmp_path):
    projected = shapely.transform(
        KALLIO, lambda xy: np.column_stack(TO_ETRS_TM35FIN.transform(xy[:, 0], xy[:, 1]))
    )
    path = write_areas(
        tmp_path / "kallio_3067.json", [(projected, {"nimi": "Kallio"})], crs_name="EPSG:3067"
    )

    import_service_areas(session, path, name_field="nimi")

    assert stored_areas(session)["Kallio"].equals_exact(MultiPolygon([KALLIO]), tolerance=1e-6)


def _duplicate_names(tmp_path):
    features = [(KALLIO, {"name": "Kallio"}), (ISLANDS, {"name": "Kallio"})]
    return write_areas(tmp_path / "twice.geojson", features), ["row 2", "'name'", "row 1"]


def _missing_name(tmp_path):
    features = [(KALLIO, {"name": "Kallio"}), (ISLANDS, {"nimi": "Saaret"})]
    return write_areas(tmp_path / "unnamed.geojson", features), ["row 2", "'name'", "no name"]


def _blank_name(tmp_path):
    features = [(KALLIO, {"name": "   "})]
    return write_areas(tmp_path / "blank.geojson", features), ["row 1", "'name'", "no name"]


def _point_instead_of_boundary(tmp_path):
    features = [(RAILWAY_SQUARE, {"name": "Station"})]
    return write_areas(tmp_path / "point.geojson", features), ["row 1", "'geometry'", "Point"]


def _self_intersecting_boundary(tmp_path):
    features = [(KALLIO, {"name": "Kallio"}), (BOWTIE, {"name": "Bowtie"})]
    path = write_areas(tmp_path / "bowtie.geojson", features)
    return path, ["row 2", "'geometry'", "Self-intersection"]


def _missing_boundary(tmp_path):
    features = [(None, {"name": "Nowhere"})]
    return write_areas(tmp_path / "nowhere.geojson", features), ["row 1", "'geometry'"]


def _broken_json(tmp_path):
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "feat', encoding="utf-8")
    return path, ["not valid JSON"]


def _not_geojson(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("name,wkt\nKallio,POLYGON EMPTY\n", encoding="utf-8")
    return path, ["unsupported file type '.csv'", "GeoJSON"]


def _no_features(tmp_path):
    return write_areas(tmp_path / "empty.geojson", []), ["no features"]


BAD_FILES = [
    _duplicate_names,
    _missing_name,
    _blank_name,
    _point_instead_of_boundary,
    _self_intersecting_boundary,
    _missing_boundary,
    _broken_json,
    _not_geojson,
    _no_features,
]


@pytest.mark.parametrize("bad_file", BAD_FILES, ids=lambda bad_file: bad_file.__name__[1:])
def test_a_bad_area_file_is_refused_in_one_line_and_writes_nothing(session, tmp_path, bad_file):
    add_service_area(session)
    import_service_areas(
        session, write_areas(tmp_path / "ok.geojson", [(KALLIO, {"name": "Kallio"})])
    )
    path, fragments = bad_file(tmp_path)
    before = areas_state(session)

    with pytest.raises(ImportFailed) as refused:
        import_service_areas(session, path)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(path.name)
    for fragment in fragments:
        assert fragment in message
    assert areas_state(session) == before


def test_operator_imports_areas_from_the_command_line(app, app_session, tmp_path):
    path = write_areas(
        tmp_path / "districts.geojson",
        [(KALLIO, {"district": "Kallio"}), (ISLANDS, {"district": "Islands"})],
    )

    result = app.test_cli_runner().invoke(
        args=["import-areas", str(path), "--name-field", "district"]
    )

    assert result.exit_code == 0, result.output
    assert "Service areas loaded: Kallio, Islands." in result.output
    assert sorted(stored_areas(app_session)) == ["Islands", "Kallio"]


def test_area_command_names_the_problem_in_one_line_and_exits_1(app, app_session, tmp_path):
    path, _ = _duplicate_names(tmp_path)

    result = app.test_cli_runner().invoke(args=["import-areas", str(path)])

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: twice.geojson, row 2, field 'name': the name 'Kallio' is already used by row 1"
    ]
    assert stored_areas(app_session) == {}
