"""Validated population units, held on disk between checking a file and writing it.

An import checks the whole file before it touches the database, so a bad row anywhere leaves
nothing behind. Held in memory, a raster's million cells would be millions of Python objects;
instead each checked chunk is pickled to a temporary file and read back chunk by chunk while
writing, so memory stays one chunk deep whatever the size of the file.
"""

from __future__ import annotations

import math
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import numpy as np
import shapely

from transitreq.geo.metric import BoundingBox


@dataclass(frozen=True)
class UnitChunk:
    """Units as the database takes them: WKB, head counts, and extra counts (None if blank)."""

    wkb: list[bytes]
    population: list[float]
    extras: list[tuple[float | None, ...]]


@contextmanager
def unit_spool() -> Iterator[UnitSpool]:
    """An empty spool, its temporary file removed when the block ends."""
    with tempfile.TemporaryFile() as file:
        yield UnitSpool(file)


class UnitSpool:
    """Chunks of checked units in a temporary file, with the totals the dataset records."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self.kind: str | None = None
        self.count = 0
        self._chunk_sums: list[float] = []
        self._bounds: np.ndarray | None = None

    def add(
        self,
        geometries: np.ndarray,
        population: list[float],
        extras: list[tuple[float | None, ...]],
    ) -> None:
        chunk = UnitChunk(shapely.to_wkb(geometries).tolist(), population, extras)
        pickle.dump(chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(chunk.wkb)
        self._chunk_sums.append(math.fsum(population))
        bounds = shapely.total_bounds(geometries)
        if self._bounds is None:
            self._bounds = bounds
        else:
            self._bounds = np.concatenate(
                [np.minimum(self._bounds[:2], bounds[:2]), np.maximum(self._bounds[2:], bounds[2:])]
            )

    @property
    def total_population(self) -> float:
        return math.fsum(self._chunk_sums)

    @property
    def extent(self) -> BoundingBox | None:
        """The lon/lat box around every unit (None while there are none)."""
        return None if self._bounds is None else BoundingBox(*map(float, self._bounds))

    def chunks(self) -> Iterator[UnitChunk]:
        """The chunks in the order they were added."""
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return
