"""Population rasters through rasterio (GDAL), in the reader child: one band, read in windows.

A window is a band of whole raster rows, about ``window_cells`` cells, so memory stays the same
whatever the raster's size. Only cells holding people travel to the parent, as row and column
indexes and values (arrays as bytes); the others are only counted: nodata (the band's declared
nodata value, its mask, or NaN), zero, and negative (which no count of people can be, so most
likely a nodata value the file forgot to declare). The parent turns each cell into a polygon
through the raster's affine transform.
"""

from __future__ import annotations

from collections.abc import Iterator

from reader_protocol import CHUNK, LAYER, Refused


def read(path: str, band: int | None, window_cells: int) -> Iterator[tuple[str, dict]]:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        dataset = rasterio.open(path)
    except RasterioError as error:
        raise Refused("raster_unreadable", error=str(error)) from None
    with dataset:
        band = _band(dataset.count, band)
        if dataset.crs is None and dataset.transform.is_identity:
            raise Refused("raster_not_georeferenced")
        yield (
            LAYER,
            {
                "width": dataset.width,
                "height": dataset.height,
                "band": band,
                "crs": dataset.crs.to_wkt() if dataset.crs else None,
                "transform": list(dataset.transform)[:6],
                "nodata": dataset.nodatavals[band - 1],
            },
        )
        rows_per_window = max(1, window_cells // dataset.width)
        for top in range(0, dataset.height, rows_per_window):
            window = ((top, min(top + rows_per_window, dataset.height)), (0, dataset.width))
            try:
                values = dataset.read(band, window=window, masked=True)
            except RasterioError as error:
                raise Refused("raster_data_unreadable", top + 1, error=str(error)) from None
            yield CHUNK, _cells(values, top)


def _band(count: int, band: int | None) -> int:
    if band is None:
        if count != 1:
            raise Refused("raster_choose_band", field="layer", count=count)
        return 1
    if not 1 <= band <= count:
        raise Refused("raster_no_band", field="layer", band=band, count=count)
    return band


def _cells(values, top: int) -> dict:
    """The window's cells holding people, and how many of the rest hold nothing usable."""
    import numpy as np

    data = np.asarray(values.data, dtype=np.float64)
    usable = ~np.ma.getmaskarray(values) & np.isfinite(data)
    people = usable & (data > 0)
    negative = usable & (data < 0)
    rows, columns = np.nonzero(people)
    negative_rows, negative_columns = np.nonzero(negative)
    first_negative = None
    if negative_rows.size:
        row, column = int(negative_rows[0]), int(negative_columns[0])
        first_negative = [top + row, column, float(data[row, column])]
    return {
        "rows": (rows + top).astype(np.int64).tobytes(),
        "columns": columns.astype(np.int64).tobytes(),
        "values": data[people].tobytes(),
        "nodata": int(data.size - usable.sum()),
        "zero": int(usable.sum() - people.sum() - negative.sum()),
        "negative": int(negative.sum()),
        "first_negative": first_negative,
    }
