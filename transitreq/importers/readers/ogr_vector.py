"""Shapefiles (bare, or zipped with their sidecars) and FlatGeobuf, read by GDAL in a child.

pyogrio cannot share our process with SpatiaLite (``child_process.py``), so the child reads the
file and this module turns what it sends into a :class:`Layer` like every other reader's: WKB to
Shapely, reprojected from the file's CRS to WGS 84 here. Rows are features numbered from 1 in
file order, as desktop GIS lists them.

A Shapefile is several files: ``.shp`` (shapes), ``.shx`` (their index), ``.dbf`` (attributes)
and usually ``.prj`` (CRS). Without .shx or .dbf it is refused, naming the missing one, rather
than read as shapes without attributes; without .prj the operator must give the CRS. A zip is
read in place through GDAL's ``/vsizip/``; when it holds several Shapefiles, ``layer`` names one.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import Layer, Record, geometries_from_wkb
from transitreq.importers.readers.child.reader_protocol import CHUNK, LAYER
from transitreq.importers.readers.child_process import Messages, messages_from_child
from transitreq.importers.readers.crs import Reprojection, declared_or_given, parse_crs

GEOMETRY_FIELD = "geometry"
# Features per pyogrio call in the child: each call of FlatGeobuf's re-reads the features it
# skips, so pages are large; each page is one message.
PAGE_FEATURES = 50_000
# Each sidecar a Shapefile cannot be read without, and how its absence is said.
_REQUIRED_SIDECARS = {".shx": "shapefile_no_index", ".dbf": "shapefile_no_table"}


@contextmanager
def open_ogr_vector(
    path: Path, *, layer: str | None = None, source_crs: str | None = None
) -> Iterator[Layer]:
    """The features of a .shp, a .zip holding Shapefiles, or a .fgb."""
    source = path.name
    suffix = path.suffix.lower()
    if suffix == ".zip":
        gdal_path, unreadable = _shapefile_in_zip(path, layer), "shapefile_unreadable"
    elif suffix == ".shp":
        _require_sidecars(source, {sibling.name for sibling in path.parent.iterdir()}, path.name)
        gdal_path, unreadable = str(path.resolve()), "shapefile_unreadable"
    else:
        gdal_path, unreadable = str(path.resolve()), "flatgeobuf_unreadable"
    arguments = {"path": gdal_path, "unreadable": unreadable, "page_features": PAGE_FEATURES}
    with messages_from_child(source, "vector", arguments) as messages:
        header = messages.expect(LAYER)
        declared = parse_crs(header["crs"], source, field="crs") if header["crs"] else None
        crs = declared_or_given(declared, source_crs, source)
        fields = tuple(header["fields"])
        yield Layer(
            source=source,
            fields=fields,
            geometry_field=GEOMETRY_FIELD,
            feature_count=header["features"],
            records=_records(messages, fields, Reprojection(crs, source)),
        )


def _shapefile_in_zip(path: Path, layer: str | None) -> str:
    """The GDAL path of the chosen (or only) Shapefile in the zip, its sidecars checked."""
    source = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                name
                for name in archive.namelist()
                if not name.endswith("/") and not name.startswith("__MACOSX/")
            ]
    except zipfile.BadZipFile:
        raise ImportFailed(source, problem("zip_unreadable")) from None
    shapefiles = [name for name in names if PurePosixPath(name).suffix.lower() == ".shp"]
    if not shapefiles:
        raise ImportFailed(source, problem("zip_no_shapefile"))
    if layer is not None:
        chosen = [name for name in shapefiles if layer in (name, PurePosixPath(name).stem)]
        if not chosen:
            said = problem("zip_no_such_shapefile", layer=layer, shapefiles=shapefiles)
            raise ImportFailed(source, said, field="layer")
    elif len(shapefiles) > 1:
        said = problem("zip_several_shapefiles", shapefiles=shapefiles)
        raise ImportFailed(source, said, field="layer")
    else:
        chosen = shapefiles
    _require_sidecars(source, set(names), chosen[0])
    return f"/vsizip/{path.resolve()}/{chosen[0]}"


def _require_sidecars(source: str, names: set[str], shapefile: str) -> None:
    """Refuse a Shapefile whose .shx or .dbf is not beside it (in any letter case)."""
    stem = PurePosixPath(shapefile).with_suffix("")
    present = {name.lower() for name in names}
    for suffix, key in _REQUIRED_SIDECARS.items():
        if f"{stem}{suffix}".lower() not in present:
            said = problem(key, shapefile=shapefile, file=f"{stem.name}{suffix}")
            raise ImportFailed(source, said)


def _records(
    messages: Messages, fields: tuple[str, ...], reprojection: Reprojection
) -> Iterator[Record]:
    for kind, page in messages:
        if kind != CHUNK:
            continue
        first_row, payloads = page["first_row"], page["wkb"]
        rows = range(first_row, first_row + len(payloads))
        geometries = geometries_from_wkb(payloads, rows, reprojection.source, GEOMETRY_FIELD)
        geometries = reprojection.to_lon_lat(geometries, rows, GEOMETRY_FIELD, GEOMETRY_FIELD)
        values = zip(*page["columns"], strict=True) if fields else ((),) * len(payloads)
        for row, geometry, row_values in zip(rows, geometries, values, strict=True):
            yield Record(row, geometry, dict(zip(fields, row_values, strict=True)))
