"""What a reader child and its parent say to each other (``readers/child_process.py``).

The request is one JSON object on the child's standard input: ``{"reader": …, "arguments":
{…}}``. The answer is a sequence of pickled ``(kind, payload)`` tuples on its standard output:
``LAYER`` first (what the file holds), then any number of ``CHUNK`` (rows, or a raster's cells),
and last ``END``, or ``FAILED`` when the file is refused. Payloads hold only plain Python values
(dicts, lists, str, bytes, numbers, None): numeric arrays travel as bytes, so the parent can
unpickle with every class refused and a hostile file cannot smuggle code across.

This module is imported in both processes; it imports nothing itself.
"""

LAYER = "layer"
CHUNK = "chunk"
END = "end"
FAILED = "failed"

# Reader names a parent may ask for, and the module in this folder that reads each.
READERS = {"vector": "vector_source", "raster": "raster_source"}


class Refused(Exception):
    """A file the child cannot read: the parent raises ImportFailed saying the problem ``key``
    of ``transitreq/importers/problems.py`` with ``params``, in the reader's language (the child
    knows no language: it imports nothing of transitreq)."""

    def __init__(
        self,
        key: str,
        row: int | None = None,
        field: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.row = row
        self.field = field

    def payload(self) -> dict:
        return {"key": self.key, "params": self.params, "row": self.row, "field": self.field}
