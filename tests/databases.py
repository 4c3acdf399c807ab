"""Real throwaway databases for the tests: a SpatiaLite file and a PostGIS database.

PostgreSQL must be reachable (127.0.0.1:5432, trust auth, or TEST_POSTGRES_URL): the suite fails
rather than skips without it, so a green run always means both backends were exercised.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from transitreq.db import make_engine, make_sessionmaker
from transitreq.models import Base

SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Children first, so plain DELETEs respect foreign keys on both backends.
TABLES_IN_DELETE_ORDER = tuple(table.name for table in reversed(Base.metadata.sorted_tables))


def server_engine():
    url = make_url(SERVER_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_postgis_database() -> str:
    """A new, empty database on the test server; returns its URL."""
    name = f"transitreq_test_{uuid.uuid4().hex[:10]}"
    engine = server_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach PostGIS must fail the run
        pytest.fail(
            f"PostgreSQL at {SERVER_URL} is unreachable ({error.__class__.__name__}: {error}); "
            "the suite needs a real PostGIS and does not skip without it.",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgis_database(url: str) -> None:
    name = make_url(url).database
    engine = server_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def terminate_backends(url: str) -> int:
    """End every session connected to the database at ``url``, as an administrator, a failover
    or a restart would; returns how many there were."""
    name = make_url(url).database
    engine = server_engine()
    try:
        with engine.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        engine.dispose()
    return ended


def spatialite_database(directory: Path) -> str:
    return f"sqlite:///{directory / f'transitreq-{uuid.uuid4().hex[:8]}.db'}"


def empty_all_tables(engine) -> None:
    """Remove every row, and restart ids so references are predictable in each test.

    Only the tables a test wrote to are emptied: on PostgreSQL a TRUNCATE of every table (each a
    new file on disk) took 0.6 s before every test, most of them for tables nobody touched.
    """
    with engine.begin() as connection:
        written = [
            table
            for table in TABLES_IN_DELETE_ORDER
            if connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar()
        ]
        if engine.dialect.name == "postgresql":
            if written:
                connection.execute(text(f"TRUNCATE {', '.join(written)} CASCADE"))
            # Ids drawn by a test whose rows were rolled back count too.
            connection.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                    "FROM pg_sequences WHERE last_value IS NOT NULL"
                )
            )
        else:
            for table in written:
                connection.execute(text(f"DELETE FROM {table}"))


def assert_uses_spatial_index(
    session, statement, postgis_index: str, values: dict | None = None
) -> None:
    """The statement's plan reads the spatial index: GiST on PostGIS, the R*Tree on SpatiaLite.

    Tiny test tables are cheaper to scan, so PostGIS is forbidden sequential scans first: the
    check proves the index can answer the query, as it will on a large table. ``values`` fill
    the bound parameters of a statement built once (``geo/bound_site.py``).
    """
    dialect = session.get_bind().dialect
    if values:
        statement = statement.params(values)
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
        assert postgis_index in plan, plan
    else:
        steps = [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        # The R*Tree answers through the virtual table's own index, not a scan of every row.
        assert any(step.startswith("SCAN SpatialIndex VIRTUAL TABLE INDEX") for step in steps)
    session.rollback()


@contextmanager
def loaded_on_each_backend(folder: Path, load: Callable[[str, str], None]) -> Iterator[dict]:
    """One database per backend, filled once by ``load(backend, url)`` and shared read-only by
    the tests that ask for it: yields a sessionmaker per backend, drops both afterwards."""
    postgis_url = create_postgis_database()
    urls = {"spatialite": spatialite_database(folder), "postgis": postgis_url}
    engines = {}
    try:
        for backend, url in urls.items():
            load(backend, url)
            engines[backend] = make_engine(url)
        yield {backend: make_sessionmaker(engine) for backend, engine in engines.items()}
    finally:
        for engine in engines.values():
            engine.dispose()
        drop_postgis_database(postgis_url)
