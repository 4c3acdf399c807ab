"""The files of a GTFS feed, from a zip archive or a folder, read as checked CSV rows.

Everything about a feed as a set of CSV files is decided here: which files it must have, which
columns each must have, and what to make of a file's shape (blank lines, rows longer or shorter
than the header, columns the GTFS reference does not define, a key repeated). What a single
cell means is ``gtfs_values``'s job; what the rows mean together is ``gtfs_feed``'s.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2
(blank lines count, so the number is the line number in an editor).
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from transitreq.errors import ImportFailed
from transitreq.i18n import _
from transitreq.importers.gtfs_values import Row
from transitreq.importers.problems import Problem, problem
from transitreq.importers.report import ImportReport

Progress = Callable[[str, int, int], None]

REQUIRED_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")
PROGRESS_EVERY_ROWS = 20_000

# The files of the GTFS Schedule reference; any other .txt file is ignored and reported.
GTFS_FILES = frozenset(
    (
        "agency.txt",
        "stops.txt",
        "routes.txt",
        "trips.txt",
        "stop_times.txt",
        "calendar.txt",
        "calendar_dates.txt",
        "fare_attributes.txt",
        "fare_rules.txt",
        "timeframes.txt",
        "rider_categories.txt",
        "fare_media.txt",
        "fare_products.txt",
        "fare_leg_rules.txt",
        "fare_leg_join_rules.txt",
        "fare_transfer_rules.txt",
        "areas.txt",
        "stop_areas.txt",
        "networks.txt",
        "route_networks.txt",
        "shapes.txt",
        "frequencies.txt",
        "transfers.txt",
        "pathways.txt",
        "levels.txt",
        "location_groups.txt",
        "location_group_stops.txt",
        "booking_rules.txt",
        "translations.txt",
        "feed_info.txt",
        "attributions.txt",
    )
)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
# The columns the reference defines for each file the importer reads. A column outside these is
# most often a misspelling of one of them (``route_colour``), whose values would be silently
# lost, so it is reported (unknown_column) rather than passed over.
GTFS_COLUMNS = {
    filename: frozenset(columns.split())
    for filename, columns in {
        "stops.txt": "stop_id stop_code stop_name tts_stop_name stop_desc stop_lat stop_lon "
        "zone_id stop_url location_type parent_station stop_timezone wheelchair_boarding "
        "level_id platform_code stop_access",
        "routes.txt": "route_id agency_id route_short_name route_long_name route_desc "
        "route_type route_url route_color route_text_color route_sort_order continuous_pickup "
        "continuous_drop_off network_id cemv_support",
        "trips.txt": "route_id service_id trip_id trip_headsign trip_short_name direction_id "
        "block_id shape_id wheelchair_accessible bikes_allowed cars_allowed",
        "stop_times.txt": "trip_id arrival_time departure_time stop_id location_group_id "
        "location_id stop_sequence stop_headsign start_pickup_drop_off_window "
        "end_pickup_drop_off_window pickup_type drop_off_type continuous_pickup "
        "continuous_drop_off shape_dist_traveled timepoint pickup_booking_rule_id "
        "drop_off_booking_rule_id",
        "calendar.txt": f"service_id {_WEEKDAYS} start_date end_date",
        "calendar_dates.txt": "service_id date exception_type",
        "shapes.txt": "shape_id shape_pt_lat shape_pt_lon shape_pt_sequence shape_dist_traveled",
        "frequencies.txt": "trip_id start_time end_time headway_secs exact_times",
    }.items()
}


class FeedFiles:
    """The ``.txt`` files of a feed, from a zip archive or a folder, and the report on them."""

    def __init__(self, source: Path, report: ImportReport) -> None:
        self.name = source.name or str(source)
        self.report = report
        self._zip: zipfile.ZipFile | None = None
        if source.is_dir():
            self._paths: dict[str, Path | str] = {p.name: p for p in source.glob("*.txt")}
        elif source.is_file():
            self._paths = self._open_zip(source)
        else:
            raise self.error("io_error", problem("no_such_file_or_folder"))

    def _open_zip(self, source: Path) -> dict[str, Path | str]:
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise self.error("io_error", problem("not_zip_or_folder")) from error
        members = [PurePosixPath(n) for n in self._zip.namelist() if n.endswith(".txt")]
        # A feed zipped with its folder keeps the files one level down: read the folder that
        # holds stops.txt, the shallowest one if several do.
        holders = [member.parent for member in members if member.name == "stops.txt"]
        top = min(holders, key=lambda folder: len(folder.parts), default=PurePosixPath("."))
        return {member.name: str(member) for member in members if member.parent == top}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, filename: str) -> bool:
        return filename in self._paths

    def error(
        self,
        code: str,
        said: Problem,
        filename: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> ImportFailed:
        return self.report.error(code, said, file=filename, row=row, field=column)

    def warn(
        self,
        code: str,
        said: Problem,
        filename: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.report.warn(code, said, file=filename, row=row, field=column, value=value)

    def check_files(self) -> None:
        """Refuse a feed without the files the importer needs; report the files GTFS lacks."""
        for filename in REQUIRED_FILES:
            if not self.has(filename):
                said = problem("missing_file", file=filename, needed=list(REQUIRED_FILES))
                raise self.error("missing_required_file", said)
        if not any(self.has(filename) for filename in CALENDAR_FILES):
            said = problem("missing_calendar")
            raise self.error("missing_calendar_and_calendar_date_files", said)
        for filename in sorted(self._paths.keys() - GTFS_FILES):
            self.report.info("unknown_file", problem("unknown_file"), file=filename)

    def _open(self, filename: str) -> tuple[IO[bytes], int]:
        member = self._paths[filename]
        if self._zip is not None:
            return self._zip.open(str(member)), self._zip.getinfo(str(member)).file_size
        path = Path(member)
        return path.open("rb"), path.stat().st_size

    def rows(
        self,
        filename: str,
        required: tuple[str, ...],
        progress: Progress | None = None,
        quiet: bool = False,
    ) -> Iterator[Row]:
        """The data rows of one file, once its header has every ``required`` column.

        ``quiet`` reads a file again without reporting anything a first reading reported.
        """
        binary, size = self._open(filename)
        with binary:
            records = csv.reader(self._lines(filename, binary))
            try:
                checked = self._checked_rows(filename, required, records, quiet)
                for count, row in enumerate(checked, start=1):
                    if progress is not None and count % PROGRESS_EVERY_ROWS == 0:
                        progress(_("Reading %(file)s", file=filename), binary.tell(), size)
                    yield row
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                said = problem("unreadable_member", error=str(error))
                raise self.error("io_error", said, filename, records.line_num or None) from error
        if progress is not None:
            progress(_("Reading %(file)s", file=filename), size, size)

    def _checked_rows(self, filename, required, records, quiet: bool) -> Iterator[Row]:
        """The rows after the header, with CSV errors reported at their row."""
        try:
            columns = self._header(filename, next(records, []), required, quiet)
            for values in records:
                number = records.line_num
                if not "".join(values).strip():
                    if not quiet:
                        self.warn("empty_row", problem("blank_row"), filename, number)
                    continue
                if len(values) != len(columns) and not quiet:
                    self._check_length(filename, number, values, len(columns))
                yield Row(self, filename, columns, number, values, quiet)
        except csv.Error as error:
            said = problem("not_csv", error=str(error))
            raise self.error("csv_parsing_failed", said, filename, records.line_num) from error

    def _header(self, filename, names: list[str], required, quiet: bool) -> dict[str, int]:
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            if name.strip() in columns:
                said = problem("column_twice")
                raise self.error("duplicated_column", said, filename, 1, name.strip())
            columns[name.strip()] = index
        if missing := next((name for name in required if name not in columns), None):
            raise self.error(
                "missing_required_column", problem("column_missing"), filename, None, missing
            )
        if not quiet:
            for name in columns.keys() - GTFS_COLUMNS.get(filename, columns.keys()):
                self.warn("unknown_column", problem("unknown_column"), filename, 1, name)
        return columns

    def _check_length(self, filename: str, number: int, values: list[str], width: int) -> None:
        """A row longer than its header with values past the end cannot be read: a value with
        an unquoted comma has shifted every value after it. Missing or blank cells at the end
        are only blank."""
        if any(value.strip() for value in values[width:]):
            said = problem("row_too_long", values=len(values), columns=width)
            raise self.error("invalid_row_length", said, filename, number)
        said = problem("row_length_blank", values=len(values), columns=width)
        self.warn("invalid_row_length", said, filename, number)

    def _lines(self, filename: str, binary: IO[bytes]) -> Iterator[str]:
        """Decoded line by line, so that a bad byte is reported at its own row."""
        for number, line in enumerate(binary, start=1):
            try:
                yield line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise self.error(
                    "csv_parsing_failed", problem("not_utf8"), filename, number
                ) from error


class KeyedRows:
    """The rows of one file by primary key: the first row of each key is read, a later row that
    repeats it exactly is collapsed with a warning (duplicate_row), and a later row with the same
    key and different content refuses the feed (duplicate_key), naming a value that differs.

    Only a 64-bit digest of each row is kept, so that a file of millions of rows stays cheap;
    the earlier row is read again only to explain a refusal.
    """

    def __init__(self, files: FeedFiles, filename: str, column: str, key_of: Callable) -> None:
        self._files = files
        self._filename = filename
        # The key's first column, which a duplicate is reported at.
        self._column = column
        self._key_of: Callable[[Row], Hashable] = key_of
        self._digests: dict[Hashable, int] = {}

    def first(self, row: Row) -> Hashable | None:
        """The row's key, or None for an exact copy of an earlier row (to be left out)."""
        key = self._key_of(row)
        digest = hash(row.content())
        earlier = self._digests.get(key)
        if earlier is None:
            self._digests[key] = digest
            return key
        if earlier == digest:
            row.warn("duplicate_row", self._column, problem("duplicate_row"), _shown_key(key))
            return None
        raise self._conflict(row, key)

    def _conflict(self, row: Row, key: Hashable) -> ImportFailed:
        rows = self._files.rows(self._filename, (), quiet=True)
        try:
            first = next(earlier for earlier in rows if self._key_of(earlier) == key)
        finally:
            rows.close()
        header = sorted(row.columns, key=row.columns.__getitem__)
        differs = next((c for c in header if first.text(c) != row.text(c)), None)
        said = (
            problem(
                "duplicate_key_differs",
                key=_shown_key(key),
                row=first.number,
                column=differs,
                there=first.text(differs),
                here=row.text(differs),
            )
            if differs
            else problem("duplicate_key", key=_shown_key(key), row=first.number)
        )
        return row.error("duplicate_key", self._column, said)


def _shown_key(key: Hashable) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(str(part) for part in parts)
