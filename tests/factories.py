"""Small builders for test data, so each test states only what matters to its story."""

from __future__ import annotations

import functools
import re

from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from tests.conftest import csrf_token_from
from transitreq.config import default_settings
from transitreq.models import (
    Department,
    Event,
    Role,
    ServiceArea,
    StopRequest,
    Support,
    User,
    utc_now,
)
from transitreq.services.projects import stages as projects
from transitreq.services.requests.filing import RequestDraft, submit_request

# Central Helsinki, where the shared reference data lives.
CENTRAL_HELSINKI = box(24.90, 60.150, 24.98, 60.190)
RAILWAY_SQUARE = Point(24.9432, 60.1710)  # lon, lat
WGS84 = Geod(ellps="WGS84")


def add_service_area(session: Session, polygon=CENTRAL_HELSINKI, name="Central Helsinki"):
    area = ServiceArea(name=name, boundary=from_shape(MultiPolygon([polygon]), srid=4326))
    session.add(area)
    session.commit()
    return area


def draft(**overrides) -> RequestDraft:
    values = dict(
        title="Stop for the senior housing on Kaisaniemi",
        description="Elderly residents walk 600 m to the nearest stop.",
        served_groups=["elderly"],
        landmark="Kaisaniemi park gate",
        point=RAILWAY_SQUARE,
        reporter_name="Aino Virtanen",
        reporter_contact="aino@example.org",
        notify_progress=True,
    )
    values.update(overrides)
    return RequestDraft(**values)


def file_request(session: Session, **overrides) -> StopRequest:
    return submit_request(session, draft(**overrides), default_settings().requests)


def offset(point: Point, bearing_degrees: float, distance_m: float) -> Point:
    """The point ``distance_m`` from ``point`` along a geodesic, computed independently."""
    lon, lat, _ = WGS84.fwd(point.x, point.y, bearing_degrees, distance_m)
    return Point(lon, lat)


def geodesic_m(a: Point, b: Point) -> float:
    return WGS84.inv(a.x, a.y, b.x, b.y)[2]


def row_counts(session: Session) -> dict[str, int]:
    """How many requests, supports and events exist: the proof that nothing half-wrote."""
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (StopRequest, Support, Event)
    }


STAFF_PASSWORD = "correct horse battery staple"


@functools.cache
def _staff_password_hash() -> str:
    """STAFF_PASSWORD hashed once per test process: scrypt costs 0.17 s a hash by design, and the
    suite makes a few thousand accounts with that one password."""
    return generate_password_hash(STAFF_PASSWORD)


def add_user(
    session: Session, role: str = "planner", email: str | None = None, department: str = ""
) -> User:
    """A member of staff who logs in with STAFF_PASSWORD, stored as the staff page stores one
    (tests/test_staff_access.py checks that page and its rules)."""
    email = email or f"{role}-{session.scalar(select(func.count(User.id))) + 1}@city.example"
    department = department or ("Bus operator" if role == "department" else "")
    unit = None
    if department:
        unit = session.scalars(select(Department).where(Department.name == department)).first()
        unit = unit or Department(name=department)
    user = User(
        email=email.lower(),
        name=f"Test {role}",
        role=Role(role),
        department=unit,
        password_hash=_staff_password_hash(),
        active=True,
        session_version=1,
    )
    session.add(user)
    session.commit()
    return user


def log_in(client, session: Session, role: str = "planner") -> User:
    """A member of staff with ``role``, logged in through the real login form."""
    import re

    user = add_user(session, role)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return user


# Stop projects -----------------------------------------------------------------------------

# A tiny valid PNG (1×1 pixel), for survey photos.
PNG_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105fe02fea10000000049454e44ae426082"
)


def approve_request(session: Session, planner: User, **overrides):
    """File a request and approve it at its own pin: a project in stage ``approved``."""
    from geoalchemy2.shape import to_shape

    from transitreq.services.requests import decisions

    stop_request = file_request(session, **overrides)
    site = to_shape(stop_request.location)
    return decisions.approve(session, stop_request.reference, stop_request.version, planner, site)


def department_staff(session: Session, department: str) -> User:
    """The (one) staff account of ``department``, made the first time it is asked for."""
    email = f"{department.lower().replace(' ', '-')}@city.example"
    existing = session.scalar(select(User).where(User.email == email))
    return existing or add_user(session, "department", email=email, department=department)


def sign_all(session: Session, project) -> None:
    """Every required department signs off, each through its own staff account."""
    from transitreq.services.projects import sign_offs

    for sign_off in list(project.sign_offs):
        staff = session.scalar(
            select(User).where(User.department_id == sign_off.department_id)
        ) or department_staff(session, sign_off.owner_name)
        session.refresh(project)
        sign_offs.decide_sign_off(session, sign_off.id, project.version, staff, "approve")


def add_route(session: Session, short_name: str = "7", long_name: str = "Harbour – Station"):
    """A route in the network, so a launch can name it."""
    from transitreq.models import Route

    route = Route(
        feed="test", gtfs_route_id=f"r{short_name}", short_name=short_name, long_name=long_name
    )
    session.add(route)
    session.commit()
    return route


def take_to_stage(session: Session, project, planner: User, stage: str, today=None):
    """Walk a project through every step up to ``stage`` the way planners and departments
    would, so a test starts where its story does."""

    today = today or utc_now().date()
    order = ["approved", "site_survey", "coordination", "construction", "in_service"]
    target = order.index(stage)

    def v():
        session.refresh(project)
        return project.version

    # Only the steps still ahead of where the project stands.
    current = order.index(project.status.value)
    if current < 1 <= target:
        projects.start_survey(session, project.id, v(), planner)
    if current < 2 <= target:
        projects.record_survey(session, project.id, v(), planner, today, "Kerb is wide enough.")
        projects.start_coordination(session, project.id, v(), planner)
    if current < 3 <= target:
        sign_all(session, project)
        projects.start_construction(session, project.id, v(), planner, today)
    if current < 4 <= target:
        projects.finish_construction(session, project.id, v(), planner, today)
        if not session.scalar(
            select(func.count()).select_from(
                __import__("transitreq.models", fromlist=["Route"]).Route
            )
        ):
            add_route(session)
        projects.set_launch(session, project.id, v(), planner, ["7"], today)
        projects.put_in_service(session, project.id, v(), planner)
    session.refresh(project)
    return project


def log_in_as(client, user: User) -> None:
    """Log ``user`` (made earlier, with the test password) in through the real login form."""

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303


def version_of(session: Session, row) -> int:
    """The version a form about ``row`` would carry now (projects and requests alike)."""
    session.refresh(row)
    return row.version


def count_queries(engine):
    """Record every statement ``engine`` runs from now on: (the list, a function that stops)."""
    from sqlalchemy import event

    counted: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:
        counted.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return counted, lambda: event.remove(engine, "before_cursor_execute", before)


EXTERNAL_ASSET = re.compile(
    r"<(?:script[^>]+src|link[^>]+href)\s*=\s*[\"'](?:https?:)?//", re.IGNORECASE
)


ANY_ABSOLUTE_URL_IN_CODE = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/[^\"'\s]*\.(?:js|css)")
