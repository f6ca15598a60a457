from __future__ import annotations

import strawberry
from strawberry import relay

from schema import ids, pagination
from schema.context import Info
from schema.permissions import IsCoordinator
from schema.types import Student
from services import unmatched_students


@strawberry.type
class StudentEdge:
    cursor: str
    node: Student


@strawberry.type(description="A page of students (Relay cursor connection).")
class StudentConnection:
    edges: list[StudentEdge]
    page_info: relay.PageInfo
    total_count: int


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
        rows, total, has_next = await info.context.uow.read(
            lambda s: unmatched_students.list_for_coordinator(
                s, info.context.viewer, programme_key, first=size, after_id=after_id, now=now
            )
        )
        cursors = [pagination.cursor(r.id) for r in rows]
        return StudentConnection(
            edges=[
                StudentEdge(cursor=c, node=Student.from_row(r))
                for c, r in zip(cursors, rows, strict=True)
            ],
            page_info=relay.PageInfo(
                has_next_page=has_next,
                has_previous_page=after_id is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            total_count=total,
        )
