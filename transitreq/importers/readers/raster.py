"""Population rasters (GeoTIFF: WorldPop, GHSL…), read by rasterio in a child, as cells.

Each cell holding people becomes a population unit shaped as the cell itself: its four corners
placed by the raster's affine transform (rotation included) and reprojected to WGS 84, so a
catchment counts it by the share of its area inside, like any polygon. Corners are joined by
straight lines in lon/lat; over a 1 km cell that differs from its edges in the raster's own CRS
by centimetres.

Only one band is read: the only one, or the one ``layer`` names by number. Its value is the
layer's one field, ``population``. Cells with no data (the nodata value, a mask, NaN) or zero
people are skipped and counted as info: every raster has them (sea, parks, outside the
country). A negative cell is skipped with a warning: no count of people is negative, so it is
most likely a nodata value the file did not declare (``--strict`` refuses it).

The raster is read in windows of whole rows (``WINDOW_CELLS``) and the cells go on to the
importer as they arrive, so a raster of any size is never held in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import Layer, Record
from transitreq.importers.readers.child.reader_protocol import CHUNK, LAYER
from transitreq.importers.readers.child_process import Messages, messages_from_child
from transitreq.importers.readers.crs import Reprojection, declared_or_given, parse_crs
from transitreq.importers.report import ImportReport

# Cells per window the child reads: a few MB of values, whatever the raster's width.
WINDOW_CELLS = 65_536
VALUE_FIELD = "population"
CELL_FIELD = "cell"

CELLS_WITHOUT_DATA = "raster_cells_without_data"
CELLS_WITHOUT_PEOPLE = "raster_cells_without_people"
NEGATIVE_CELLS = "raster_negative_cells"

# A cell's corners, in column and row steps from its top-left corner, closing the ring.
_CORNER_COLUMNS = np.array([0, 1, 1, 0, 0])
_CORNER_ROWS = np.array([0, 0, 1, 1, 0])


@contextmanager
def open_raster(
    path: Path, *, report: ImportReport, band: str | None = None, source_crs: str | None = None
) -> Iterator[Layer]:
    """The raster's cells holding people, as polygon records numbered by raster row from 1."""
    source = path.name
    arguments = {
        "path": str(path.resolve()),
        "band": _band_number(band, source),
        "window_cells": WINDOW_CELLS,
    }
    with messages_from_child(source, "raster", arguments) as messages:
        header = messages.expect(LAYER)
        declared = parse_crs(header["crs"], source, field="crs") if header["crs"] else None
        reprojection = Reprojection(declared_or_given(declared, source_crs, source), source)
        layer = Layer(
            source=source,
            fields=(VALUE_FIELD,),
            geometry_field=CELL_FIELD,
            feature_count=header["width"] * header["height"],
            records=iter(()),
        )
        layer.records = _records(messages, header, reprojection, layer, report)
        yield layer


def _band_number(band: str | None, source: str) -> int | None:
    if band is None:
        return None
    if not band.strip().isdigit():
        said = problem("raster_band_not_number", band=band)
        raise ImportFailed(source, said, field="layer")
    return int(band)


def _records(
    messages: Messages,
    header: dict[str, Any],
    reprojection: Reprojection,
    layer: Layer,
    report: ImportReport,
) -> Iterator[Record]:
    without_data = without_people = 0
    for kind, chunk in messages:
        if kind != CHUNK:
            continue
        without_data += chunk["nodata"]
        without_people += chunk["zero"]
        layer.skipped += chunk["nodata"] + chunk["zero"] + chunk["negative"]
        if chunk["negative"]:
            _warn_of_negative_cells(report, layer.source, chunk)
        rows = np.frombuffer(chunk["rows"], dtype=np.int64)
        columns = np.frombuffer(chunk["columns"], dtype=np.int64)
        row_numbers = (rows + 1).tolist()
        cells = reprojection.to_lon_lat(
            cell_polygons(header["transform"], rows, columns), row_numbers, CELL_FIELD, CELL_FIELD
        )
        values = np.frombuffer(chunk["values"], dtype=np.float64).tolist()
        for row, cell, value in zip(row_numbers, cells, values, strict=True):
            yield Record(row, cell, {VALUE_FIELD: value})
    _report_cells_left_out(report, layer.source, header["nodata"], without_data, without_people)


def cell_polygons(transform: list[float], rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The cells at ``rows``/``columns`` as polygons in the raster's CRS.

    ``transform`` is GDAL's affine (a, b, c, d, e, f): x = a·column + b·row + c and
    y = d·column + e·row + f, for the corner at that column and row.
    """
    a, b, c, d, e, f = transform
    corner_columns = columns[:, np.newaxis] + _CORNER_COLUMNS
    corner_rows = rows[:, np.newaxis] + _CORNER_ROWS
    x = a * corner_columns + b * corner_rows + c
    y = d * corner_columns + e * corner_rows + f
    return shapely.polygons(np.stack([x, y], axis=-1))


def _warn_of_negative_cells(report: ImportReport, source: str, chunk: dict[str, Any]) -> None:
    row, column, value = chunk["first_negative"]
    report.warn(
        NEGATIVE_CELLS,
        problem("raster_negative", column=column + 1, count=chunk["negative"]),
        file=source,
        row=row + 1,
        field=VALUE_FIELD,
        value=value,
        count=chunk["negative"],
    )


def _report_cells_left_out(
    report: ImportReport, source: str, nodata: float | None, without_data: int, without_people: int
) -> None:
    if without_data:
        said = (
            problem("raster_nodata_declared", count=without_data, nodata=f"{nodata:g}")
            if nodata is not None
            else problem("raster_nodata_undeclared", count=without_data)
        )
        report.info(
            CELLS_WITHOUT_DATA,
            said,
            file=source,
            count=without_data,
        )
    if without_people:
        report.info(
            CELLS_WITHOUT_PEOPLE,
            problem("raster_zero_cells", count=without_people),
            file=source,
            count=without_people,
        )
