"""GraphQL types and inputs for briefing sessions and their sign-ups."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db import models
from db.models import BriefingAudience
from schema import ids
from schema.enums import Role
from schema.inputs import by_name
from services import briefings

strawberry.enum(BriefingAudience, description="Who a briefing session is for.")


@strawberry.type(description="A briefing session: mentors online, students on campus, or as set.")
class BriefingSession(relay.Node):
    id: relay.NodeID[int]
    audience: BriefingAudience
    starts_at: datetime
    duration_minutes: int
    place: str
    online_url: str
    capacity: int
    signed_up_count: int
    places_left: int
    signed_up: bool = strawberry.field(description="Whether you are signed up for this session.")

    @classmethod
    def from_row(cls, row: models.BriefingSession, *, mine: int | None) -> BriefingSession:
        return cls(
            id=row.id,
            audience=row.audience,
            starts_at=row.starts_at,
            duration_minutes=row.duration_minutes,
            place=row.place,
            online_url=row.online_url,
            capacity=row.capacity,
            signed_up_count=row.signed_up_count,
            places_left=max(row.capacity - row.signed_up_count, 0),
            signed_up=mine == row.id,
        )


@strawberry.type(description="Someone signed up for a briefing (null name: since erased).")
class BriefingSignUp:
    briefing_id: strawberry.ID
    name: str | None
    role: Role | None
    signed_up_at: datetime

    @classmethod
    def from_view(cls, view: briefings.SignUp) -> BriefingSignUp:
        return cls(
            briefing_id=ids.encode("BriefingSession", view.briefing_id),
            name=view.name,
            role=view.role,
            signed_up_at=view.signed_up_at,
        )


@strawberry.input
class BriefingSessionInput:
    audience: BriefingAudience | None = None
    starts_at: datetime | None = strawberry.field(
        default=None, description="With its UTC offset, e.g. 2026-02-03T16:00:00+02:00."
    )
    duration_minutes: int | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None

    def to_service(self) -> briefings.BriefingInput:
        return by_name(self, briefings.BriefingInput)
