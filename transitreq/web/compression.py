"""Responses compressed with brotli or gzip (Flask-Compress), whichever the browser accepts.

A map layer of JSON, a CSV export or a script shrinks three- to tenfold; what is left alone, on
purpose: **HTML pages**, which carry the CSRF token beside text the visitor sent (a refused
form comes back filled in, a search is echoed): compressing a secret together with
attacker-chosen text lets the compressed length reveal the secret a guess at a time (BREACH),
and a page is 15 KB without compression anyway; bodies under ``MIN_SIZE`` bytes (the
compressed frame would cost more than it saves); photos (JPEG is compressed already); answers
other than 2xx (a ``304 Not Modified`` has no body); and responses that already carry a
``Content-Encoding``. JSON answers hold no secret of the session. A streamed body (our static
files, a streamed export) is compressed as it streams, with brotli only, and still streams; a
browser that does not take brotli gets it as it was. ``Vary: Accept-Encoding`` goes on every
answer.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIN_SIZE = 1024
COMPRESSED_TYPES = (
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
)

compress = Compress()


def init_app(app: Flask) -> None:
    # Brotli's level 4 compresses about as well as gzip's 6 in a fraction of the time; the
    # higher levels cost milliseconds per response for a few per cent.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", MIN_SIZE)
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    compress.init_app(app)
