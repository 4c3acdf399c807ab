"""CSV tables of points: one row per point, with its coordinates in two columns.

Coordinates are WGS 84 ``lon``/``lat`` unless the operator names other columns or a source CRS
(with a CRS given, ``x``/``y`` columns are found by themselves). The delimiter is whichever of
comma, semicolon or tab the header uses; text is UTF-8, with or without a byte-order mark. Rows
are numbered by their line in the file, the header being line 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import numpy as np
import shapely

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record
from transitreq.importers.readers.crs import Reprojection, choose_crs

_DELIMITERS = (",", ";", "\t")
_DEFAULT_COORDINATE_FIELDS = ("lon", "lat")
_PROJECTED_COORDINATE_FIELDS = ("x", "y")


@contextmanager
def open_csv(
    path: Path, *, lon_field: str = "lon", lat_field: str = "lat", source_crs: str | None = None
) -> Iterator[Layer]:
    """The rows of a CSV file as point features."""
    source = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = _reader(handle)
            header = next(reader, None)
            if not header:
                raise ImportFailed(source, problem("csv_no_header"))
            coordinates = _coordinate_fields(header, (lon_field, lat_field), source_crs, source)
            crs = choose_crs(None, source_crs, source)
            yield Layer(
                source=source,
                fields=tuple(name for name in header if name not in coordinates),
                geometry_field=f"{coordinates[0]}/{coordinates[1]}",
                feature_count=_line_count(path) - 1,
                records=_records(reader, header, coordinates, Reprojection(crs, source)),
            )
    except UnicodeDecodeError:
        raise ImportFailed(source, problem("csv_not_utf8")) from None
    except csv.Error as error:
        raise ImportFailed(source, problem("csv_unreadable", error=str(error))) from None


def _reader(handle: TextIO):
    """A csv reader with the delimiter the header line uses most."""
    header_line = handle.readline()
    handle.seek(0)
    delimiter = max(_DELIMITERS, key=header_line.count)
    return csv.reader(handle, delimiter=delimiter)


def _coordinate_fields(
    header: list[str], asked: tuple[str, str], source_crs: str | None, source: str
) -> tuple[str, str]:
    """The columns holding the coordinates: as asked, or ``x``/``y`` for a projected source."""
    columns = set(header)
    if (
        asked == _DEFAULT_COORDINATE_FIELDS
        and source_crs
        and not set(asked) <= columns
        and set(_PROJECTED_COORDINATE_FIELDS) <= columns
    ):
        return _PROJECTED_COORDINATE_FIELDS
    for name in asked:
        if name not in header:
            hint = set(_PROJECTED_COORDINATE_FIELDS) <= columns and not source_crs
            key = "no_column_xy_hint" if hint else "no_column"
            said = problem(key, column=name, columns=list(header))
            raise ImportFailed(source, said, field=name)
    return asked


def _line_count(path: Path) -> int:
    """Lines in the file, counting a last line without a newline too."""
    lines, last_block = 0, b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
            last_block = block
    return lines + (1 if last_block and not last_block.endswith(b"\n") else 0)


def _records(
    reader, header: list[str], coordinates: tuple[str, str], reprojection: Reprojection
) -> Iterator[Record]:
    lon_index, lat_index = (header.index(name) for name in coordinates)
    while chunk := _next_rows(reader, len(header), reprojection.source):
        rows = [row for row, _ in chunk]
        xy = [
            (
                _coordinate(values[lon_index], reprojection.source, row, coordinates[0]),
                _coordinate(values[lat_index], reprojection.source, row, coordinates[1]),
            )
            for row, values in chunk
        ]
        points = reprojection.to_lon_lat(shapely.points(np.array(xy)), rows, *coordinates)
        for (row, values), point in zip(chunk, points, strict=True):
            properties = dict(zip(header, values, strict=True))
            for name in coordinates:
                del properties[name]
            yield Record(row, point, properties)


def _next_rows(reader, width: int, source: str) -> list[tuple[int, list[str]]]:
    """Up to a chunk of non-blank rows, each with its line number; refuses ragged rows."""
    chunk = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) != width:
            said = problem("csv_row_length", values=len(values), columns=width)
            raise ImportFailed(source, said, reader.line_num)
        chunk.append((reader.line_num, values))
        if len(chunk) == CHUNK_FEATURES:
            break
    return chunk


def _coordinate(text: str, source: str, row: int, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ImportFailed(source, problem("not_number", value=text), row, field) from None
    if not math.isfinite(value):
        raise ImportFailed(source, problem("not_finite", value=text), row, field)
    return value
