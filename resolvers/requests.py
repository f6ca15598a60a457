from __future__ import annotations

from typing import Annotated

import strawberry

from schema import ids, pagination
from schema.context import Info
from schema.enums import Decision, RequestStatus
from schema.inputs import RequestFilter
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from schema.types import Match, MatchConnection, MentorRequestType, RequestConnection
from services import matches, request_lists, requests


@strawberry.type
class RequestQuery:
    @strawberry.field(
        description=(
            "Students: the requests you sent. Mentors: the requests sent to you. In a programme "
            "(your own by default)."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def my_requests(
        self,
        info: Info,
        statuses: list[RequestStatus] | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> list[MentorRequestType]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows = await read(info, request_lists.mine, key, statuses or (), now=now)
        return [MentorRequestType.from_row(r) for r in rows]

    @strawberry.field(
        description="Your matches in a programme (your own by default).",
        permission_classes=[IsAuthenticated],
    )
    async def my_matches(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> list[Match]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows = await read(info, matches.mine, key, now=now)
        return [Match.from_row(r) for r in rows]

    @strawberry.field(
        description="Coordinators: every request in a programme, filtered.",
        permission_classes=[IsCoordinator],
    )
    async def requests(
        self,
        info: Info,
        filter: RequestFilter | None = None,
        first: int = 50,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> RequestConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        flt = request_lists.RequestFilter()
        if filter is not None:
            flt = request_lists.RequestFilter(
                statuses=filter.statuses or (),
                mentor_id=ids.decode_optional(filter.mentor, "Mentor"),
                student_id=ids.decode_optional(filter.student, "Student"),
                older_than_hours=filter.older_than_hours,
                field_id=ids.decode_optional(filter.field, "Field"),
                language=filter.language,
            )
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await read(
            info,
            request_lists.list_for_coordinator,
            programme_key,
            flt,
            first=size,
            after_id=after_id,
            now=now,
        )
        return RequestConnection.of(
            rows,
            MentorRequestType.from_row,
            total_count=total,
            has_next_page=has_next,
            has_previous_page=after_id is not None,
        )

    @strawberry.field(
        description="Coordinators: every match in a programme.", permission_classes=[IsCoordinator]
    )
    async def matches(
        self,
        info: Info,
        mentor: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
        student: strawberry.ID | None = None,
        field: Annotated[
            strawberry.ID | None, strawberry.argument(description="The student's field of study.")
        ] = None,
        language: Annotated[
            str | None,
            strawberry.argument(description="A language the student studies in (its code)."),
        ] = None,
    ) -> MatchConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        mentor_id = ids.decode_optional(mentor, "Mentor")
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await read(
            info,
            matches.list_for_coordinator,
            programme_key,
            mentor_id=mentor_id,
            student_id=ids.decode_optional(student, "Student"),
            field_id=ids.decode_optional(field, "Field"),
            language=language,
            first=size,
            after_id=after_id,
            now=now,
        )
        return MatchConnection.of(
            rows,
            Match.from_row,
            total_count=total,
            has_next_page=has_next,
            has_previous_page=after_id is not None,
        )


@strawberry.type
class RequestMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Students: ask a mentor to mentor you (one request at a time).",
    )
    async def send_request(
        self, info: Info, mentor_id: strawberry.ID, message: str = ""
    ) -> MentorRequestType:
        mentor_key = ids.decode(mentor_id, "Mentor")
        now = info.context.now()
        row = await run(info, requests.send, mentor_key, message, now=now)
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Students: take back a request still waiting for an answer.",
    )
    async def withdraw_request(self, info: Info, request_id: strawberry.ID) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await run(info, requests.withdraw, key, now=now)
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors: accept a request; the two of you are matched.",
    )
    async def accept_request(self, info: Info, request_id: strawberry.ID) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await run(info, requests.accept, key, now=now)
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors: decline a request, optionally saying why.",
    )
    async def reject_request(
        self, info: Info, request_id: strawberry.ID, reason: str | None = None
    ) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await run(info, requests.reject, key, reason, now=now)
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Coordinators: accept, reject or withdraw a request on someone's behalf, whatever "
            "the phase dates; capacity rules still hold."
        ),
    )
    async def override_request(
        self, info: Info, request_id: strawberry.ID, decision: Decision, reason: str | None = None
    ) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await run(info, requests.act_as_coordinator, key, decision, reason, now=now)
        return MentorRequestType.from_row(row)
