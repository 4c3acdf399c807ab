"""A request's supporter count is kept by the database (migration 0023's triggers), so the
planners' queue can sort 50,000 requests by it without counting. It must equal the supports
however they are written: through the service, by a merge, by plain SQL, and by two residents
at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import delete, func, insert, select, update

from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, offset
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
    racing.join(timeout=0.5)
    assert racing.is_alive()  # blocked behind the first, on either backend
    first.commit()
    first.close()
    racing.join(timeout=30)
    assert not racing.is_alive()
    session.expire_all()
    assert _stored_and_counted(session, filed) == (2, 2)


def test_a_merge_carries_the_supporters_and_the_count_follows(session):
    from tests.factories import add_user
    from transitreq.services.requests.decisions import merge

    add_service_area(session)
    source = file_request(session, title="Duplicate", reporter_contact="mo@example.org")
    target = file_request(session, title="Original")
    support_request(session, source.reference, "ana@example.org")
    support_request(session, target.reference, "bo@example.org")
    planner = add_user(session, "planner")
    merged = merge(session, source.reference, source.version, planner, target.reference)
    # The answer the planner sees counts the supporters just carried over.
    assert merged.supporter_count == _stored_and_counted(session, target)[0]
    # The source's reporter and supporter now back the target, besides its own supporter.
    assert _stored_and_counted(session, target) == (3, 3)
    assert _stored_and_counted(session, source) == (1, 1)


def test_residents_supporting_neighbouring_requests_at_once_all_count(session, engine):
    """Each support locks the neighbours' rows (their scores become due) and its own request's
    count. Eight residents backing four requests a few metres apart, each in another order,
    all at once: every support is counted, none is lost to a deadlock."""
    add_service_area(session)
    requests = [
        file_request(
            session, title=f"Corner {number}", point=offset(RAILWAY_SQUARE, 90, 40 * number)
        )
        for number in range(4)
    ]
    session.commit()
    failures: list[BaseException] = []

    def resident(number: int) -> None:
        own = make_sessionmaker(engine)()
        order = requests[number % 4 :] + requests[: number % 4]
        try:
            for stop_request in reversed(order) if number % 2 else order:
                support_request(own, stop_request.reference, f"r{number}@example.org")
        except BaseException as failure:  # noqa: BLE001 - reported below
            failures.append(failure)
        finally:
            own.close()

    residents = [threading.Thread(target=resident, args=(number,)) for number in range(8)]
    for thread in residents:
        thread.start()
    for thread in residents:
        thread.join(timeout=120)
    assert not failures, failures
    session.expire_all()
    assert [_stored_and_counted(session, stop_request) for stop_request in requests] == [(8, 8)] * 4
