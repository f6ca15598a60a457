from __future__ import annotations

import strawberry

from db.models import BriefingAudience
from schema import ids
from schema.briefings import BriefingSession, BriefingSessionInput, BriefingSignUp
from schema.context import Info
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from services import briefings


@strawberry.type
class BriefingQuery:
    @strawberry.field(
        description=(
            "A programme's briefing sessions, earliest first; mentors and students see those "
            "for them."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def briefing_sessions(
        self,
        info: Info,
        programme_id: strawberry.ID | None = None,
        audience: BriefingAudience | None = None,
    ) -> list[BriefingSession]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, mine = await read(info, briefings.list_for, key, audience, now=now)
        return [BriefingSession.from_row(r, mine=mine) for r in rows]

    @strawberry.field(
        description="Coordinators: who signed up for which briefing, earliest first.",
        permission_classes=[IsCoordinator],
    )
    async def briefing_sign_ups(
        self,
        info: Info,
        programme_id: strawberry.ID | None = None,
        briefing_id: strawberry.ID | None = None,
    ) -> list[BriefingSignUp]:
        key = ids.decode_optional(programme_id, "Programme")
        briefing_key = ids.decode_optional(briefing_id, "BriefingSession")
        now = info.context.now()
        rows = await read(info, briefings.sign_ups, key, briefing_key, now=now)
        return [BriefingSignUp.from_view(r) for r in rows]


@strawberry.type
class BriefingMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Coordinators: schedule a briefing."
    )
    async def create_briefing_session(
        self, info: Info, input: BriefingSessionInput, programme_id: strawberry.ID | None = None
    ) -> BriefingSession:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await run(info, briefings.create, key, input.to_service(), now=now)
        return BriefingSession.from_row(row, mine=None)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: change a briefing's time, place, link or capacity.",
    )
    async def update_briefing_session(
        self, info: Info, id: strawberry.ID, input: BriefingSessionInput
    ) -> BriefingSession:
        key = ids.decode(id, "BriefingSession")
        now = info.context.now()
        row = await run(info, briefings.update_briefing, key, input.to_service(), now=now)
        return BriefingSession.from_row(row, mine=None)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Mentors and students: sign up for a briefing session (moving you from another "
            "one you signed up for)."
        ),
    )
    async def sign_up_for_briefing(self, info: Info, briefing_id: strawberry.ID) -> BriefingSession:
        key = ids.decode(briefing_id, "BriefingSession")
        now = info.context.now()
        row = await run(info, briefings.sign_up, key, now=now)
        return BriefingSession.from_row(row, mine=row.id)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Cancel your briefing sign-up."
    )
    async def cancel_briefing_sign_up(
        self, info: Info, briefing_id: strawberry.ID
    ) -> BriefingSession:
        key = ids.decode(briefing_id, "BriefingSession")
        now = info.context.now()
        row = await run(info, briefings.cancel, key, now=now)
        return BriefingSession.from_row(row, mine=None)
