from __future__ import annotations

import strawberry

from schema import ids
from schema.context import Info
from schema.inputs import StudentProfileInput
from schema.permissions import IsAuthenticated
from schema.running import run
from schema.types import Student
from services import students


@strawberry.type
class StudentMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Students: create or change your profile in a programme.",
    )
    async def update_student_profile(
        self, info: Info, input: StudentProfileInput, programme_id: strawberry.ID | None = None
    ) -> Student:
        data = input.to_service()
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await run(info, students.save_profile, programme_key, data, now=now)
        return Student.from_row(row)
