"""Engines and sessions for both supported databases.

SQLite + SpatiaLite is the zero-configuration default and PostgreSQL + PostGIS the production
database; everything above this module sees one SQLAlchemy ``Session`` either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Load Shapely's and pyproj's own GEOS and PROJ before any SpatiaLite connection exists. SQLite
# loads mod_spatialite with RTLD_GLOBAL, which puts the system GEOS and PROJ into the global
# symbol scope; a wheel imported after that would bind its calls to those (older) libraries and
# corrupt memory. Imported first, each wheel is bound to its own copy for good.
import pyproj  # noqa: F401, I001
import shapely  # noqa: F401
import sqlean
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SPATIALITE_MODULE = "mod_spatialite"


def normalise_database_url(url: str) -> str:
    """Pick our drivers: psycopg 3 for PostgreSQL, sqlean's SQLite for SQLite.

    Python's own ``sqlite3`` on our machines is compiled without extension loading, so it cannot
    load SpatiaLite; ``sqlean.py`` bundles a SQLite build that can, behind the same DB-API.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported DATABASE_URL {url!r}: use postgresql://… or sqlite:///…")


def embedded_database_url(instance_path: str, filename: str) -> str:
    """The default database: a SpatiaLite file in the Flask instance folder."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / filename}"


def _spatialite_preparer(extra_srids: tuple[int, ...]):
    """A connect hook that loads SpatiaLite and makes sure its reference tables are ready.

    ``InitSpatialMetaData`` runs once per database file, in WGS84 mode: it registers SRID 4326
    and the UTM zones our metric calculations project into, without the slow full EPSG import;
    a configured metric CRS outside that set is added from SpatiaLite's own EPSG table.
    """

    def prepare(dbapi_connection, _record) -> None:
        dbapi_connection.enable_load_extension(True)
        dbapi_connection.load_extension(SPATIALITE_MODULE)
        dbapi_connection.enable_load_extension(False)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Web requests and CLI imports may touch the file at once: wait rather than fail.
        cursor.execute("PRAGMA busy_timeout = 10000")
        if cursor.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
            cursor.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
        for srid in extra_srids:
            known = "SELECT count(*) FROM spatial_ref_sys WHERE srid = ?"
            if cursor.execute(known, (srid,)).fetchone()[0] == 0:
                cursor.execute("SELECT InsertEpsgSrid(?)", (srid,))
        cursor.close()

    return prepare


def make_engine(url: str, extra_srids: tuple[int, ...] = ()) -> Engine:
    """Create an engine for ``url`` with the spatial extension ready on every connection."""
    url = normalise_database_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, module=sqlean.dbapi2)
        event.listen(engine, "connect", _spatialite_preparer(tuple(s for s in extra_srids if s)))
        return engine
    # Parallel workers start as fresh processes without PostGIS's PROJ and geometry caches, so a
    # transform-heavy query pays ~20 ms of set-up per worker: far more than parallelism saves on
    # the short, index-driven queries a web request makes.
    return create_engine(
        url, pool_pre_ping=True, connect_args={"options": "-c max_parallel_workers_per_gather=0"}
    )


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
