"""Reading with GDAL in a child process that never loads SpatiaLite, the rows streamed back.

pyogrio and rasterio each bundle their own GDAL, GEOS, PROJ and SQLite. SQLite loads
mod_spatialite with RTLD_GLOBAL, which puts the system's GEOS, PROJ and SQLite into the global
symbol scope; a bundled library that binds to those crashes. Measured here (pyogrio 0.13 with
GDAL 3.12, rasterio 1.4 with GDAL 3.10, SpatiaLite 5.0.1): with a SpatiaLite connection open,
rasterio opening any GeoTIFF and pyogrio reading a GeoPackage killed the process with SIGSEGV.
Imported before SpatiaLite they worked, but no import order can be promised in every process
that imports (a web worker, the test runner, a notebook), so these readers run apart.

The child is ``child/run.py``, started with this interpreter; ``child/reader_protocol.py`` says
what the two say to each other. Rows arrive as the child reads them, so memory stays a few
pages deep on both sides, and the child is killed if the parent stops early (a refused row).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from transitreq.errors import ImportFailed
from transitreq.importers.problems import Problem, problem
from transitreq.importers.readers.child.reader_protocol import END, FAILED

CHILD_SCRIPT = Path(__file__).with_name("child") / "run.py"
Message = tuple[str, dict[str, Any]]


class _PlainValues(pickle.Unpickler):
    """Unpickles only built-in values: no class or function may be named in a message."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a reader child may not send {module}.{name}")


@contextmanager
def messages_from_child(source: str, reader: str, arguments: dict[str, Any]) -> Iterator[Messages]:
    """Start the ``reader`` child on ``arguments``; yields its messages, FAILED raised as
    ImportFailed naming ``source``. The child is gone when the block ends, however it ends."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        try:
            _send_request(process, {"reader": reader, "arguments": arguments})
            yield Messages(source, process, errors)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _send_request(process: subprocess.Popen, request: dict[str, Any]) -> None:
    try:
        process.stdin.write(json.dumps(request).encode())
        process.stdin.close()
    except BrokenPipeError:
        pass  # the child died at once; reading its first message says how


class Messages:
    """The child's messages in order: ``expect`` one of a kind, or iterate to the END."""

    def __init__(self, source: str, process: subprocess.Popen, errors: IO[bytes]) -> None:
        self.source = source
        self._process = process
        self._errors = errors

    def expect(self, kind: str) -> dict[str, Any]:
        """The next message, which must be of ``kind`` (the child's refusal raises instead)."""
        received, payload = self._next()
        if received != kind:
            said = problem("child_out_of_order", received=received, expected=kind)
            raise ImportFailed(self.source, said)
        return payload

    def __iter__(self) -> Iterator[Message]:
        """Every message up to END (not included)."""
        while (message := self._next())[0] != END:
            yield message

    def _next(self) -> Message:
        # A fresh unpickler per message: each was pickled with a fresh memo, and one unpickler's
        # memo would let a later message's references fetch an earlier message's objects.
        try:
            kind, payload = _PlainValues(self._process.stdout).load()
        except EOFError:
            raise ImportFailed(self.source, self._why_the_child_stopped()) from None
        if kind == FAILED:
            said = Problem(payload["key"], payload["params"])
            raise ImportFailed(self.source, said, payload["row"], payload["field"])
        return kind, payload

    def _why_the_child_stopped(self) -> Problem:
        code = self._process.wait()
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        how = {"signal": -code} if code < 0 else {"status": code}
        key = "child_killed" if code < 0 else "child_exited"
        if lines:
            return problem(f"{key}_said", said=lines[-1], **how)
        return problem(key, **how)
