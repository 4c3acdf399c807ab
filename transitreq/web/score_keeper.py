"""Keeps request scores up to date from inside each web process, while it has nothing else to do.

Filing and supporting only mark scores due (``services/analysis/scores.py``): computing one takes
tens of milliseconds that residents should not wait for, and that a burst of filings should not
queue behind. Each process (each gunicorn worker, or ``flask run``) starts one daemon thread on
its first request; every ``SCORE_KEEPER_INTERVAL_S`` it scores due requests a few at a time, but
only while the process serves no request, and it stops between two requests' scores as soon as
one arrives. No extra service to run: ``make run`` and gunicorn alike get it, and several
workers share the work through the database (the worst case is one small batch scored twice).
The review queue scores on demand whatever is still unscored on the page it shows.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from transitreq.services.analysis.scores import score_due

EXTENSION_KEY = "transitreq.score_keeper"
# Requests scored between two looks at whether the process became busy.
KEEPER_BATCH = 4
log = logging.getLogger(__name__)


class ScoreKeeper:
    """One per process; counts the requests in flight so it only works when there are none."""

    def __init__(self, make_session: sessionmaker[Session], interval_s: float, idle_s: float):
        self._make_session = make_session
        self._interval_s = interval_s
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_done = time.monotonic()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scored = 0

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            if self._pid != os.getpid():
                # First request of this process (a forked gunicorn worker has no thread yet).
                self._pid = os.getpid()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="score-keeper", daemon=True)
                self._thread.start()

    def request_finished(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._last_done = time.monotonic()

    def idle(self) -> bool:
        with self._lock:
            quiet_s = time.monotonic() - self._last_done
            return self._in_flight == 0 and quiet_s >= self._idle_s and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            if not self.idle():
                continue
            session = self._make_session()
            try:
                self.scored += score_due(session, keep_going=self.idle, batch=KEEPER_BATCH)
            except SQLAlchemyError:
                # The database is away or busy: the next round tries again.
                log.warning("scoring due requests failed; trying again later", exc_info=True)
                session.rollback()
            finally:
                session.close()


def init_app(app: Flask) -> None:
    """Start keeping scores unless ``SCORE_IN_BACKGROUND`` says not (tests, by default, score
    when they choose)."""
    enabled = app.config.get("SCORE_IN_BACKGROUND")
    if enabled is None:
        enabled = not app.testing
    elif isinstance(enabled, str):  # from the environment
        enabled = enabled.strip().lower() in ("1", "true", "yes", "on")
    if not enabled:
        return
    keeper = ScoreKeeper(
        app.extensions["transitreq.sessionmaker"],
        float(app.config["SCORE_KEEPER_INTERVAL_S"]),
        float(app.config["SCORE_KEEPER_IDLE_S"]),
    )
    app.extensions[EXTENSION_KEY] = keeper
    app.before_request(keeper.request_started)

    @app.teardown_request
    def _finished(_error: BaseException | None = None) -> None:
        keeper.request_finished()
