"""Source coordinate reference systems, and reprojection of geometries to WGS 84 lon/lat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from transitreq.errors import ImportFailed
from transitreq.importers.problems import Problem, problem

WGS84 = CRS.from_epsg(4326)


def parse_crs(text: str, source: str, field: str | None = None) -> CRS:
    """A CRS from what a file or an operator wrote: "EPSG:3067", an OGC URN, WKT…"""
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise ImportFailed(source, problem("unknown_crs", crs=text), field=field) from None


def describe(crs: CRS) -> str:
    authority = crs.to_authority()
    return ":".join(authority) if authority else crs.name


def choose_crs(declared: CRS | None, given: str | None, source: str) -> CRS:
    """The file's own CRS or the one the operator gave (WGS 84 if neither says).

    Both may be present only when they agree: a file that says one CRS while the operator says
    another is a mistake in one of them, and guessing which would misplace every feature.
    """
    chosen = parse_crs(given, source, field="crs") if given else None
    if (
        declared is not None
        and chosen is not None
        and not declared.equals(chosen, ignore_axis_order=True)
    ):
        said = problem("crs_conflict", declared=describe(declared), given=describe(chosen))
        raise ImportFailed(source, said, field="crs")
    return declared or chosen or WGS84


def declared_or_given(declared: CRS | None, given: str | None, source: str) -> CRS:
    """For formats with no default CRS (Shapefile, FlatGeobuf, rasters): the file's own or the
    operator's, and a refusal when neither says, rather than a guess that misplaces everything."""
    if declared is None and not given:
        raise ImportFailed(source, problem("crs_undeclared"), field="crs")
    return choose_crs(declared, given, source)


class Reprojection:
    """Moves whole arrays of geometries from one CRS to 2D WGS 84 lon/lat, and checks them.

    Coordinates go through pyproj in one vectorised call per array; a source already in WGS 84
    (EPSG:4326 or OGC:CRS84, whatever its declared axis order) is only made 2D.
    """

    def __init__(self, crs: CRS, source: str) -> None:
        self.crs = crs
        self.source = source
        self._transformer = (
            None
            if crs.equals(WGS84, ignore_axis_order=True)
            else Transformer.from_crs(crs, WGS84, always_xy=True)
        )

    def to_lon_lat(
        self, geometries: Sequence, rows: Sequence[int], lon_field: str, lat_field: str
    ) -> np.ndarray:
        """The geometries in lon/lat; ImportFailed at the first one outside the valid range.

        ``lon_field`` and ``lat_field`` name, for the message, where each axis came from.
        """
        array = shapely.force_2d(np.asarray(geometries, dtype=object))
        if self._transformer is not None:
            array = shapely.transform(array, self._xy_to_lon_lat)
        self._check_range(array, rows, lon_field, lat_field)
        return array

    def _xy_to_lon_lat(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack(self._transformer.transform(xy[:, 0], xy[:, 1]))

    def _check_range(
        self, array: np.ndarray, rows: Sequence[int], lon_field: str, lat_field: str
    ) -> None:
        present = ~(shapely.is_missing(array) | shapely.is_empty(array))
        min_x, min_y, max_x, max_y = shapely.bounds(array).T
        with np.errstate(invalid="ignore"):
            lon_ok = (min_x >= -180) & (max_x <= 180)
            lat_ok = (min_y >= -90) & (max_y <= 90)
        bad = np.flatnonzero(present & ~(lon_ok & lat_ok))
        if bad.size == 0:
            return
        index = bad[0]
        field = lon_field if not lon_ok[index] else lat_field
        raise ImportFailed(self.source, self._range_problem(array[index]), rows[index], field)

    def _range_problem(self, geometry) -> Problem:
        coordinates = shapely.get_coordinates(geometry)
        with np.errstate(invalid="ignore"):
            in_range = (np.abs(coordinates[:, 0]) <= 180) & (np.abs(coordinates[:, 1]) <= 90)
        x, y = coordinates[np.argmin(in_range)]
        if self._transformer is None:
            return problem("coordinates_out_of_range", x=f"{x:g}", y=f"{y:g}")
        return problem("reprojected_out_of_range", crs=describe(self.crs), x=f"{x:g}", y=f"{y:g}")
