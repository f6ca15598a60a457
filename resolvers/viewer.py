from __future__ import annotations

import strawberry
from strawberry import relay

from schema import ids
from schema.context import Info
from schema.permissions import IsAuthenticated, refuse_bad_token
from schema.running import read
from schema.types import Match, Mentor, MentorRequestType, Programme, Student
from schema.types import Viewer as ViewerType
from services import matches, mentors, profiles, programmes, request_lists, roles, students
from services.errors import invalid, quoted


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
            roles=roles.ordered(viewer.roles | {viewer.role}),
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
        row = await read(info, profiles.own_mentor_profile, key, now=now)
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
        row = await read(info, profiles.own_student_profile, key, now=now)
        return Student.from_row(row) if row else None

    @strawberry.field(
        description="Any object by its global id, if you may see it.",
        permission_classes=[IsAuthenticated],
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node:
        try:
            type_name = relay.GlobalID.from_id(id).type_name
        except ValueError as error:
            raise invalid(f"{quoted(id)} is not a global id.") from error
        now = info.context.now()
        match type_name:
            case "Mentor":
                key = ids.decode(id, "Mentor")
                return Mentor.from_row(await read(info, mentors.get_visible, key))
            case "Student":
                key = ids.decode(id, "Student")
                return Student.from_row(await read(info, students.get_visible, key))
            case "MentorRequest":
                key = ids.decode(id, "MentorRequest")
                return MentorRequestType.from_row(await read(info, request_lists.get_visible, key))
            case "Match":
                key = ids.decode(id, "Match")
                return Match.from_row(await read(info, matches.get_visible, key))
            case "Programme":
                key = ids.decode(id, "Programme")
                return Programme.from_row(await read(info, programmes.resolve, key, now=now), now)
        raise invalid(f"There is no object of type {quoted(type_name)}.")
