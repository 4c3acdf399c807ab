"""Planners load where people live (GeoPackage, GeoJSON or CSV) for catchment questions, and
real files' defects are repaired or refused by the import-report policy.

Expectations are re-derived from the files themselves: the Helsinki GeoPackages are read here
through SpatiaLite's own GeoPackage decoder, and the São Paulo CSV through the csv module, never
through the importer's readers. Other formats: ``test_population_formats.py``.
"""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import pytest
import shapely
import sqlean
from geoalchemy2.shape import to_shape
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, mapping
from sqlalchemy import func, select

from tests.reference_data import (
    database_state,
    dataset_named,
    helsinki_cells,
    nearest_unit,
    source_features,
    spatialite_read,
    stored_units,
    to_etrs_tm35fin,
)
from transitreq.errors import ImportFailed
from transitreq.importers.population import (
    BLANK_OPTIONAL_VALUE,
    ROW_WITHOUT_GEOMETRY,
    ROW_WITHOUT_POPULATION,
    import_population,
)
from transitreq.models import (
    POINTS,
    POLYGONS,
    DatasetImport,
    DatasetKind,
    PopulationDataset,
    PopulationUnit,
)

HELSINKI = Path(__file__).resolve().parents[2] / "shared" / "data" / "helsinki"
GRID = HELSINKI / "population_grid_2020.gpkg"
POINTS_FILE = HELSINKI / "population_points_2020.gpkg"
SAO_PAULO_HEXGRID = HELSINKI.parent / "sao_paulo" / "spo_hexgrid.csv"
WGS84_ELLIPSOID = Geod(ellps="WGS84")
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]'
)


# --- reading the sources independently -----------------------------------------------------


def geodesic_area_m2(geometry) -> float:
    return abs(WGS84_ELLIPSOID.geometry_area_perimeter(geometry)[0])


# --- writing small files in every format ---------------------------------------------------


def write_geojson(path: Path, features: list[tuple], crs_name: str | None = None) -> Path:
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


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _geopackage_core_tables(connection, srs: tuple[int, str, int, str]) -> None:
    connection.executescript(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, "
        "organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT);"
        "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, "
        "identifier TEXT, srs_id INTEGER);"
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, "
        "geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT);"
        "INSERT INTO gpkg_spatial_ref_sys VALUES "
        "('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', ''),"
        "('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', '');"
    )
    if srs[0] not in (-1, 0):
        connection.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('test', ?, ?, ?, ?, '')", srs)


def write_geopackage(
    path: Path,
    layers: dict[str, list[tuple]],
    columns: tuple[str, ...] = ("population",),
    srs: tuple[int, str, int, str] = (4326, "EPSG", 4326, WGS84_WKT),
) -> Path:
    """A minimal GeoPackage: the three core tables and one feature table per layer."""
    srs_id = srs[0]
    connection = sqlean.connect(str(path))
    _geopackage_core_tables(connection, srs)
    column_sql = "".join(f', "{name}"' for name in columns)
    placeholders = ", ?" * len(columns)
    for table, features in layers.items():
        connection.execute(
            f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY, geom GEOMETRY{column_sql})'
        )
        connection.execute(
            "INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?)", (table, table, srs_id)
        )
        connection.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', ?, 0, 0)",
            (table, srs_id),
        )
        for geometry, properties in features:
            # Header: magic, version 0, flags 1 (little-endian, no envelope), srs_id; then WKB.
            blob = b"GP\x00\x01" + struct.pack("<i", srs_id) + shapely.to_wkb(geometry)
            connection.execute(
                f'INSERT INTO "{table}" (geom{column_sql}) VALUES (?{placeholders})',
                [blob, *(properties.get(name) for name in columns)],
            )
    connection.commit()
    connection.close()
    return path


def square(lon: float, lat: float, side_deg: float = 0.002) -> Polygon:
    return Polygon(
        [(lon, lat), (lon + side_deg, lat), (lon + side_deg, lat + side_deg), (lon, lat + side_deg)]
    )


# --- reading what was stored -----------------------------------------------------------------


# --- the Helsinki reference layers -----------------------------------------------------------


@pytest.mark.parametrize(("path", "kind"), [(GRID, POLYGONS), (POINTS_FILE, POINTS)])
def test_planner_loads_the_helsinki_population_geopackages(session, path, kind):
    ((expected_count, expected_total),) = spatialite_read(
        path, f"SELECT count(*), sum(population) FROM {path.stem}"
    )

    summary = import_population(session, path, name="Helsinki 2020", population_field="population")

    dataset = dataset_named(session, "Helsinki 2020")
    assert (summary.units, summary.total_population) == (expected_count, expected_total)
    assert (dataset.unit_count, dataset.total_population) == (expected_count, expected_total)
    assert dataset.geometry_kind == summary.geometry_kind == kind
    assert (dataset.source, dataset.population_field) == (path.name, "population")
    units = stored_units(session, "Helsinki 2020")
    assert len(units) == expected_count
    assert sum(unit.population for unit in units) == expected_total


def test_stored_grid_cells_keep_their_shape_area_and_head_count(session):
    import_population(session, GRID, name="grid", population_field="population")

    units = stored_units(session, "grid")
    for population, source_polygon in source_features(GRID):
        unit, stored = nearest_unit(units, source_polygon)
        assert stored.centroid.distance(source_polygon.centroid) < 1e-9
        assert unit.population == population
        assert geodesic_area_m2(stored) == pytest.approx(geodesic_area_m2(source_polygon), rel=1e-3)


def test_stored_points_sit_exactly_where_the_file_puts_them(session):
    import_population(session, POINTS_FILE, name="points", population_field="population")

    units = stored_units(session, "points")
    for population, source_point in source_features(POINTS_FILE):
        unit, stored = nearest_unit(units, source_point)
        assert stored.equals_exact(source_point, tolerance=1e-12)
        assert unit.population == population


# --- other formats and coordinate systems ----------------------------------------------------


def test_projected_geojson_with_a_legacy_crs_lands_on_the_same_lon_lat(session, tmp_path):
    cells = helsinki_cells(5)
    path = write_geojson(
        tmp_path / "grid_3067.geojson",
        [(to_etrs_tm35fin(cell), {"population": people}) for people, cell in cells],
        crs_name="urn:ogc:def:crs:EPSG::3067",
    )

    summary = import_population(session, path, name="projected", population_field="population")

    assert (summary.units, summary.geometry_kind) == (5, POLYGONS)
    units = stored_units(session, "projected")
    for people, cell in cells:
        unit, stored = nearest_unit(units, cell)
        assert stored.equals_exact(cell, tolerance=1e-6)
        assert unit.population == people


def test_plain_wgs84_geojson_with_extra_counts_keeps_them_per_unit(session, tmp_path):
    cells = helsinki_cells(4)
    features = [
        (cell, {"population": people, "elderly": index * 10, "jobs": 3.5, "note": "x"})
        for index, (people, cell) in enumerate(cells)
    ]
    path = write_geojson(tmp_path / "grid.geojson", features)

    summary = import_population(
        session, path, name="wgs84", population_field="population", extra_fields=["elderly", "jobs"]
    )

    assert summary.total_population == sum(people for people, _ in cells)
    assert dataset_named(session, "wgs84").extra_fields == ["elderly", "jobs"]
    units = stored_units(session, "wgs84")
    for index, (_people, cell) in enumerate(cells):
        unit, stored = nearest_unit(units, cell)
        assert stored.equals_exact(cell, tolerance=1e-12)
        assert unit.attributes == {"elderly": index * 10, "jobs": 3.5}


def test_csv_of_lon_lat_points_loads_as_points(session, tmp_path):
    rows = [(24.9414, 60.1711, 120), (24.9384, 60.1699, 35.5), (24.95, 60.16, 0)]
    path = write_csv(
        tmp_path / "addresses.csv",
        ["lat,lon,population,elderly"] + [f"{lat},{lon},{people},2" for lon, lat, people in rows],
    )

    summary = import_population(
        session, path, name="addresses", population_field="population", extra_fields=["elderly"]
    )

    assert (summary.units, summary.geometry_kind) == (3, POINTS)
    assert summary.total_population == pytest.approx(155.5)
    units = stored_units(session, "addresses")
    for lon, lat, people in rows:
        unit, stored = nearest_unit(units, Point(lon, lat))
        assert stored.equals_exact(Point(lon, lat), tolerance=1e-12)
        assert (unit.population, unit.attributes) == (people, {"elderly": 2})


def test_csv_saved_from_a_spreadsheet_loads_too(session, tmp_path):
    """Byte-order mark, semicolons, CRLF line ends and no newline after the last row."""
    path = tmp_path / "excel.csv"
    path.write_bytes("lon;lat;population\r\n24.94;60.17;12\r\n24.95;60.18;8".encode("utf-8-sig"))

    summary = import_population(session, path, name="excel", population_field="population")

    assert (summary.units, summary.total_population) == (2, 20)


def test_csv_of_projected_x_y_points_needs_and_uses_the_source_crs(session, tmp_path):
    places = [Point(24.9414, 60.1711), Point(24.9384, 60.1699)]
    projected = [to_etrs_tm35fin(place) for place in places]
    path = write_csv(
        tmp_path / "projected.csv",
        ["x;y;population"] + [f"{point.x};{point.y};10" for point in projected],
    )

    with pytest.raises(ImportFailed, match="x/y columns need the CRS"):
        import_population(session, path, name="xy", population_field="population")
    import_population(
        session, path, name="xy", population_field="population", source_crs="EPSG:3067"
    )

    units = stored_units(session, "xy")
    for place in places:
        _, stored = nearest_unit(units, place)
        assert stored.equals_exact(place, tolerance=1e-6)


def test_projected_geopackage_is_read_in_its_own_crs(session, tmp_path):
    people, cell = helsinki_cells(1)[0]
    path = write_geopackage(
        tmp_path / "grid_3067.gpkg",
        {"cells": [(to_etrs_tm35fin(cell), {"population": people})]},
        srs=(3067, "EPSG", 3067, "see EPSG"),
    )

    import_population(session, path, name="tm35", population_field="population")

    (unit,) = stored_units(session, "tm35")
    assert to_shape(unit.geom).equals_exact(cell, tolerance=1e-6)


def test_geopackage_with_several_layers_asks_which_one(session, tmp_path):
    path = write_geopackage(
        tmp_path / "two.gpkg",
        {
            "homes": [(Point(24.94, 60.17), {"population": 3})],
            "offices": [(Point(24.95, 60.16), {"population": 7})],
        },
    )

    with pytest.raises(ImportFailed) as refused:
        import_population(session, path, name="two", population_field="population")
    import_population(session, path, name="two", population_field="population", layer="offices")

    assert "homes, offices" in str(refused.value)
    assert refused.value.fields == {"layer": str(refused.value)}
    assert dataset_named(session, "two").total_population == 7


def test_progress_is_reported_while_validating_and_writing(session):
    heard: list[tuple[str, int, int]] = []

    import_population(
        session,
        GRID,
        name="grid",
        population_field="population",
        progress=lambda *call: heard.append(call),
    )

    ((count,),) = spatialite_read(GRID, "SELECT count(*) FROM population_grid_2020")
    assert heard[-1] == ("writing", count, count)
    assert ("validating", count, count) in heard


# --- re-imports ----------------------------------------------------------------------------


def test_reimporting_a_name_replaces_that_dataset_only(session):
    import_population(session, POINTS_FILE, name="points", population_field="population")
    import_population(session, GRID, name="grid", population_field="population")
    grid_before = [(unit.id, unit.population) for unit in stored_units(session, "grid")]

    import_population(session, POINTS_FILE, name="points", population_field="population")

    ((count,),) = spatialite_read(POINTS_FILE, "SELECT count(*) FROM population_points_2020")
    names = session.scalars(select(PopulationDataset.name).order_by(PopulationDataset.name)).all()
    assert names == ["grid", "points"]
    assert len(stored_units(session, "points")) == count
    assert session.scalar(select(func.count(PopulationUnit.id))) == 2 * count
    assert [(unit.id, unit.population) for unit in stored_units(session, "grid")] == grid_before


# --- files that are refused, leaving everything as it was ----------------------------------


def _missing_population_column(tmp_path):
    path = write_geojson(tmp_path / "renamed.geojson", [(square(24.9, 60.1), {"asukkaat": 4})])
    return path, {}, ["renamed.geojson", "'population'", "asukkaat"]


def _non_numeric_population(tmp_path):
    path = write_csv(tmp_path / "typo.csv", ["lon,lat,population", "24.9,60.1,4", "24.9,60.2,many"])
    return path, {}, ["typo.csv", "row 3", "'population'", "'many'"]


def _negative_population(tmp_path):
    features = [(square(24.9, 60.1), {"population": 4}), (square(24.92, 60.1), {"population": -5})]
    path = write_geojson(tmp_path / "negative.geojson", features)
    return path, {}, ["row 2", "'population'", "negative"]


def _self_intersecting_polygon(tmp_path):
    bowtie = Polygon([(24.90, 60.10), (24.91, 60.11), (24.91, 60.10), (24.90, 60.11)])
    features = [(square(24.9, 60.1), {"population": 4}), (bowtie, {"population": 5})]
    path = write_geojson(tmp_path / "bowtie.geojson", features)
    return path, {}, ["row 2", "'geometry'", "Self-intersection"]


def _points_and_polygons_mixed(tmp_path):
    features = [(Point(24.9, 60.1), {"population": 4}), (square(24.9, 60.1), {"population": 5})]
    path = write_geojson(tmp_path / "mixed.geojson", features)
    return path, {}, ["row 2", "Polygon", "points or polygons, not both"]


def _a_line_is_not_a_population_unit(tmp_path):
    line = LineString([(24.9, 60.1), (24.91, 60.11)])
    path = write_geojson(tmp_path / "line.geojson", [(line, {"population": 1})])
    return path, {}, ["row 1", "LineString"]


def _infinite_population(tmp_path):
    path = write_csv(tmp_path / "inf.csv", ["lon,lat,population", "24.9,60.1,4", "24.9,60.2,inf"])
    return path, {}, ["row 3", "'population'", "not a finite number"]


def _no_row_with_both_geometry_and_population(tmp_path):
    features = [(None, {"population": 5}), (square(24.9, 60.1), {"population": None})]
    path = write_geojson(tmp_path / "holes.geojson", features)
    return path, {}, ["nothing to load", "all 2 rows"]


def _unknown_crs_in_geojson(tmp_path):
    path = write_geojson(
        tmp_path / "odd.geojson", [(square(24.9, 60.1), {"population": 4})], crs_name="EPSG:999999"
    )
    return path, {}, ["odd.geojson", "unknown CRS", "EPSG:999999"]


def _undefined_crs_in_geopackage(tmp_path):
    path = write_geopackage(
        tmp_path / "nowhere.gpkg",
        {"cells": [(square(24.9, 60.1), {"population": 4})]},
        srs=(0, "NONE", 0, "undefined"),
    )
    return path, {}, ["nowhere.gpkg", "unknown CRS"]


def _crs_given_contradicts_the_file(tmp_path):
    path = write_geojson(
        tmp_path / "tm35.geojson",
        [(to_etrs_tm35fin(square(24.9, 60.1)), {"population": 4})],
        crs_name="EPSG:3067",
    )
    return path, {"source_crs": "EPSG:3879"}, ["'crs'", "declares CRS EPSG:3067", "EPSG:3879"]


def _crs_that_puts_points_off_the_globe(tmp_path):
    path = write_csv(tmp_path / "far.csv", ["x,y,population", "1e12,1e12,4"])
    return path, {"source_crs": "EPSG:3067"}, ["row 2", "outside longitude/latitude range"]


def _latitude_out_of_range(tmp_path):
    path = write_csv(tmp_path / "pole.csv", ["lon,lat,population", "24.9,60.1,4", "24.9,95.5,1"])
    return path, {}, ["row 3", "'lat'", "95.5"]


def _text_file_named_geopackage(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("population: lots\n" * 200, encoding="utf-8")
    return path, {}, ["notes.gpkg", "not a readable GeoPackage"]


def _sqlite_file_that_is_no_geopackage(tmp_path):
    path = tmp_path / "plain.gpkg"
    connection = sqlean.connect(str(path))
    connection.execute("CREATE TABLE people (population INTEGER)")
    connection.close()
    return path, {}, ["plain.gpkg", "not a GeoPackage"]


def _broken_json(tmp_path):
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat', encoding="utf-8")
    return path, {}, ["cut.geojson", "not valid JSON", "line 1"]


def _json_that_is_no_feature_collection(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    return path, {}, ["list.json", "not a GeoJSON FeatureCollection"]


def _empty_geopackage_layer(tmp_path):
    path = write_geopackage(tmp_path / "empty.gpkg", {"cells": []})
    return path, {}, ["empty.gpkg", "no features"]


def _empty_feature_collection(tmp_path):
    path = write_geojson(tmp_path / "empty.geojson", [])
    return path, {}, ["empty.geojson", "no features"]


def _unsupported_extension(tmp_path):
    path = tmp_path / "cells.kml"
    path.write_text("<kml/>", encoding="utf-8")
    return path, {}, ["cells.kml", "unsupported file type '.kml'"]


def _missing_extra_field(tmp_path):
    path = write_geojson(tmp_path / "few.geojson", [(square(24.9, 60.1), {"population": 4})])
    return path, {"extra_fields": ["elderly"]}, ["'elderly'", "population"]


def _non_numeric_extra_field(tmp_path):
    path = write_csv(tmp_path / "extra.csv", ["lon,lat,population,jobs", "24.9,60.1,4,several"])
    return path, {"extra_fields": ["jobs"]}, ["row 2", "'jobs'", "'several'"]


BAD_FILES = [
    _missing_population_column,
    _non_numeric_population,
    _negative_population,
    _self_intersecting_polygon,
    _points_and_polygons_mixed,
    _a_line_is_not_a_population_unit,
    _infinite_population,
    _no_row_with_both_geometry_and_population,
    _unknown_crs_in_geojson,
    _undefined_crs_in_geopackage,
    _crs_given_contradicts_the_file,
    _crs_that_puts_points_off_the_globe,
    _latitude_out_of_range,
    _text_file_named_geopackage,
    _sqlite_file_that_is_no_geopackage,
    _broken_json,
    _json_that_is_no_feature_collection,
    _empty_geopackage_layer,
    _empty_feature_collection,
    _unsupported_extension,
    _missing_extra_field,
    _non_numeric_extra_field,
]


@pytest.mark.parametrize("bad_file", BAD_FILES, ids=lambda bad_file: bad_file.__name__[1:])
def test_a_bad_file_is_refused_in_one_line_and_changes_nothing(session, tmp_path, bad_file):
    import_population(session, POINTS_FILE, name="points", population_field="population")
    path, options, fragments = bad_file(tmp_path)
    before = database_state(session)

    with pytest.raises(ImportFailed) as refused:
        import_population(session, path, name="points", population_field="population", **options)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(path.name)
    for fragment in fragments:
        assert fragment in message
    assert database_state(session) == before


# --- the command line ------------------------------------------------------------------------


def test_operator_imports_population_from_the_command_line(app, app_session):
    result = app.test_cli_runner().invoke(
        args=["import-population", str(POINTS_FILE), "--population-field", "population"]
    )

    assert result.exit_code == 0, result.output
    ((count, total),) = spatialite_read(
        POINTS_FILE, "SELECT count(*), sum(population) FROM population_points_2020"
    )
    assert f"{count} units (points), {total:,} people" in result.output
    dataset = dataset_named(app_session, POINTS_FILE.stem)
    assert (dataset.unit_count, dataset.total_population) == (count, total)


def test_command_line_names_the_problem_in_one_line_and_exits_1(app, app_session, tmp_path):
    path, _, fragments = _non_numeric_population(tmp_path)

    result = app.test_cli_runner().invoke(
        args=["import-population", str(path), "--population-field", "population", "--name", "x"]
    )

    assert result.exit_code == 1
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("Error: typo.csv, row 3")
    for fragment in fragments:
        assert fragment in last_line
    assert app_session.scalar(select(func.count(PopulationDataset.id))) == 0


# --- the import-report policy: what is skipped, kept as null, or refused ---------------------


def test_csv_with_blank_optional_cells_imports_them_as_null(session, tmp_path):
    """The reported bug: five blank cells of an optional column refused the whole file. They are
    no warning either, so even a strict import takes them."""
    blank_rows = (1, 2, 4, 6, 7)
    lines = ["lon,lat,population,elderly"] + [
        f"24.9{i},60.1{i},{10 + i},{' ' if i in blank_rows else i}" for i in range(8)
    ]
    path = write_csv(tmp_path / "blanks.csv", lines)

    summary = import_population(session, path, name="blanks", extra_fields=["elderly"], strict=True)

    assert (summary.units, summary.total_population, summary.skipped) == (8, 108, 0)
    assert [(g.code, g.count) for g in summary.report.groups] == [(BLANK_OPTIONAL_VALUE, 5)]
    assert [e.row for e in summary.report.groups[0].examples] == [i + 2 for i in blank_rows]
    units = stored_units(session, "blanks")
    assert [unit.attributes["elderly"] for unit in units] == [
        None if i in blank_rows else i for i in range(8)
    ]


def test_rows_without_population_or_geometry_are_skipped_and_reported(session, tmp_path):
    features = [
        (square(24.90, 60.1), {"population": 4}),
        (square(24.91, 60.1), {"population": None}),
        (None, {"population": 7}),
        (square(24.93, 60.1), {"population": "NaN"}),
        (square(24.94, 60.1), {"population": " "}),
        (square(24.95, 60.1), {"population": 2.5}),
    ]
    path = write_geojson(tmp_path / "gaps.geojson", features)

    summary = import_population(session, path, name="gaps")

    assert (summary.units, summary.total_population, summary.skipped) == (2, 6.5, 4)
    groups = {group.code: group for group in summary.report.groups}
    assert groups.keys() == {ROW_WITHOUT_POPULATION, ROW_WITHOUT_GEOMETRY}
    assert [(e.row, e.field) for e in groups[ROW_WITHOUT_POPULATION].examples] == [
        (2, "population"),
        (4, "population"),
        (5, "population"),
    ]
    assert [(e.row, e.field) for e in groups[ROW_WITHOUT_GEOMETRY].examples] == [(3, "geometry")]
    assert sorted(unit.population for unit in stored_units(session, "gaps")) == [2.5, 4]


def _import_command(app, path, *options: str):
    return app.test_cli_runner().invoke(args=["import-population", str(path), *options])


def test_strict_refuses_through_the_command_line_and_writes_nothing(app, app_session, tmp_path):
    path = write_csv(
        tmp_path / "gap.csv", ["lon,lat,population", "24.9,60.1,4", "24.9,60.2,", "24.9,60.3,1"]
    )

    result = _import_command(app, path, "--name", "gap", "--strict")

    assert result.exit_code == 1
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("Error: gap.csv, row 3, field 'population': no population")
    assert "strict" in last_line
    assert app_session.scalar(select(func.count(PopulationDataset.id))) == 0
    assert app_session.scalar(select(func.count(DatasetImport.id))) == 0


def test_the_command_prints_its_report_and_the_record_keeps_it(app, app_session, tmp_path):
    path = write_csv(
        tmp_path / "gap.csv",
        ["lon,lat,population,elderly", "24.9,60.1,4,1", "24.9,60.2,,1", "24.95,60.3,1,"],
    )

    result = _import_command(app, path, "--name", "gap", "--extra-field", "elderly")

    assert result.exit_code == 0, result.output
    assert "2 units (points), 5 people; 1 skipped." in result.output
    assert "warning: row_without_population × 1" in result.output
    assert "    gap.csv, row 3, field 'population': no population; the row is skipped" in (
        result.output
    )
    assert "info: blank_optional_value × 1" in result.output
    record = app_session.scalars(select(DatasetImport)).one()
    assert (record.kind, record.name, record.source, record.strict) == (
        DatasetKind.POPULATION,
        "gap",
        "gap.csv",
        False,
    )
    assert record.counts == {"units": 2, "people": 5.0, "skipped": 1}
    assert (record.min_lon, record.min_lat, record.max_lon, record.max_lat) == (
        24.9,
        60.1,
        24.95,
        60.3,
    )
    assert [(group["code"], group["count"]) for group in record.report] == [
        (ROW_WITHOUT_POPULATION, 1),
        (BLANK_OPTIONAL_VALUE, 1),
    ]
    assert record.report[0]["examples"][0]["row"] == 3


def test_reimporting_replaces_the_data_and_its_record_together(session, tmp_path):
    first = write_csv(tmp_path / "v1.csv", ["lon,lat,population", "24.9,60.1,4", "24.9,60.2,"])
    second = write_csv(tmp_path / "v2.csv", ["lon,lat,population", "24.9,60.1,9"])

    import_population(session, first, name="layer")
    import_population(session, second, name="layer")

    session.expire_all()
    record = session.scalars(select(DatasetImport)).one()
    assert (record.source, record.counts, record.report) == (
        "v2.csv",
        {"units": 1, "people": 9.0, "skipped": 0},
        [],
    )
    assert [unit.population for unit in stored_units(session, "layer")] == [9]


def test_sao_paulo_hexgrid_imports_as_published_with_jobs_and_schools(app, app_session):
    with SAO_PAULO_HEXGRID.open(encoding="utf-8", newline="") as handle:
        published = list(csv.DictReader(handle))

    result = _import_command(
        app, SAO_PAULO_HEXGRID, "--extra-field", "jobs", "--extra-field", "schools"
    )

    assert result.exit_code == 0, result.output
    total = sum(int(row["population"]) for row in published)
    assert f"{len(published)} units (points), {total:,} people; 0 skipped." in result.output
    dataset = dataset_named(app_session, "spo_hexgrid")
    assert (dataset.unit_count, dataset.total_population) == (len(published), total)
    assert dataset.extra_fields == ["jobs", "schools"]
    units = stored_units(app_session, "spo_hexgrid")
    for row in published:
        place = Point(float(row["lon"]), float(row["lat"]))
        unit, stored = nearest_unit(units, place)
        assert stored.equals_exact(place, tolerance=1e-12)
        assert stored.x < 0 and stored.y < 0
        assert unit.population == int(row["population"])
        assert unit.attributes == {"jobs": int(row["jobs"]), "schools": int(row["schools"])}
