"""The programme's enums, registered with Strawberry under their own names."""

from __future__ import annotations

import strawberry

from db.models import DegreeLevel, Location, MatchSide, Phase, ProfileStatus, RequestStatus, Role
from services.availability import Availability
from services.requests import Decision
from services.search import MentorOrder

strawberry.enum(Role, description="What a person does in the programme.")
strawberry.enum(DegreeLevel, description="Master's or doctoral studies.")
strawberry.enum(Location, description="Where a mentor lives and works.")
strawberry.enum(ProfileStatus, description="A mentor profile's publication state.")
strawberry.enum(RequestStatus, description="Where a request stands.")
strawberry.enum(Phase, description="A dated phase of a programme.")
strawberry.enum(
    Availability,
    description=(
        "AVAILABLE: listed and takes requests. BUSY: listed, but its pending requests are at the "
        "limit. FULL: every place taken, not listed for students. HIDDEN: draft or withdrawn."
    ),
)
strawberry.enum(Decision, description="A coordinator's action on a request.")
strawberry.enum(MatchSide, description="The mentor's or the mentee's side of a match.")
strawberry.enum(
    MentorOrder,
    description=(
        "JOINED: in the order mentors joined the programme. FIT: for a student, the mentors who "
        "fit them best first (field and school, shared languages, degree level, doctorate, "
        "where they live, remote meetings); mentors who fit alike as JOINED."
    ),
)

__all__ = [
    "Availability",
    "Decision",
    "DegreeLevel",
    "Location",
    "MatchSide",
    "MentorOrder",
    "Phase",
    "ProfileStatus",
    "RequestStatus",
    "Role",
]
