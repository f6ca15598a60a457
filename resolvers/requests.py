from __future__ import annotations

import strawberry
from strawberry import relay

from schema import ids, pagination
from schema.context import Info
from schema.enums import Decision, RequestStatus
from schema.inputs import RequestFilter
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.types import (
    Match,
    MatchConnection,
    MatchEdge,
    MentorRequestType,
    RequestConnection,
    RequestEdge,
)
from services import matches, request_lists, requests


def _page_info(node_ids: list[int], *, has_next: bool, has_previous: bool) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=pagination.cursor(node_ids[0]) if node_ids else None,
        end_cursor=pagination.cursor(node_ids[-1]) if node_ids else None,
    )


@strawberry.type
class RequestQuery:
    @strawberry.field(
        description="Students: the requests you sent. Mentors: the requests sent to you.",
        permission_classes=[IsAuthenticated],
    )
    async def my_requests(
        self, info: Info, statuses: list[RequestStatus] | None = None
    ) -> list[MentorRequestType]:
        rows = await info.context.uow.read(
            lambda s: request_lists.mine(s, info.context.viewer, statuses or ())
        )
        return [MentorRequestType.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def my_matches(self, info: Info) -> list[Match]:
        rows = await info.context.uow.read(lambda s: matches.mine(s, info.context.viewer))
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
        flt = request_lists.RequestFilter(
            statuses=(filter.statuses or ()) if filter else (),
            mentor_id=ids.decode_optional(filter.mentor, "Mentor") if filter else None,
            student_id=ids.decode_optional(filter.student, "Student") if filter else None,
        )
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await info.context.uow.read(
            lambda s: request_lists.list_for_coordinator(
                s, info.context.viewer, programme_key, flt, first=size, after_id=after_id, now=now
            )
        )
        return RequestConnection(
            edges=[
                RequestEdge(cursor=pagination.cursor(r.id), node=MentorRequestType.from_row(r))
                for r in rows
            ],
            page_info=_page_info(
                [r.id for r in rows], has_next=has_next, has_previous=after_id is not None
            ),
            total_count=total,
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
    ) -> MatchConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        mentor_id = ids.decode_optional(mentor, "Mentor")
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await info.context.uow.read(
            lambda s: matches.list_for_coordinator(
                s,
                info.context.viewer,
                programme_key,
                mentor_id=mentor_id,
                first=size,
                after_id=after_id,
                now=now,
            )
        )
        return MatchConnection(
            edges=[MatchEdge(cursor=pagination.cursor(m.id), node=Match.from_row(m)) for m in rows],
            page_info=_page_info(
                [m.id for m in rows], has_next=has_next, has_previous=after_id is not None
            ),
            total_count=total,
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
        row = await info.context.uow.run(
            lambda s: requests.send(s, info.context.viewer, mentor_key, message, now=now)
        )
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Students: take back a request still waiting for an answer.",
    )
    async def withdraw_request(self, info: Info, request_id: strawberry.ID) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await info.context.uow.run(
            lambda s: requests.withdraw(s, info.context.viewer, key, now=now)
        )
        return MentorRequestType.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors: accept a request; the two of you are matched.",
    )
    async def accept_request(self, info: Info, request_id: strawberry.ID) -> MentorRequestType:
        key = ids.decode(request_id, "MentorRequest")
        now = info.context.now()
        row = await info.context.uow.run(
            lambda s: requests.accept(s, info.context.viewer, key, now=now)
        )
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
        row = await info.context.uow.run(
            lambda s: requests.reject(s, info.context.viewer, key, reason, now=now)
        )
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
        row = await info.context.uow.run(
            lambda s: requests.act_as_coordinator(
                s, info.context.viewer, key, decision, reason, now=now
            )
        )
        return MentorRequestType.from_row(row)
