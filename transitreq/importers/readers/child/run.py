"""The reader child: reads one file with a GDAL binding and streams what it read to the parent.

Started by ``readers/child_process.py`` as a plain script, so nothing of transitreq is imported
here: the package's ``__init__`` would bring Flask, the models and sqlean for no use, and the
point of this process is that SQLite's SpatiaLite is never loaded in it. Every module in this
folder runs only in the child and imports only the standard library, numpy and its binding.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import sys
from pathlib import Path

# This folder is first on the path of a script anyway, unless PYTHONSAFEPATH says otherwise.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reader_protocol import END, FAILED, READERS, Refused  # noqa: E402


def main() -> int:
    request = json.load(sys.stdin)
    # The messages get the real standard output to themselves; anything a library prints
    # (GDAL's C code writes to file descriptor 1 as well) goes to standard error instead.
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    reader = importlib.import_module(READERS[request["reader"]])
    try:
        for message in reader.read(**request["arguments"]):
            _send(answer, message)
        _send(answer, (END, {}))
    except Refused as refusal:
        _send(answer, (FAILED, refusal.payload()))
    answer.close()
    return 0


def _send(answer, message: tuple[str, dict]) -> None:
    pickle.dump(message, answer, protocol=pickle.HIGHEST_PROTOCOL)
    answer.flush()


if __name__ == "__main__":
    sys.exit(main())
