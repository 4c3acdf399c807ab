"""HTTP caching of the public map layers: a weak ``ETag`` made from what the layer was drawn
from, and ``304 Not Modified`` when the browser already holds it, before any feature is read.

The tag is a digest of the layer's data version (``services/analysis/map_versions.py``, read
from the database, so every worker agrees), the query (box, zoom), the reader's language (the
features carry translated labels) and ``FORMAT``, raised whenever the JSON's shape changes. It
is weak (``W/``): the same layer gzip- or brotli-compressed is the same answer, and a weak tag
is the one the compression step leaves alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, make_response, request

from transitreq.i18n import html_lang
from transitreq.services.analysis.map_versions import layer_version
from transitreq.web.database import db_session

# The JSON's shape; raise it when features gain or change fields.
FORMAT = "2"
# Residents' requests and new stops change any minute (a resident's own request must be on the
# map when they come back to it): always revalidated, which costs a 304. Lines, stops and
# service areas change with an import: browsers and shared caches may keep them five minutes.
CACHE_CONTROL = {
    "requests": "public, no-cache",
    "new_stops": "public, no-cache",
    "routes": "public, max-age=300",
    "stops": "public, max-age=300",
    "service_areas": "public, max-age=300",
}


def layer_etag(layer: str) -> str:
    """The weak tag of ``layer`` as this request asks for it."""
    query = "&".join(f"{key}={value}" for key, value in sorted(request.args.items(multi=True)))
    version = "|".join((FORMAT, layer, html_lang(), query, *layer_version(db_session(), layer)))
    return hashlib.sha256(version.encode()).hexdigest()[:32]


def cached_layer(layer: str) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Decorate a layer's view: answer 304 when the browser's copy is current, else the view's
    answer with the tag and ``Cache-Control`` (errors get neither)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def cached(*args: Any, **kwargs: Any) -> Response:
            etag = layer_etag(layer)
            if request.if_none_match.contains_weak(etag):
                response = Response(status=304)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
            response.set_etag(etag, weak=True)
            response.headers["Cache-Control"] = CACHE_CONTROL[layer]
            return response

        return cached

    return decorate
