"""Planners load population as zipped Shapefiles, FlatGeobuf, GeoParquet and rasters (WorldPop,
GHSL), in any CRS, on both databases.

Every file is written by the test from its own numbers (``tests/population_files.py``), and what
the importer stored is checked against those numbers; a raster's catchment population is checked
against an independent Shapely + pyproj computation over the same cells.
"""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
import pyarrow
import pyarrow.parquet as parquet
import pytest
import shapely
from geoalchemy2.shape import to_shape
from pyproj import CRS, Transformer
from shapely.geometry import Point, Polygon
from sqlalchemy import select

from tests.population_files import FileWriter, write_geotiff, write_vector, zip_shapefile
from tests.reference_data import (
    database_state,
    helsinki_cells,
    nearest_unit,
    stored_units,
    to_etrs_tm35fin,
)
from transitreq.config import default_settings
from transitreq.errors import ImportFailed
from transitreq.importers.population import ROW_WITHOUT_GEOMETRY, import_population
from transitreq.importers.readers.raster import (
    CELLS_WITHOUT_DATA,
    CELLS_WITHOUT_PEOPLE,
    NEGATIVE_CELLS,
)
from transitreq.models import POINTS, POLYGONS, DatasetImport
from transitreq.services.analysis.evaluation import evaluate_site

UTM_35N = 32635
NODATA = -99999.0
# WorldPop's grid: 3 arc-seconds, in WGS 84.
ARC_SECONDS_3 = 1 / 1200
MOLLWEIDE = "ESRI:54009"


@pytest.fixture(scope="module")
def write():
    writer = FileWriter()
    yield writer
    writer.close()


def _codes(report) -> dict[str, int]:
    return {group.code: group.count for group in report.groups}


# --- vector files through GDAL -------------------------------------------------------------


def _helsinki_rows(count: int, crs_transform=None) -> tuple[list, list[tuple[float, Polygon]]]:
    """Rows of Helsinki grid cells (optionally projected) with population and elderly, the
    third with a blank elderly count; and the cells in lon/lat with their population."""
    cells = helsinki_cells(count)
    rows = []
    for index, (people, cell) in enumerate(cells):
        shape = crs_transform(cell) if crs_transform else cell
        elderly = None if index == 2 else index * 3
        rows.append((shapely.to_wkb(shape), {"population": people, "elderly": elderly}))
    return rows, cells


def _etrs_shapefile(write, directory, count: int = 5):
    rows, cells = _helsinki_rows(count, to_etrs_tm35fin)
    shapefile = write(
        write_vector,
        directory / "grid.shp",
        rows,
        {"population": "float64", "elderly": "int64"},
        "EPSG:3067",
        "Polygon",
    )
    return shapefile, cells


def _assert_same_cells(session, name: str, cells, tolerance: float) -> None:
    units = stored_units(session, name)
    assert len(units) == len(cells)
    for index, (people, cell) in enumerate(cells):
        unit, stored = nearest_unit(units, cell)
        assert stored.equals_exact(cell, tolerance=tolerance)
        assert unit.population == people
        assert unit.attributes == {"elderly": None if index == 2 else index * 3}


def test_zipped_shapefile_in_etrs_tm35fin_lands_on_the_same_lon_lat(session, tmp_path, write):
    shapefile, cells = _etrs_shapefile(write, tmp_path)
    archive = write(zip_shapefile, shapefile, tmp_path / "grid.zip")

    summary = import_population(
        session, archive, name="shp", population_field="population", extra_fields=["elderly"]
    )

    assert (summary.units, summary.geometry_kind, summary.skipped) == (5, POLYGONS, 0)
    assert summary.total_population == math.fsum(people for people, _ in cells)
    _assert_same_cells(session, "shp", cells, tolerance=1e-6)
    # The blank elderly count became null, said as info; nothing was skipped.
    assert _codes(summary.report) == {"blank_optional_value": 1}


def test_a_bare_shapefile_path_reads_its_sidecars(session, tmp_path, write):
    shapefile, cells = _etrs_shapefile(write, tmp_path)

    summary = import_population(session, shapefile, name="bare", extra_fields=["elderly"])

    assert summary.units == 5
    _assert_same_cells(session, "bare", cells, tolerance=1e-6)


def test_flatgeobuf_points_load_exactly_and_a_feature_without_geometry_is_skipped(
    session, tmp_path, write
):
    places = [(24.9414, 60.1711, 120.0), (24.9384, 60.1699, 35.5), (24.95, 60.16, 0.0)]
    rows = [
        (shapely.to_wkb(Point(lon, lat)), {"population": people}) for lon, lat, people in places
    ]
    rows.insert(1, (None, {"population": 99.0}))
    # FlatGeobuf's spatial index cannot hold a null geometry; real files without one can.
    path = write(
        write_vector,
        tmp_path / "homes.fgb",
        rows,
        {"population": "float64"},
        "EPSG:4326",
        "Point",
        SPATIAL_INDEX="NO",
    )

    summary = import_population(session, path, name="fgb")

    assert (summary.units, summary.geometry_kind, summary.skipped) == (3, POINTS, 1)
    assert summary.total_population == 155.5
    (group,) = summary.report.groups
    assert (group.code, group.count, group.examples[0].row) == (ROW_WITHOUT_GEOMETRY, 1, 2)
    units = stored_units(session, "fgb")
    for lon, lat, people in places:
        unit, stored = nearest_unit(units, Point(lon, lat))
        assert stored.equals_exact(Point(lon, lat), tolerance=1e-12)
        assert unit.population == people


def _write_geoparquet(path, cells, crs_member: dict) -> None:
    """GeoParquet 1.1 with pyarrow (safe beside SpatiaLite, unlike GDAL)."""
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"], **crs_member}},
    }
    table = pyarrow.table(
        {
            "population": [people for people, _ in cells],
            "geometry": [shapely.to_wkb(cell) for _, cell in cells],
        }
    )
    parquet.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), path)


@pytest.mark.parametrize("crs", ["EPSG:3067", None], ids=["projjson-3067", "default-crs84"])
def test_geoparquet_is_read_in_its_declared_crs(session, tmp_path, crs):
    cells = helsinki_cells(6)
    if crs is None:
        _write_geoparquet(tmp_path / "grid.parquet", cells, {})
    else:
        projected = [(people, to_etrs_tm35fin(cell)) for people, cell in cells]
        _write_geoparquet(
            tmp_path / "grid.parquet", projected, {"crs": CRS.from_user_input(crs).to_json_dict()}
        )

    summary = import_population(session, tmp_path / "grid.parquet", name="parquet")

    assert (summary.units, summary.geometry_kind) == (6, POLYGONS)
    assert summary.total_population == math.fsum(people for people, _ in cells)
    units = stored_units(session, "parquet")
    for people, cell in cells:
        unit, stored = nearest_unit(units, cell)
        assert stored.equals_exact(cell, tolerance=1e-6)
        assert unit.population == people


# --- rasters ---------------------------------------------------------------------------------


def _worldpop_like_values(rows: int, columns: int, seed: int) -> np.ndarray:
    """People per cell, with nodata, zero and NaN cells scattered in."""
    generator = np.random.default_rng(seed)
    values = generator.uniform(0.5, 60.0, (rows, columns)).astype(np.float32)
    values[generator.random((rows, columns)) < 0.1] = NODATA
    values[generator.random((rows, columns)) < 0.1] = 0.0
    values[0, 1] = np.nan
    return values


def _populated(values: np.ndarray) -> np.ndarray:
    """The cells the importer should keep: data, and more than zero people."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values != NODATA) & (values > 0)


class Grid:
    """A north-up raster grid: top-left corner and cell size in its CRS."""

    def __init__(self, crs: str, left: float, top: float, size: float, rows: int, columns: int):
        self.crs, self.left, self.top, self.size = crs, left, top, size
        self.rows, self.columns = rows, columns

    @property
    def transform(self) -> tuple[float, ...]:
        return (self.size, 0.0, self.left, 0.0, -self.size, self.top)

    def cell(self, row: int, column: int) -> Polygon:
        x, y = self.left + column * self.size, self.top - row * self.size
        return Polygon(
            [(x, y), (x + self.size, y), (x + self.size, y - self.size), (x, y - self.size)]
        )


def _worldpop_grid() -> Grid:
    return Grid("EPSG:4326", 24.90, 60.19, ARC_SECONDS_3, rows=40, columns=60)


def _ghsl_grid() -> Grid:
    """100 m Mollweide cells around central Helsinki, on GHSL's 100 m lattice."""
    x, y = Transformer.from_crs("EPSG:4326", MOLLWEIDE, always_xy=True).transform(24.94, 60.17)
    return Grid(MOLLWEIDE, round(x, -2) - 1500, round(y, -2) + 1500, 100.0, rows=30, columns=30)


def _write_grid(write, path, grid: Grid, values: np.ndarray):
    return write(write_geotiff, path, [values.tolist()], grid.transform, grid.crs, NODATA)


def test_worldpop_raster_loads_each_populated_cell_as_its_own_polygon(session, tmp_path, write):
    grid = _worldpop_grid()
    values = _worldpop_like_values(grid.rows, grid.columns, seed=3)
    path = _write_grid(write, tmp_path / "worldpop.tif", grid, values)
    populated = _populated(values)

    summary = import_population(session, path, name="worldpop")

    expected_total = math.fsum(values[populated].astype(float).tolist())
    assert (summary.units, summary.geometry_kind) == (int(populated.sum()), POLYGONS)
    assert summary.total_population == pytest.approx(expected_total, rel=1e-12)
    without_data = int((~np.isfinite(values) | (values == NODATA)).sum())
    without_people = int((values == 0).sum())
    assert _codes(summary.report) == {
        CELLS_WITHOUT_DATA: without_data,
        CELLS_WITHOUT_PEOPLE: without_people,
    }
    assert summary.skipped == without_data + without_people == values.size - summary.units
    units = stored_units(session, "worldpop")
    for row, column in [(0, 0), (17, 42), (grid.rows - 1, grid.columns - 1)]:
        if populated[row, column]:
            unit, stored = nearest_unit(units, grid.cell(row, column))
            assert stored.equals_exact(grid.cell(row, column), tolerance=1e-12)
            assert unit.population == float(values[row, column])


def _expected_catchment_population(grid: Grid, values: np.ndarray, site: Point, radius_m: float):
    """Σ people × (cell ∩ circle) / cell, with every cell taken straight to UTM by pyproj."""
    to_utm = Transformer.from_crs(grid.crs, f"EPSG:{UTM_35N}", always_xy=True)
    site_utm = Point(Transformer.from_crs("EPSG:4326", f"EPSG:{UTM_35N}").transform(site.y, site.x))
    circle = site_utm.buffer(radius_m, quad_segs=64)
    total = 0.0
    for row, column in zip(*np.nonzero(_populated(values)), strict=True):
        cell = shapely.transform(
            grid.cell(row, column),
            lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])),
        )
        total += float(values[row, column]) * cell.intersection(circle).area / cell.area
    return total


@pytest.mark.parametrize("grid_of", [_worldpop_grid, _ghsl_grid], ids=["worldpop", "ghsl"])
def test_catchment_population_of_a_raster_matches_an_independent_computation(
    session, tmp_path, write, grid_of
):
    grid = grid_of()
    values = _worldpop_like_values(grid.rows, grid.columns, seed=11)
    import_population(session, _write_grid(write, tmp_path / "people.tif", grid, values), name="r")
    settings = default_settings(CATCHMENT_RADII_M="400,800", METRIC_SRID=UTM_35N).evaluation
    centre = Point(
        Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(
            grid.left + grid.size * grid.columns / 2, grid.top - grid.size * grid.rows / 2
        )
    )
    # Off the cell corners; the second site's larger catchment reaches past a raster's edge.
    for site in (Point(centre.x + 0.0003, centre.y + 0.0002), Point(centre.x - 0.012, centre.y)):
        evaluation = evaluate_site(session, site, settings, "r")

        assert evaluation.population_dataset == "r"
        for catchment in evaluation.catchments:
            expected = _expected_catchment_population(grid, values, site, catchment.radius_m)
            assert expected > 100
            assert catchment.population == pytest.approx(expected, rel=0.01), catchment
            # No stops are loaded, so everyone in the catchment is newly served.
            assert catchment.newly_served == pytest.approx(catchment.population, rel=1e-9)


def test_a_raster_in_a_projected_crs_of_its_own_is_read_there(session, tmp_path, write):
    """ETRS-TM35FIN, 250 m cells: the corners land where pyproj puts them."""
    grid = Grid("EPSG:3067", 385_000.0, 6_673_000.0, 250.0, rows=4, columns=5)
    values = np.arange(1, 21, dtype=np.float32).reshape(4, 5)
    path = _write_grid(write, tmp_path / "tm35.tif", grid, values)

    summary = import_population(session, path, name="tm35")

    assert (summary.units, summary.total_population, summary.skipped) == (20, 210.0, 0)
    units = stored_units(session, "tm35")
    to_lon_lat = Transformer.from_crs("EPSG:3067", "EPSG:4326", always_xy=True)
    for row, column in [(0, 0), (3, 4), (2, 1)]:
        corners = [to_lon_lat.transform(x, y) for x, y in grid.cell(row, column).exterior.coords]
        unit, stored = nearest_unit(units, Polygon(corners))
        assert unit.population == values[row, column]
        assert shapely.get_coordinates(stored) == pytest.approx(np.array(corners), abs=1e-9)


def test_negative_raster_cells_are_skipped_with_a_warning_and_refused_when_strict(
    session, tmp_path, write
):
    grid = _worldpop_grid()
    values = np.full((3, 4), 5.0, dtype=np.float32)
    values[1, 2] = values[2, 0] = -200.0  # an undeclared nodata value
    path = _write_grid(write, tmp_path / "negative.tif", grid, values)

    with pytest.raises(ImportFailed) as refused:
        import_population(session, path, name="neg", strict=True)
    before = database_state(session)
    summary = import_population(session, path, name="neg")

    assert "row 2, field 'population'" in str(refused.value)
    assert "strict" in str(refused.value)
    assert before == ([], [])
    assert (summary.units, summary.total_population, summary.skipped) == (10, 50.0, 2)
    (group,) = summary.report.groups
    assert (group.code, group.count, group.examples[0].value) == (NEGATIVE_CELLS, 2, "-200.0")


def test_a_raster_with_several_bands_reads_the_one_chosen(session, tmp_path, write):
    grid = _worldpop_grid()
    bands = [np.full((2, 2), 1.0).tolist(), np.full((2, 2), 7.0).tolist()]
    path = write(write_geotiff, tmp_path / "bands.tif", bands, grid.transform, grid.crs, None)

    with pytest.raises(ImportFailed, match="2 bands; choose one"):
        import_population(session, path, name="bands")
    summary = import_population(session, path, name="bands", layer="2")

    assert (summary.units, summary.total_population) == (4, 28.0)


def test_a_raster_without_a_crs_needs_the_operator_to_name_it(session, tmp_path, write):
    grid = Grid("EPSG:3067", 385_000.0, 6_673_000.0, 250.0, rows=2, columns=2)
    values = [[[1.0, 2.0], [3.0, 4.0]]]
    path = write(write_geotiff, tmp_path / "bare.tif", values, grid.transform, None, None)

    with pytest.raises(ImportFailed, match="unknown CRS: the file declares none"):
        import_population(session, path, name="bare")
    summary = import_population(session, path, name="bare", source_crs="EPSG:3067")

    assert summary.units == 4
    (unit,) = [u for u in stored_units(session, "bare") if u.population == 1.0]
    lon, lat = Transformer.from_crs("EPSG:3067", "EPSG:4326", always_xy=True).transform(
        385_125.0, 6_672_875.0
    )
    assert to_shape(unit.geom).centroid.distance(Point(lon, lat)) < 1e-6


def test_a_raster_import_is_recorded_with_its_counts_and_extent(session, tmp_path, write):
    grid = _worldpop_grid()
    values = _worldpop_like_values(grid.rows, grid.columns, seed=5)
    path = _write_grid(write, tmp_path / "people.tif", grid, values)

    summary = import_population(session, path, name="recorded")

    session.expire_all()
    record = session.scalars(select(DatasetImport)).one()
    assert record.counts == {
        "units": summary.units,
        "people": summary.total_population,
        "skipped": summary.skipped,
    }
    assert record.report == summary.report.as_json()
    stored = shapely.total_bounds(
        [to_shape(unit.geom) for unit in stored_units(session, "recorded")]
    )
    extent = (record.min_lon, record.min_lat, record.max_lon, record.max_lat)
    assert extent == pytest.approx(tuple(stored), abs=1e-12)
    rows, columns = np.nonzero(_populated(values))
    assert record.min_lon == pytest.approx(grid.left + columns.min() * grid.size, abs=1e-12)
    assert record.max_lat == pytest.approx(grid.top - rows.min() * grid.size, abs=1e-12)


# --- files GDAL cannot read, or that lack a part ---------------------------------------------


def _zip_without_its_dbf(write, tmp_path):
    shapefile, _ = _etrs_shapefile(write, tmp_path)
    path = write(zip_shapefile, shapefile, tmp_path / "nodbf.zip", leave_out=(".dbf",))
    return path, {}, ["nodbf.zip", "grid.shp lacks its attribute table", "grid.dbf"]


def _zip_with_two_shapefiles(write, tmp_path):
    shapefile, _ = _etrs_shapefile(write, tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = _etrs_shapefile(write, tmp_path / "other", count=2)
    other_named = [part.rename(part.with_stem("homes")) for part in other.parent.iterdir()]
    path = write(zip_shapefile, shapefile, tmp_path / "two.zip")
    write(zip_shapefile, next(p for p in other_named if p.suffix == ".shp"), path)
    return path, {}, ["two.zip", "'layer'", "several Shapefiles", "grid.shp", "homes.shp"]


def _zip_without_a_shapefile(_write, tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "population figures")
    return path, {}, ["docs.zip", "holds no Shapefile"]


def _shapefile_without_prj(write, tmp_path):
    shapefile, _ = _etrs_shapefile(write, tmp_path)
    shapefile.with_suffix(".prj").unlink()
    return shapefile, {}, ["grid.shp", "'crs'", "unknown CRS: the file declares none"]


def _text_named_flatgeobuf(_write, tmp_path):
    path = tmp_path / "notes.fgb"
    path.write_text("population: lots\n" * 100, encoding="utf-8")
    return path, {}, ["notes.fgb", "not a readable FlatGeobuf file"]


def _text_named_geotiff(_write, tmp_path):
    path = tmp_path / "notes.tif"
    path.write_text("population: lots\n" * 100, encoding="utf-8")
    return path, {}, ["notes.tif", "not a readable raster"]


def _parquet_without_geo_metadata(_write, tmp_path):
    path = tmp_path / "plain.parquet"
    parquet.write_table(pyarrow.table({"population": [1.0, 2.0]}), path)
    return path, {}, ["plain.parquet", "not GeoParquet", "'geo' metadata"]


def _raster_of_nothing_but_nodata(write, tmp_path):
    grid = _worldpop_grid()
    path = _write_grid(write, tmp_path / "sea.tif", grid, np.full((3, 3), NODATA, np.float32))
    return path, {}, ["sea.tif", "nothing to load: all 9 rows (or cells) lack"]


BAD_FILES = [
    _zip_without_its_dbf,
    _zip_with_two_shapefiles,
    _zip_without_a_shapefile,
    _shapefile_without_prj,
    _text_named_flatgeobuf,
    _text_named_geotiff,
    _parquet_without_geo_metadata,
    _raster_of_nothing_but_nodata,
]


@pytest.mark.parametrize("bad_file", BAD_FILES, ids=lambda bad_file: bad_file.__name__[1:])
def test_a_file_in_a_new_format_is_refused_in_one_line_and_changes_nothing(
    session, tmp_path, write, bad_file
):
    (tmp_path / "good").mkdir()
    import_population(session, _etrs_shapefile(write, tmp_path / "good")[0], name="kept")
    path, options, fragments = bad_file(write, tmp_path)
    before = database_state(session)
    records_before = session.scalars(select(DatasetImport.counts)).all()

    with pytest.raises(ImportFailed) as refused:
        import_population(session, path, name="kept", **options)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(path.name)
    for fragment in fragments:
        assert fragment in message
    assert database_state(session) == before
    assert session.scalars(select(DatasetImport.counts)).all() == records_before


def test_two_shapefiles_in_a_zip_are_told_apart_by_layer(session, tmp_path, write):
    path, _, _ = _zip_with_two_shapefiles(write, tmp_path)

    summary = import_population(session, path, name="homes", layer="homes")

    assert summary.units == 2
