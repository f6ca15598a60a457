from __future__ import annotations

import strawberry
from strawberry import relay

from schema import ids
from schema.context import Info
from schema.permissions import IsAuthenticated, refuse_bad_token
from schema.types import Match, Mentor, MentorRequestType, Programme, Student
from schema.types import Viewer as ViewerType
from services import matches, mentors, profiles, programmes, request_lists, students
from services.errors import invalid


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The signed-in person, or null without a token.")
    def viewer(self, info: Info) -> ViewerType | None:
        refuse_bad_token(info)  # a refused token is an error to report, not anonymity
        viewer = info.context.viewer
        if viewer is None:
            return None
        return ViewerType(
            id=ids.encode("User", viewer.user_id),
            name=viewer.name,
            email=viewer.email,
            role=viewer.role,
        )

    @strawberry.field(
        description="Your own mentor profile in a programme (the current one by default).",
        permission_classes=[IsAuthenticated],
    )
    async def my_mentor_profile(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> Mentor | None:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await info.context.uow.read(
            lambda s: profiles.own_mentor_profile(s, info.context.viewer, key, now=now)
        )
        return Mentor.from_row(row) if row else None

    @strawberry.field(
        description="Your own student profile in a programme (the current one by default).",
        permission_classes=[IsAuthenticated],
    )
    async def my_student_profile(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> Student | None:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await info.context.uow.read(
            lambda s: profiles.own_student_profile(s, info.context.viewer, key, now=now)
        )
        return Student.from_row(row) if row else None

    @strawberry.field(
        description="Any object by its global id, if you may see it.",
        permission_classes=[IsAuthenticated],
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node:
        try:
            type_name = relay.GlobalID.from_id(id).type_name
        except ValueError as error:
            raise invalid(f"{id!r} is not a global id.") from error
        viewer = info.context.viewer
        uow = info.context.uow
        now = info.context.now()
        match type_name:
            case "Mentor":
                key = ids.decode(id, "Mentor")
                return Mentor.from_row(
                    await uow.read(lambda s: mentors.get_visible(s, viewer, key))
                )
            case "Student":
                key = ids.decode(id, "Student")
                return Student.from_row(
                    await uow.read(lambda s: students.get_visible(s, viewer, key))
                )
            case "MentorRequest":
                key = ids.decode(id, "MentorRequest")
                return MentorRequestType.from_row(
                    await uow.read(lambda s: request_lists.get_visible(s, viewer, key))
                )
            case "Match":
                key = ids.decode(id, "Match")
                return Match.from_row(await uow.read(lambda s: matches.get_visible(s, viewer, key)))
            case "Programme":
                key = ids.decode(id, "Programme")
                return Programme.from_row(await uow.read(lambda s: programmes.get(s, key)), now)
        raise invalid(f"There is no object of type {type_name!r}.")
