from __future__ import annotations

import strawberry

from schema import ids
from schema.context import Info
from schema.permissions import IsCoordinator
from schema.report import ProgrammeReport
from schema.running import read
from services import report


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="Coordinators: the end-of-programme report's meetings and briefings.",
        permission_classes=[IsCoordinator],
    )
    async def programme_report(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> ProgrammeReport:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        return ProgrammeReport.of(await read(info, report.report, key, now=now))
