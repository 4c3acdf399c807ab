"""Shapefile and FlatGeobuf features through pyogrio (GDAL/OGR), in the reader child.

Features go to the parent as they are in the file: WKB in the file's own CRS (reprojecting is
the parent's job, as for every other format) and attribute values as plain Python values, nulls
as None (numbers as NaN). pyogrio reads a page of features per call; a page is sent as one
message, numbered by the feature's place in the file from 1.

pyogrio's Arrow stream would read without paging, but GDAL 3.12's FlatGeobuf driver writes
broken offsets into it around a null geometry, so the plain reader is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from reader_protocol import CHUNK, LAYER, Refused


def read(path: str, unreadable: str, page_features: int) -> Iterator[tuple[str, dict]]:
    """The file's layer, then its features page by page; ``unreadable`` is the problem key
    a file GDAL cannot read is refused with (a Shapefile's or a FlatGeobuf file's)."""
    import pyogrio
    from pyogrio import errors

    failures = (
        errors.DataSourceError,
        errors.DataLayerError,
        errors.FeatureError,
        errors.FieldError,
        errors.GeometryError,
    )
    try:
        info = pyogrio.read_info(path)
        if info["geometry_type"] is None:
            raise Refused("layer_no_geometry")
        yield (
            LAYER,
            {
                "fields": [str(name) for name in info["fields"]],
                # -1 when the driver cannot tell without reading every feature.
                "features": int(info["features"]),
                "crs": info["crs"],
            },
        )
        yield from _pages(pyogrio.raw.read, path, page_features)
    except failures as error:
        raise Refused(unreadable, error=str(error)) from None


def _pages(read_page, path: str, page_features: int) -> Iterator[tuple[str, dict]]:
    done = 0
    while True:
        _, _, geometries, columns = read_page(
            path, skip_features=done, max_features=page_features, datetime_as_string=True
        )
        if len(geometries):
            yield (
                CHUNK,
                {
                    "first_row": done + 1,
                    "wkb": geometries.tolist(),
                    "columns": [column.tolist() for column in columns],
                },
            )
        done += len(geometries)
        if len(geometries) < page_features:
            return
