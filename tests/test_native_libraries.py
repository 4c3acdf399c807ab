"""SpatiaLite, Shapely and pyproj each bring a GEOS and a PROJ; one process must survive all three.

SQLite loads mod_spatialite into the global symbol scope, so a wheel imported afterwards could
bind to the system's libraries and corrupt memory (seen as a crash at exit). This runs the
risky order in a fresh interpreter: open SpatiaLite first, then do Shapely and pyproj work.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_spatialite_first_then_shapely_and_pyproj_work_and_exit_cleanly(tmp_path):
    script = textwrap.dedent(
        f"""
        from transitreq.db import make_engine, make_sessionmaker
        from transitreq import migrate
        engine = make_engine("sqlite:///{tmp_path / "order.db"}")
        migrate.upgrade(engine)
        from transitreq.importers.demo_city import seed_demo_city
        session = make_sessionmaker(engine)()
        print(seed_demo_city(session)["stops"])
        session.close()
        engine.dispose()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 50
