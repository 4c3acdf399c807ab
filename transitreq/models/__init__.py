"""SQLAlchemy 2 mapped classes; geometry columns are WGS 84 (SRID 4326)."""

from transitreq.models.accounts import Department, Role, User
from transitreq.models.api_client import ApiClient
from transitreq.models.base import WGS84_SRID, Base, utc_now
from transitreq.models.feedback import Feedback, FeedbackState
from transitreq.models.outbox import OutboundEmail
from transitreq.models.population import POINTS, POLYGONS, PopulationDataset, PopulationUnit
from transitreq.models.projects import (
    InfoQuestion,
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    StopProject,
    SurveyPhoto,
)
from transitreq.models.requests import Event, StopRequest, Support, format_reference
from transitreq.models.status import Audience, RequestStatus, ServedGroup
from transitreq.models.transit import Route, RouteStop, ServiceArea, Stop

__all__ = [
    "Department",
    "Role",
    "User",
    "WGS84_SRID",
    "ApiClient",
    "Audience",
    "Base",
    "Event",
    "Feedback",
    "FeedbackState",
    "InfoQuestion",
    "Milestone",
    "MilestoneKind",
    "MilestoneState",
    "OutboundEmail",
    "POINTS",
    "POLYGONS",
    "PopulationDataset",
    "PopulationUnit",
    "ProjectStage",
    "RequestStatus",
    "Route",
    "RouteStop",
    "ServedGroup",
    "ServiceArea",
    "Stop",
    "StopProject",
    "StopRequest",
    "Support",
    "SurveyPhoto",
    "format_reference",
    "utc_now",
]
