"""A request's supporter count is kept by the database (migration 0023's triggers), so the
planners' queue can sort 50,000 requests by it without counting. It must equal the supports
however they are written: through the service, by a merge, by plain SQL, and by two residents
at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import delete, func, insert, select, update

from tests.factories import add_service_area, file_request
from transitreq.db import make_sessionmaker
from transitreq.models import StopRequest, Support
from transitreq.services.requests.filing import support_request


def _stored_and_counted(session, stop_request: StopRequest) -> tuple[int, int]:
    stored = session.scalar(
        select(StopRequest.supporter_count).where(StopRequest.id == stop_request.id)
    )
    counted = session.scalar(
        select(func.count(Support.id)).where(Support.request_id == stop_request.id)
    )
    return stored, counted


def test_the_count_follows_every_support_however_it_is_written(session):
    add_service_area(session)
    first = file_request(session)
    second = file_request(session, title="Another corner")
    assert _stored_and_counted(session, first) == (0, 0)

    supported = support_request(session, first.reference, "ana@example.org")
    assert supported.supporter_count == 1  # the answer the resident sees is up to date
    support_request(session, first.reference, "+358 40 123 4567")
    support_request(session, first.reference, "ANA@example.org")  # the same person: no change
    assert _stored_and_counted(session, first) == (2, 2)

    session.execute(insert(Support).values(request_id=first.id, contact="sql@example.org"))
    assert _stored_and_counted(session, first) == (3, 3)
    session.execute(delete(Support).where(Support.contact == "ana@example.org"))
    assert _stored_and_counted(session, first) == (2, 2)
    session.execute(
        update(Support).where(Support.contact == "sql@example.org").values(request_id=second.id)
    )
    assert _stored_and_counted(session, first) == (1, 1)
    assert _stored_and_counted(session, second) == (1, 1)
    session.commit()

    session.execute(delete(StopRequest).where(StopRequest.id == second.id))
    session.commit()
    assert session.scalar(select(func.count(Support.id))) == 1


def test_two_residents_supporting_at_once_are_both_counted(session, engine):
    """The first support's transaction is still open when the second arrives: the second waits
    for the row and adds to the count the first left, rather than both writing 1."""
    add_service_area(session)
    filed = file_request(session)
    session.commit()
    first = make_sessionmaker(engine)()
    first.execute(insert(Support).values(request_id=filed.id, contact="first@example.org"))

    def second_resident() -> None:
        second = make_sessionmaker(engine)()
        second.execute(insert(Support).values(request_id=filed.id, contact="second@example.org"))
        second.commit()
        second.close()

    racing = threading.Thread(target=second_resident)
    racing.start()
    racing.join(timeout=0.5)  # blocked behind the first, on either backend
    first.commit()
    first.close()
    racing.join(timeout=30)
    assert not racing.is_alive()
    session.expire_all()
    assert _stored_and_counted(session, filed) == (2, 2)
