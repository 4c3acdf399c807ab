"""What an import says about a file, kept as a code and its values and put into words when read.

A notice is stored with its dataset and read months later on the Data page, by a planner who
may read Chinese; a refusal is printed by the command in the city's language. So importers never
write sentences: they name a ``Problem`` by its key (``not_number``) with the values it is made
of (``{"value": "60,17"}``), and ``problem_text`` says it in the language of whoever reads it,
from the table below. The place (file, row, field) is kept apart, in the notice or the
refusal, and put into words by ``transitreq.errors.place_in_file``.

What is stored is plain JSON: ``{"key": …, "params": {…}}``. A value may itself be a stored
problem (a stop's bad coordinate, inside "trips call at this stop"), a list (written as a list
in the reader's language), or a day (a parameter named ``…_day``, ISO 8601, written with its
weekday). A notice written before sentences were kept this way is ``{"text": …}`` and is shown
as it was written (``migrations/versions/0017_import_notice_codes.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transitreq.i18n import _, format_weekday, lazy_gettext, ngettext

# Quotes around a value from the file are part of each sentence: 'x' in English, “x” in Chinese.
MESSAGES: dict[str, Any] = {
    # --- A value in a cell (GTFS and tables alike) ---------------------------------------------
    "empty": lazy_gettext("is empty"),
    "padding": lazy_gettext("has spaces before or after it; they are removed"),
    "too_long": lazy_gettext("is longer than %(max_chars)d characters"),
    "too_long_cut": lazy_gettext("is longer than %(max_chars)d characters; it is cut to fit"),
    "too_long_left_out": lazy_gettext("is longer than %(max_chars)d characters; it is left out"),
    "not_whole_number": lazy_gettext("'%(value)s' is not a whole number"),
    "not_one_of": lazy_gettext("'%(value)s' is not one of %(choices)s"),
    "too_large": lazy_gettext("'%(value)s' is too large"),
    "option_ignored": lazy_gettext("is not one of %(choices)s; ignored"),
    "option_read_as_0": lazy_gettext("is not one of %(choices)s; read as 0"),
    "option_read_as_stop": lazy_gettext("is not one of %(choices)s; read as 0, a stop"),
    "not_number": lazy_gettext("'%(value)s' is not a number"),
    "not_finite": lazy_gettext("'%(value)s' is not a finite number"),
    "negative": lazy_gettext("'%(value)s' is negative"),
    "latitude_out_of_range": lazy_gettext("'%(value)s' is not between -90 and 90"),
    "latitude_out_of_range_swapped": lazy_gettext(
        "'%(value)s' is not between -90 and 90 (latitude and longitude swapped?)"
    ),
    "longitude_out_of_range": lazy_gettext("'%(value)s' is not between -180 and 180"),
    "null_island": lazy_gettext("latitude 0, longitude 0 is a placeholder, not a place"),
    "not_time": lazy_gettext("'%(value)s' is not a time (HH:MM:SS)"),
    "too_many_hours": lazy_gettext("'%(value)s' is more than %(hours)d hours"),
    "not_date": lazy_gettext("'%(value)s' is not a date (YYYYMMDD)"),
    "colour_hash": lazy_gettext(
        "starts with '#', which GTFS leaves out; the six digits after it are used"
    ),
    "colour_default": lazy_gettext(
        "is not a colour (six hex digits), so the default %(default)s is used"
    ),
    "url_ignored": lazy_gettext("is not a full web address (http:// or https://); it is ignored"),
    "unknown_reference": lazy_gettext("'%(value)s' is not a %(column)s in %(file)s"),
    "unknown_reference_either": lazy_gettext(
        "'%(value)s' is not a %(column)s in %(file)s or %(other_file)s"
    ),
    # --- A GTFS feed's files --------------------------------------------------------------------
    "no_such_file_or_folder": lazy_gettext("no such file or folder"),
    "not_zip_or_folder": lazy_gettext("not a zip archive or a folder of GTFS files"),
    "missing_file": lazy_gettext("%(file)s is missing (a GTFS feed needs %(needed)s)"),
    "missing_calendar": lazy_gettext("calendar.txt or calendar_dates.txt is missing"),
    "unknown_file": lazy_gettext("not a file of the GTFS reference; ignored"),
    "unreadable_member": lazy_gettext("cannot be read from the archive (%(error)s)"),
    "blank_row": lazy_gettext("a blank row; left out"),
    "not_csv": lazy_gettext("is not valid CSV (%(error)s)"),
    "not_utf8": lazy_gettext("is not UTF-8 text"),
    "column_twice": lazy_gettext("the column appears twice in the header"),
    "column_missing": lazy_gettext("the column is missing"),
    "unknown_column": lazy_gettext(
        "not a column of this file in the GTFS reference; its values are ignored"
    ),
    "row_too_long": lazy_gettext(
        "has %(values)d values but the header names %(columns)d columns "
        "(a value with an unquoted comma?)"
    ),
    "row_length_blank": lazy_gettext(
        "has %(values)d values but the header names %(columns)d columns; read as blank"
    ),
    "duplicate_row": lazy_gettext("repeats an earlier row exactly; the copy is left out"),
    "duplicate_key": lazy_gettext("'%(key)s' is already in row %(row)d with different content"),
    "duplicate_key_differs": lazy_gettext(
        "'%(key)s' is already in row %(row)d with different content "
        "(%(column)s: '%(there)s' there, '%(here)s' here)"
    ),
    # --- What a GTFS feed's rows mean together --------------------------------------------------
    "no_located_stop": lazy_gettext("no stop has usable coordinates"),
    "no_stops": lazy_gettext("no stops (no row has location_type empty or 0)"),
    "unknown_route_type": lazy_gettext(
        "is not a GTFS route type; kept as given, shown as mode 'other'"
    ),
    "route_names_missing": lazy_gettext(
        "and route_long_name are both empty; the route is shown by its route_id"
    ),
    "end_before_start_date": lazy_gettext("%(end)s is before start_date %(start)s"),
    "end_before_start_time": lazy_gettext("is before start_time"),
    "not_positive": lazy_gettext("must be more than 0"),
    "unknown_shape": lazy_gettext(
        "is not a shape_id in shapes.txt; the trip is drawn through its stops"
    ),
    "unused_trip": lazy_gettext("has no stop times; the trip is left out"),
    "stop_named_by": lazy_gettext("is empty; the stop is named by its %(column)s"),
    "station_not_stop": lazy_gettext("'%(value)s' is a station in stops.txt, not a stop"),
    "entrance_not_stop": lazy_gettext(
        "'%(value)s' is an entrance or exit in stops.txt, not a stop"
    ),
    "node_not_stop": lazy_gettext("'%(value)s' is a generic node in stops.txt, not a stop"),
    "boarding_area_not_stop": lazy_gettext(
        "'%(value)s' is a boarding area in stops.txt, not a stop"
    ),
    "unlocated_called": lazy_gettext(
        "%(problem)s, and trips call at this stop (stop_times.txt, row %(row)d)"
    ),
    "unlocated_left_out": lazy_gettext(
        "%(problem)s; no trip calls at this stop, so it is left out"
    ),
    "no_weekday_service": lazy_gettext(
        "no trip runs on a weekday (Monday to Friday) in calendar.txt or calendar_dates.txt"
    ),
    "feed_expired": lazy_gettext(
        "the calendar ended on %(ended_day)s, before today: service is measured on "
        "%(measured_day)s, the busiest weekday of its last %(weeks)d weeks"
    ),
    "bad_feed_name": lazy_gettext(
        "the feed name '%(name)s' must be 1 to %(max_chars)d characters, unpadded"
    ),
    "demo_feed_name": lazy_gettext("the feed name '%(name)s' is kept for the demo city"),
    "project_feed_name": lazy_gettext(
        "the feed name '%(name)s' is kept for the stops the stop projects opened"
    ),
    "too_many_departures": lazy_gettext("frequencies.txt gives more departures than can be stored"),
    # --- Strict mode ----------------------------------------------------------------------------
    "strict": lazy_gettext("%(problem)s (strict: warnings refuse the import)"),
    "strict_with_value": lazy_gettext(
        "%(problem)s ('%(value)s') (strict: warnings refuse the import)"
    ),
    # --- Population layers and service areas ----------------------------------------------------
    "dataset_needs_name": lazy_gettext("the dataset needs a name"),
    "dataset_name_too_long": lazy_gettext("dataset name is longer than %(max_chars)d characters"),
    "no_column": lazy_gettext("no column '%(column)s'; columns are: %(columns)s"),
    "no_column_none": lazy_gettext("no column '%(column)s'; the file has no columns"),
    "no_column_xy_hint": lazy_gettext(
        "no column '%(column)s' (x/y columns need the CRS they are in, e.g. EPSG:3067); "
        "columns are: %(columns)s"
    ),
    "layer_no_features": lazy_gettext("the layer has no features"),
    "nothing_to_load": lambda params: ngettext(
        "nothing to load: the one row (or cell) lacks a geometry or a population",
        "nothing to load: all %(num)d rows (or cells) lack a geometry or a population",
        params["count"],
    ),
    "no_geometry_skipped": lazy_gettext("no geometry; the row is skipped"),
    "no_population_skipped": lazy_gettext("no population; the row is skipped"),
    "blank_stored_as_null": lazy_gettext("blank; stored as null"),
    "cannot_hold_population": lazy_gettext(
        "a %(geometry_type)s cannot hold population; use Point, Polygon or MultiPolygon"
    ),
    "mixed_among_points": lazy_gettext(
        "a %(geometry_type)s among points; a layer holds points or polygons, not both"
    ),
    "mixed_among_polygons": lazy_gettext(
        "a %(geometry_type)s among polygons; a layer holds points or polygons, not both"
    ),
    "invalid_geometry": lazy_gettext("invalid geometry: %(reason)s"),
    "file_no_features": lazy_gettext("the file has no features"),
    "areas_unsupported_type": lazy_gettext(
        "unsupported file type '%(suffix)s'; service areas come as GeoJSON (.geojson or .json)"
    ),
    "areas_no_suffix": lazy_gettext(
        "a file name without a suffix; service areas come as GeoJSON (.geojson or .json)"
    ),
    "area_no_name": lazy_gettext("the area has no name"),
    "area_name_not_text": lazy_gettext("the name must be text, not %(value)s"),
    "area_name_too_long": lazy_gettext("the name is longer than %(max_chars)d characters"),
    "area_name_taken": lazy_gettext("the name '%(name)s' is already used by row %(row)d"),
    "area_no_boundary": lazy_gettext("the area has no boundary"),
    "area_not_polygon": lazy_gettext(
        "a %(geometry_type)s cannot bound an area; use Polygon or MultiPolygon"
    ),
    # --- Reading files of every format ----------------------------------------------------------
    "layer_not_choosable": lazy_gettext(
        "a layer can be chosen only in a GeoPackage, a zip of Shapefiles or a raster (band)"
    ),
    "unsupported_type": lazy_gettext(
        "unsupported file type '%(suffix)s'; expected .gpkg (GeoPackage), .geojson/.json "
        "(GeoJSON), .csv, .shp or .zip (Shapefile), .fgb (FlatGeobuf), .parquet (GeoParquet) "
        "or .tif (GeoTIFF raster)"
    ),
    "no_suffix": lazy_gettext(
        "a file name without a suffix; expected .gpkg (GeoPackage), .geojson/.json (GeoJSON), "
        ".csv, .shp or .zip (Shapefile), .fgb (FlatGeobuf), .parquet (GeoParquet) or .tif "
        "(GeoTIFF raster)"
    ),
    "no_such_file": lazy_gettext("no such file: %(path)s"),
    # --- An OpenStreetMap extract (import-osm) ---------------------------------------------------
    "street_network_needs_name": lazy_gettext("the street network needs a name"),
    "not_osm_file": lazy_gettext("not an OpenStreetMap file pyosmium can read (%(error)s)"),
    "no_walkable_way": lazy_gettext("no walkable way in the file (highway=footway, …)"),
    "way_not_walkable": lazy_gettext("not walkable by the rule (highway, foot, access, area)"),
    "node_outside_extract": lazy_gettext(
        "node %(node)s is not in the extract; edges touching it are left out"
    ),
    "repeated_node": lazy_gettext("the same node twice in a row"),
    "unreadable_wkb": lazy_gettext("unreadable WKB geometry"),
    "unknown_crs": lazy_gettext("unknown CRS '%(crs)s'"),
    "unknown_crs_code": lazy_gettext("unknown CRS %(crs)s"),
    "crs_conflict": lazy_gettext("the file declares CRS %(declared)s but %(given)s was given"),
    "crs_undeclared": lazy_gettext(
        "unknown CRS: the file declares none; give the source CRS (e.g. EPSG:3067)"
    ),
    "coordinates_out_of_range": lazy_gettext(
        "coordinates (%(x)s, %(y)s) are not a longitude in -180…180 and a latitude in -90…90"
    ),
    "reprojected_out_of_range": lazy_gettext(
        "coordinates fall outside longitude/latitude range after reprojecting from %(crs)s "
        "(got %(x)s, %(y)s); is that the file's CRS?"
    ),
    "csv_no_header": lazy_gettext("the CSV file has no header row"),
    "csv_not_utf8": lazy_gettext("not a CSV table: the file is not UTF-8 text"),
    "csv_unreadable": lazy_gettext("not a readable CSV table (%(error)s)"),
    "csv_row_length": lazy_gettext("has %(values)d values but the header has %(columns)d"),
    "geojson_not_utf8": lazy_gettext("not GeoJSON: the file is not UTF-8 text"),
    "json_invalid": lazy_gettext("not valid JSON (line %(line)d, column %(column)d: %(error)s)"),
    "not_feature_collection": lazy_gettext("not a GeoJSON FeatureCollection"),
    "no_feature_list": lazy_gettext("the FeatureCollection has no list of features"),
    "not_feature": lazy_gettext("not a GeoJSON Feature"),
    "properties_not_object": lazy_gettext("properties must be a JSON object"),
    "invalid_geojson_geometry": lazy_gettext("not a valid GeoJSON geometry (%(error)s)"),
    "gpkg_unreadable": lazy_gettext("not a readable GeoPackage (%(error)s)"),
    "gpkg_lacks": lazy_gettext("not a GeoPackage (lacks %(tables)s)"),
    "gpkg_no_layer": lazy_gettext("no layer '%(layer)s'; its layers are: %(layers)s"),
    "gpkg_no_layer_none": lazy_gettext("no layer '%(layer)s'; the file has no feature layer"),
    "gpkg_no_feature_layer": lazy_gettext("the GeoPackage has no feature layer"),
    "gpkg_several_layers": lazy_gettext("several layers, choose one of: %(layers)s"),
    "gpkg_srs_undefined": lazy_gettext(
        "unknown CRS: the layer's SRS is undefined; give the source CRS (e.g. EPSG:3067)"
    ),
    "gpkg_srs_missing": lazy_gettext("unknown CRS: srs_id %(srs_id)s is not defined in the file"),
    "gpkg_not_geometry": lazy_gettext("not a GeoPackage geometry"),
    "gpkg_extended_geometry": lazy_gettext(
        "extended (non-standard) geometry types are not supported"
    ),
    "gpkg_bad_envelope": lazy_gettext("invalid envelope code in the geometry header"),
    "parquet_unreadable": lazy_gettext("not a readable Parquet file (%(error)s)"),
    "parquet_not_wkb": lazy_gettext("geometry encoded as '%(encoding)s'; only WKB is read"),
    "parquet_no_geo": lazy_gettext("not GeoParquet: the Parquet file has no 'geo' metadata"),
    "parquet_bad_geo": lazy_gettext("unreadable GeoParquet 'geo' metadata (%(error)s)"),
    "zip_unreadable": lazy_gettext("not a readable zip file"),
    "zip_no_shapefile": lazy_gettext("the zip holds no Shapefile (.shp)"),
    "zip_no_such_shapefile": lazy_gettext(
        "no Shapefile '%(layer)s'; the zip holds: %(shapefiles)s"
    ),
    "zip_several_shapefiles": lazy_gettext("several Shapefiles, choose one of: %(shapefiles)s"),
    "shapefile_no_index": lazy_gettext(
        "the Shapefile %(shapefile)s lacks its shape index (%(file)s)"
    ),
    "shapefile_no_table": lazy_gettext(
        "the Shapefile %(shapefile)s lacks its attribute table (%(file)s)"
    ),
    "layer_no_geometry": lazy_gettext("the layer has no geometry"),
    "shapefile_unreadable": lazy_gettext("not a readable Shapefile (%(error)s)"),
    "flatgeobuf_unreadable": lazy_gettext("not a readable FlatGeobuf file (%(error)s)"),
    "child_out_of_order": lazy_gettext("the reader sent '%(received)s' before '%(expected)s'"),
    "child_killed": lazy_gettext(
        "the reader process stopped before the end of the file (killed by signal %(signal)d)"
    ),
    "child_killed_said": lazy_gettext(
        "the reader process stopped before the end of the file (killed by signal %(signal)d): "
        "%(said)s"
    ),
    "child_exited": lazy_gettext(
        "the reader process stopped before the end of the file (exit status %(status)d)"
    ),
    "child_exited_said": lazy_gettext(
        "the reader process stopped before the end of the file (exit status %(status)d): %(said)s"
    ),
    # --- Rasters --------------------------------------------------------------------------------
    "raster_unreadable": lazy_gettext("not a readable raster (%(error)s)"),
    "raster_not_georeferenced": lazy_gettext(
        "the raster is not georeferenced: it has no CRS and no transform"
    ),
    "raster_data_unreadable": lazy_gettext("unreadable raster data (%(error)s)"),
    "raster_choose_band": lazy_gettext("the raster has %(count)d bands; choose one (1–%(count)d)"),
    "raster_no_band": lazy_gettext("no band %(band)d: the raster has bands 1–%(count)d"),
    "raster_band_not_number": lazy_gettext(
        "a raster's band is chosen by its number, not '%(band)s'"
    ),
    "raster_negative": lambda params: ngettext(
        "column %(column)d holds a negative count, taken as an undeclared nodata value and "
        "skipped (%(num)d such cell in this window)",
        "column %(column)d holds a negative count, taken as an undeclared nodata value and "
        "skipped (%(num)d such cells in this window)",
        params["count"],
        column=params["column"],
    ),
    "raster_nodata_declared": lambda params: ngettext(
        "%(num)d cell holds no data (the nodata value %(nodata)s, masked or NaN); skipped",
        "%(num)d cells hold no data (the nodata value %(nodata)s, masked or NaN); skipped",
        params["count"],
        nodata=params["nodata"],
    ),
    "raster_nodata_undeclared": lambda params: ngettext(
        "%(num)d cell holds no data (no declared nodata, masked or NaN); skipped",
        "%(num)d cells hold no data (no declared nodata, masked or NaN); skipped",
        params["count"],
    ),
    "raster_zero_cells": lambda params: ngettext(
        "%(num)d cell holds 0 people; skipped, as it adds to no catchment",
        "%(num)d cells hold 0 people; skipped, as they add to no catchment",
        params["count"],
    ),
}


@dataclass(frozen=True)
class Problem:
    """What is wrong, by key and values; ``str()`` says it in the reader's language."""

    key: str | None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key is not None and self.key not in MESSAGES:
            raise KeyError(f"no import message {self.key!r}")

    def __str__(self) -> str:
        return problem_text(self.as_json())

    def as_json(self) -> dict[str, Any]:
        """As stored with a dataset's notices: a key and its values, or words from before."""
        if self.key is None:
            return {"text": self.params.get("text", "")}
        return {"key": self.key, "params": {k: _stored(v) for k, v in self.params.items()}}


def problem(key: str, /, **params: Any) -> Problem:
    """The problem ``key`` with its values (see ``MESSAGES``)."""
    return Problem(key, params)


def as_problem(said: Problem | str) -> Problem:
    """A problem as given, or words given as they are (a test's, or from before translations)."""
    return said if isinstance(said, Problem) else Problem(None, {"text": str(said)})


def problem_text(stored: Mapping[str, Any] | str | None) -> str:
    """A stored problem (``Problem.as_json``) in the reader's language."""
    if stored is None:
        return ""
    if isinstance(stored, str):
        return stored
    if "key" not in stored:
        return str(stored.get("text", ""))
    message = MESSAGES.get(stored["key"])
    params = {name: _shown(name, value) for name, value in stored.get("params", {}).items()}
    if message is None:
        return stored["key"]
    if callable(message):
        return message(params)
    return str(message) % params if params else str(message)


def _stored(value: Any) -> Any:
    """A value as JSON keeps it: problems as stored, tuples as lists, days as ISO 8601."""
    if isinstance(value, Problem):
        return value.as_json()
    if isinstance(value, list | tuple | set | frozenset):
        return [_stored(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shown(name: str, value: Any) -> Any:
    """A stored value as a sentence shows it to the reader."""
    if isinstance(value, dict):
        return problem_text(value)
    if isinstance(value, list):
        return _list(value)
    if name.endswith("_day") and isinstance(value, str):
        day = date.fromisoformat(value)
        return _("%(weekday)s %(date)s", weekday=format_weekday(day), date=day.isoformat())
    return value


def _list(values: list[Any]) -> str:
    """Items of a list as the reader separates them ("a, b, c"; "a、b、c")."""
    separator = _(", ")
    return separator.join(str(value) for value in values)
