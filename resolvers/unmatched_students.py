from __future__ import annotations

import strawberry

from schema import ids, pagination
from schema.context import Info
from schema.permissions import IsCoordinator
from schema.running import read
from schema.types import Student, StudentConnection
from services import unmatched_students


@strawberry.type
class UnmatchedStudentQuery:
    @strawberry.field(
        description=(
            "Coordinators: the students in a programme who have no mentor yet. Their contact "
            "details stay private."
        ),
        permission_classes=[IsCoordinator],
    )
    async def unmatched_students(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> StudentConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await read(
            info,
            unmatched_students.list_for_coordinator,
            programme_key,
            first=size,
            after_id=after_id,
            now=now,
        )
        return StudentConnection.of(
            rows,
            Student.from_row,
            total_count=total,
            has_next_page=has_next,
            has_previous_page=after_id is not None,
        )
