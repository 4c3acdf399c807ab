"""Population files in the formats GDAL writes, made for the tests by a process of their own.

The test process holds SpatiaLite connections, and GDAL's bundled libraries crash beside them
(``transitreq/importers/readers/child_process.py``), so pyogrio and rasterio run only in a
spawned child: ``FileWriter`` sends it one of the functions below with plain arguments. Nothing
here imports transitreq; the files are written from the test's own numbers, so what the
importer stores can be checked against what was meant, not against another reader.
"""

from __future__ import annotations

import multiprocessing
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# Each row: (geometry as WKB or None, {column: value}).
Rows = list[tuple[bytes | None, dict[str, Any]]]


class FileWriter:
    """Runs writers in one spawned process, kept for the whole test module."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    def __call__(self, writer: Callable[..., Path], *arguments: Any, **options: Any) -> Path:
        return self._pool.submit(writer, *arguments, **options).result(timeout=120)

    def close(self) -> None:
        self._pool.shutdown()


def write_vector(
    path: Path,
    rows: Rows,
    columns: dict[str, str],
    crs: str | None,
    geometry_type: str,
    **layer_options: str,
) -> Path:
    """A Shapefile or FlatGeobuf (by ``path``'s suffix); ``columns`` maps name to numpy dtype."""
    import numpy as np
    import pyogrio.raw
    from pyproj import CRS

    geometries = np.array([wkb for wkb, _ in rows], dtype=object)
    values, masks = [], []
    for name, dtype in columns.items():
        cells = [properties.get(name) for _, properties in rows]
        missing = np.array([cell is None for cell in cells])
        filler = "" if dtype == "object" else 0
        filled = [filler if absent else cell for cell, absent in zip(cells, missing, strict=True)]
        values.append(np.array(filled, dtype=dtype))
        masks.append(missing if missing.any() else None)
    pyogrio.raw.write(
        str(path),
        geometries,
        values,
        list(columns),
        field_mask=masks,
        geometry_type=geometry_type,
        crs=CRS.from_user_input(crs).to_wkt() if crs else None,
        layer_options=layer_options or None,
    )
    return path


def zip_shapefile(shapefile: Path, archive: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """Zip a Shapefile with its sidecars (all but the suffixes in ``leave_out``)."""
    with zipfile.ZipFile(archive, "a") as zipped:
        for part in sorted(shapefile.parent.glob(shapefile.stem + ".*")):
            if part.suffix.lower() not in leave_out:
                zipped.write(part, part.name)
    return archive


def write_geotiff(
    path: Path,
    bands: list[list[list[float]]],
    transform: tuple[float, float, float, float, float, float],
    crs: str | None,
    nodata: float | None,
) -> Path:
    """A float32 GeoTIFF of ``bands`` (each a list of rows), with GDAL's affine ``transform``."""
    import numpy as np
    import rasterio
    from affine import Affine
    from pyproj import CRS

    data = np.array(bands, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype="float32",
        crs=CRS.from_user_input(crs).to_wkt() if crs else None,
        transform=Affine(*transform),
        nodata=nodata,
        tiled=True,
        blockxsize=16,
        blockysize=16,
    ) as raster:
        raster.write(data)
    return path
