"""GraphQL types for the meetings of matched pairs, and the matches that have gone quiet."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from db import models
from schema.enums import MatchSide
from schema.types import Match
from services import meetings, nudges


@strawberry.type(description="A meeting of a matched pair; the note is for the pair only.")
class Meeting(relay.Node):
    id: relay.NodeID[int]
    met_on: date
    note: str
    recorded_by: MatchSide
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Meeting) -> Meeting:
        return cls(
            id=row.id,
            met_on=row.met_on,
            note=row.note,
            recorded_by=row.recorded_by,
            created_at=row.created_at,
        )


@strawberry.type(description="A match that has not met for a while.")
class QuietMatch:
    match: Match
    last_met_on: date | None = strawberry.field(description="Null: no meeting recorded yet.")
    days_since: int = strawberry.field(
        description="Days since the last meeting, or since the match began."
    )
    nudged_at: datetime | None = strawberry.field(
        description="When a coordinator last reminded the pair to meet; null: never."
    )
    next_nudge_at: datetime | None = strawberry.field(
        description="From when the pair may be reminded again; null: at once."
    )

    @classmethod
    def from_view(cls, view: meetings.QuietMatch) -> QuietMatch:
        return cls(
            match=Match.from_row(view.match),
            last_met_on=view.last_met_on,
            days_since=view.days_since,
            nudged_at=view.match.nudged_at,
            next_nudge_at=nudges.next_nudge_at(view.match),
        )


@strawberry.type(description="A reminder sent to both people of a match.")
class MatchNudge:
    match: Match
    nudged_at: datetime
    next_nudge_at: datetime = strawberry.field(
        description="A pair is reminded once a week at most: the next one from this moment."
    )

    @classmethod
    def from_nudge(cls, nudge: nudges.Nudge) -> MatchNudge:
        return cls(
            match=Match.from_row(nudge.match),
            nudged_at=nudge.nudged_at,
            next_nudge_at=nudge.next_nudge_at,
        )
