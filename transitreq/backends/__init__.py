"""The databases transitreq runs on, each behind one ``Backend``: ``backend_of`` gives the one
an engine or session uses, ``backend_for_url`` the one a database URL names."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from transitreq.backends.base import Backend
from transitreq.backends.postgis import PostGIS
from transitreq.backends.spatialite import SpatiaLite

# SQLAlchemy's backend name → ours, and the driver each is used through.
_BACKENDS: dict[str, tuple[Backend, str]] = {
    "postgresql": (PostGIS(), "postgresql+psycopg"),
    "sqlite": (SpatiaLite(), "sqlite+pysqlite"),
}


def backend_for_url(url: str) -> tuple[Backend, str]:
    """The backend a database URL names, and the URL with our driver for it (psycopg 3 for
    PostgreSQL, sqlean's SQLite for SQLite)."""
    parsed = make_url(url)
    found = _BACKENDS.get(parsed.get_backend_name())
    if found is None:
        raise ValueError(f"unsupported DATABASE_URL {url!r}: use postgresql://… or sqlite:///…")
    backend, driver = found
    return backend, parsed.set(drivername=driver).render_as_string(hide_password=False)


def backend_of(bind: Session | Engine | Connection) -> Backend:
    """The backend of the database a session, engine or connection talks to."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return _BACKENDS[engine.dialect.name][0]


__all__ = ["Backend", "backend_for_url", "backend_of"]
