"""Databases built once per test process and copied for each test that asks for one.

Migrating a database takes about a second and loading the demo city five; copying a finished
one takes a few milliseconds (a SpatiaLite file) or 0.15 s (``CREATE DATABASE … TEMPLATE`` on
PostgreSQL). A test still gets a database of its own, built by the same code as before, and may
write to it as it likes: the template is never opened again once built.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests import databases
from transitreq import migrate
from transitreq.db import make_engine, make_sessionmaker
from transitreq.importers.demo_city import seed_demo_city

# A template holds the migrated schema, empty, or with the demo city ("demo", or "demo:en" for
# the demo written in one language rather than the default one).
MIGRATED = "migrated"


class TemplateDatabases:
    """The templates of one test process, per backend and content, built on first use and
    dropped when the process ends."""

    def __init__(self) -> None:
        self._urls: dict[tuple[str, str], str] = {}
        self._folder: Path | None = None
        self._postgis: list[str] = []

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="transitreq-templates-"))
        return self._folder

    def template(self, backend: str, content: str = MIGRATED) -> str:
        """The URL of the template holding ``content`` (MIGRATED, or "demo" / "demo:LANG")."""
        key = (backend, content)
        if key not in self._urls:
            if backend == "postgis":
                url = databases.create_postgis_database()
                self._postgis.append(url)
            else:
                url = databases.spatialite_database(self.folder())
            engine = make_engine(url)
            migrate.upgrade(engine)
            if content != MIGRATED:
                kind, _, language = content.partition(":")
                assert kind == "demo", content
                session = make_sessionmaker(engine)()
                seed_demo_city(session, language or None)
                session.close()
            # No connection may stay open on a PostgreSQL template; a SpatiaLite file is whole
            # (its write-ahead log checkpointed) once the last connection closes.
            engine.dispose()
            self._urls[key] = url
        return self._urls[key]

    def copy(self, backend: str, content: str = MIGRATED, directory: Path | None = None) -> str:
        """A new database holding what the template holds; its URL. A SpatiaLite copy goes into
        ``directory`` (the test's own), a PostGIS one must be given back to ``drop``."""
        source = self.template(backend, content)
        if backend == "postgis":
            name = f"transitreq_test_{uuid.uuid4().hex[:10]}"
            template_name = make_url(source).database
            engine = databases.server_engine()
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
            finally:
                engine.dispose()
            return make_url(source).set(database=name).render_as_string(hide_password=False)
        target = (directory or self.folder()) / f"transitreq-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(make_url(source).database, target)
        return f"sqlite:///{target}"

    @staticmethod
    def drop(url: str) -> None:
        if url.startswith("postgresql"):
            databases.drop_postgis_database(url)

    def drop_all(self) -> None:
        for url in self._postgis:
            databases.drop_postgis_database(url)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


TEMPLATES = TemplateDatabases()
atexit.register(TEMPLATES.drop_all)
