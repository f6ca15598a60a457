from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from schema import ids
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.personal_data import Erasure
from schema.running import read, run
from services import erasure, personal_data
from services.errors import invalid, quoted


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(
        description="Everything Mentori stores about you, as one JSON document.",
        permission_classes=[IsAuthenticated],
    )
    async def my_personal_data(self, info: Info) -> JSON:
        now = info.context.now()
        days = info.context.settings.date_of_birth_retention_days
        document: dict[str, Any] = await read(
            info, personal_data.export, now=now, dob_after_days=days
        )
        return JSON(document)


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Erase your personal data everywhere: your profiles, requests, messages, notes, "
            "answers and mail become anonymous records; anyone waiting on you is released."
        ),
    )
    async def erase_me(self, info: Info) -> Erasure:
        viewer = info.context.viewer
        assert viewer is not None
        now = info.context.now()
        done = await run(info, erasure.erase, viewer.user_id, now=now)
        return Erasure(person_id=ids.encode("User", done.user_id), erased_at=done.erased_at)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: erase a person, given their User, Mentor or Student id.",
    )
    async def erase_person(self, info: Info, id: strawberry.ID) -> Erasure:
        try:
            type_name = relay.GlobalID.from_id(id).type_name
        except ValueError as error:
            raise invalid(f"{quoted(id)} is not a global id.") from error
        if type_name not in ("User", "Mentor", "Student"):
            raise invalid("Give the id of a User, a Mentor or a Student.")
        key = ids.decode(id, type_name)
        now = info.context.now()
        done = await run(info, erasure.erase_owner, type_name, key, now=now)
        return Erasure(person_id=ids.encode("User", done.user_id), erased_at=done.erased_at)
