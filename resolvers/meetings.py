from __future__ import annotations

from datetime import date

import strawberry

from schema import ids
from schema.context import Info
from schema.meetings import MatchNudge, Meeting, QuietMatch
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from services import meetings, nudges


@strawberry.type
class MeetingQuery:
    @strawberry.field(
        description="The two people of a match: their meetings, latest first, with notes.",
        permission_classes=[IsAuthenticated],
    )
    async def match_meetings(self, info: Info, match_id: strawberry.ID) -> list[Meeting]:
        key = ids.decode(match_id, "Match")
        rows = await read(info, meetings.for_match, key)
        return [Meeting.from_row(r) for r in rows]

    @strawberry.field(
        description=(
            "Coordinators: matches that have not met for more than `days` days (counting from "
            "the match when they never met), quietest first."
        ),
        permission_classes=[IsCoordinator],
    )
    async def quiet_matches(
        self,
        info: Info,
        programme_id: strawberry.ID | None = None,
        days: int = meetings.QUIET_AFTER_DAYS,
    ) -> list[QuietMatch]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows = await read(info, meetings.quiet_matches, key, days=days, now=now)
        return [QuietMatch.from_view(r) for r in rows]


@strawberry.type
class MeetingMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Either side of a match: record a meeting (the note is for the two of you).",
    )
    async def record_meeting(
        self, info: Info, match_id: strawberry.ID, met_on: date, note: str = ""
    ) -> Meeting:
        key = ids.decode(match_id, "Match")
        now = info.context.now()
        row = await run(info, meetings.record, key, met_on, note, now=now)
        return Meeting.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: send both people of a quiet match a friendly reminder to meet, by "
            "email; once a week per pair at most (NUDGED_RECENTLY otherwise)."
        ),
    )
    async def nudge_match(self, info: Info, match_id: strawberry.ID) -> MatchNudge:
        key = ids.decode(match_id, "Match")
        now = info.context.now()
        nudge = await run(info, nudges.nudge, key, now=now)
        return MatchNudge.from_nudge(nudge)
