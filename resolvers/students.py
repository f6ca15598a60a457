from __future__ import annotations

import strawberry

from schema import ids
from schema.context import Info
from schema.inputs import StudentProfileInput
from schema.permissions import IsAuthenticated
from schema.types import Student
from services import students
from services.students import StudentInput


@strawberry.type
class StudentMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Students: create or change your profile in a programme.",
    )
    async def update_student_profile(
        self, info: Info, input: StudentProfileInput, programme_id: strawberry.ID | None = None
    ) -> Student:
        data = StudentInput(
            display_name=input.display_name,
            degree_level=input.degree_level,
            field_id=ids.decode_optional(input.field, "Field"),
            languages=input.languages,
            international=input.international,
            on_exchange=input.on_exchange,
            contact_email=input.contact_email,
        )
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await info.context.uow.run(
            lambda s: students.save_profile(s, info.context.viewer, programme_key, data, now=now)
        )
        return Student.from_row(row)
