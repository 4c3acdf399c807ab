"""Engines and sessions for both supported databases.

SQLite + SpatiaLite is the zero-configuration default and PostgreSQL + PostGIS the production
database; everything above this module sees one SQLAlchemy ``Session`` either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Load Shapely's and pyproj's own GEOS and PROJ before any SpatiaLite connection exists. SQLite
# loads mod_spatialite with RTLD_GLOBAL, which puts the system GEOS and PROJ into the global
# symbol scope; a wheel imported after that would bind its calls to those (older) libraries and
# corrupt memory. Imported first, each wheel is bound to its own copy for good.
import pyproj  # noqa: F401, I001
import shapely  # noqa: F401
from sqlalchemy import Engine, Executable, Result, Table
from sqlalchemy.orm import Session, sessionmaker

from transitreq.backends import backend_for_url, backend_of


def normalise_database_url(url: str) -> str:
    """The URL with our driver for its database (see ``backends``)."""
    return backend_for_url(url)[1]


def embedded_database_url(instance_path: str, filename: str) -> str:
    """The default database: a SpatiaLite file in the Flask instance folder."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / filename}"


def make_engine(url: str, extra_srids: tuple[int, ...] = ()) -> Engine:
    """Create an engine for ``url`` with the spatial extension ready on every connection."""
    backend, url = backend_for_url(url)
    return backend.create_engine(url, extra_srids)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (views render after the service)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One use case, one transaction: commit when the block succeeds, roll back on any error.

    Services wrap their writes in this so that a domain error half-way leaves nothing behind.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def upsert(session: Session, table: Table) -> Any:
    """An INSERT into ``table`` that can take ``on_conflict_do_update`` and ``returning``."""
    return backend_of(session).upsert(table)


def execute_built(session: Session, statement: Executable, values: dict[str, Any]) -> Result:
    """Run a statement built once with bound parameters (``geo/bound_site.py``) for its rows.

    It goes to the session's connection directly: the ORM's per-call work costs more than the
    indexed queries of an evaluation. Pending changes are flushed first, as the ORM would, so
    a request added in this transaction is counted.
    """
    session.flush()
    return session.connection().execute(statement, values)
