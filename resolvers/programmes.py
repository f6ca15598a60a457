from __future__ import annotations

import strawberry

from schema import ids
from schema.console import ProgrammeChangeImpact
from schema.context import Info
from schema.inputs import (
    CreateProgrammeInput,
    PhaseDatesInput,
    ProgrammeLimitsInput,
    UpdateProgrammeInput,
)
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from schema.types import Programme
from services import programme_changes, programmes
from services.programmes import Limits, PhaseDates


def _phases(values: list[PhaseDatesInput]) -> list[PhaseDates]:
    return [PhaseDates(v.phase, v.opens_on, v.closes_on) for v in values]


def _limits(value: ProgrammeLimitsInput | None) -> Limits:
    if value is None:
        return Limits()
    return Limits(
        student_pending_limit=value.student_pending_limit,
        mentor_pending_limit=value.mentor_pending_limit,
        request_expiry_hours=value.request_expiry_hours,
        reminder_hours_before_expiry=value.reminder_hours_before_expiry,
        clear_request_expiry=value.request_expiry_off,
    )


@strawberry.type
class ProgrammeQuery:
    @strawberry.field(
        description=(
            "A programme by id; without one, your own (a coordinator's: the one running now)."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def programme(self, info: Info, id: strawberry.ID | None = None) -> Programme:
        now = info.context.now()
        programme_id = ids.decode_optional(id, "Programme")
        row = await read(info, programmes.resolve, programme_id, now=now)
        return Programme.from_row(row, now)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def programmes(self, info: Info) -> list[Programme]:
        rows = await info.context.uow.read(programmes.list_all)
        return [Programme.from_row(row, info.context.now()) for row in rows]

    @strawberry.field(
        description=(
            "Coordinators: what updateProgramme with this input would do to people waiting "
            "(pending requests, limits below what people hold), before it is saved."
        ),
        permission_classes=[IsCoordinator],
    )
    async def programme_change_impact(
        self, info: Info, id: strawberry.ID, input: UpdateProgrammeInput
    ) -> ProgrammeChangeImpact:
        programme_id = ids.decode(id, "Programme")
        row = await read(
            info,
            programme_changes.impact,
            programme_id,
            phases=_phases(input.phases),
            limits=_limits(input.limits),
            now=info.context.now(),
        )
        return ProgrammeChangeImpact.from_row(row)


@strawberry.type
class ProgrammeMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Coordinators: start a new programme."
    )
    async def create_programme(self, info: Info, input: CreateProgrammeInput) -> Programme:
        now = info.context.now()
        row = await run(
            info,
            programmes.create,
            name=input.name,
            timezone=input.timezone,
            phases=_phases(input.phases),
            limits=_limits(input.limits),
            now=now,
        )
        return Programme.from_row(row, now)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: change a programme's name, dates or limits.",
    )
    async def update_programme(
        self, info: Info, id: strawberry.ID, input: UpdateProgrammeInput
    ) -> Programme:
        now = info.context.now()
        programme_id = ids.decode(id, "Programme")
        row = await run(
            info,
            programmes.update,
            programme_id,
            name=input.name,
            phases=_phases(input.phases),
            limits=_limits(input.limits),
            now=now,
        )
        return Programme.from_row(row, now)
