"""SQLAlchemy 2 mapped classes; geometry columns are WGS 84 (SRID 4326)."""

from transitreq.models.accounts import Department, LoginAttempt, Role, User
from transitreq.models.api_client import ApiClient
from transitreq.models.base import WGS84_SRID, Base, utc_now
from transitreq.models.coverage import BEYOND, SERVED, CoveragePart, CoverageState
from transitreq.models.feedback import Feedback, FeedbackState
from transitreq.models.imports import DatasetImport, DatasetKind
from transitreq.models.outbox import OutboundEmail
from transitreq.models.places import PlaceKind, PlaceName, normalise_name
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
from transitreq.models.request_photos import RequestPhoto
from transitreq.models.requests import (
    Event,
    EventKind,
    StopRequest,
    Support,
    format_reference,
    parse_reference,
)
from transitreq.models.response_templates import ResponseTemplate, TemplateKind
from transitreq.models.status import Audience, RequestStatus, ServedGroup
from transitreq.models.streets import StreetEdge, StreetLink, StreetNetwork, StreetNode
from transitreq.models.suggestions import SuggestedStop, SuggestionRun
from transitreq.models.transit import Route, RouteStop, ServiceArea, Stop, StopMode

__all__ = [
    "Department",
    "LoginAttempt",
    "Role",
    "User",
    "WGS84_SRID",
    "ApiClient",
    "Audience",
    "Base",
    "BEYOND",
    "CoveragePart",
    "CoverageState",
    "Event",
    "EventKind",
    "DatasetImport",
    "DatasetKind",
    "Feedback",
    "FeedbackState",
    "InfoQuestion",
    "Milestone",
    "MilestoneKind",
    "MilestoneState",
    "OutboundEmail",
    "PlaceKind",
    "PlaceName",
    "POINTS",
    "POLYGONS",
    "PopulationDataset",
    "PopulationUnit",
    "ProjectStage",
    "RequestPhoto",
    "ResponseTemplate",
    "RequestStatus",
    "Route",
    "RouteStop",
    "SERVED",
    "ServedGroup",
    "ServiceArea",
    "Stop",
    "StopMode",
    "StopProject",
    "StopRequest",
    "StreetEdge",
    "SuggestedStop",
    "SuggestionRun",
    "StreetLink",
    "StreetNetwork",
    "StreetNode",
    "Support",
    "SurveyPhoto",
    "TemplateKind",
    "format_reference",
    "normalise_name",
    "parse_reference",
    "utc_now",
]
