"""What live updates look like to clients: the subscription payloads and the programme's
counters, and error codes on every result sent over a WebSocket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON

from db.models import RequestStatus
from live.updates import AvailabilityUpdate, RequestEventKind
from schema import ids, withheld
from schema.context import Info
from schema.enums import Availability
from schema.errors import present
from schema.types import Mentor, MentorRequestType
from services import stats

strawberry.enum(RequestEventKind, description="What happened to a request.")


@strawberry.type(
    description=(
        "A mentor's availability changed. Students hear of mentors their filter lists, and of "
        "the change that takes one off the list (FULL or HIDDEN), with `mentor` null."
    )
)
class MentorAvailabilityEvent:
    seq: int = strawberry.field(description="The event's place in the programme's event log.")
    at: datetime
    mentor_id: strawberry.ID
    availability: Availability
    previous: Availability | None
    capacity: int
    remaining_capacity: int
    pending_count: int | None = strawberry.field(
        description="Requests waiting on the mentor: for coordinators only (null for students)."
    )
    mentor_key: strawberry.Private[int]
    shown: strawberry.Private[bool]

    @classmethod
    def of(
        cls, seq: int, at: datetime, update: AvailabilityUpdate, *, shown: bool, coordinator: bool
    ) -> MentorAvailabilityEvent:
        return cls(
            seq=seq,
            at=at,
            mentor_id=ids.encode("Mentor", update.mentor_id),
            availability=update.availability,
            previous=update.previous,
            capacity=update.capacity,
            remaining_capacity=update.remaining_capacity,
            pending_count=update.pending_count if coordinator else None,
            mentor_key=update.mentor_id,
            shown=shown,
        )

    @strawberry.field(
        description="The mentor as it is now; null when the viewer may no longer see it."
    )
    async def mentor(self, info: Info) -> Mentor | None:
        if not self.shown:
            return None
        row = await info.context.loaders.mentor.load(self.mentor_key)
        return None if row is None else Mentor.from_row(row)


@strawberry.type(description="Something happened to one of your requests.")
class RequestEvent:
    seq: int
    kind: RequestEventKind
    at: datetime
    request: MentorRequestType = strawberry.field(description="The request as it is now.")


@strawberry.type(description="An entry of a programme's event feed.")
class ProgrammeEvent:
    seq: int
    kind: str
    at: datetime
    summary: str = strawberry.field(description="What happened, in a sentence.")
    payload: JSON


@strawberry.type
class AvailabilityCounts:
    available: int
    busy: int
    full: int
    hidden: int


@strawberry.type
class StudentCounts:
    total: int
    unmatched: int = strawberry.field(
        description="Students without a mentor, including those waiting for an answer."
    )
    pending: int = strawberry.field(description="Students waiting for an answer.")
    matched: int


@strawberry.type
class RequestCounts:
    pending: int
    oldest_pending_at: datetime | None
    oldest_pending_age_seconds: int | None = strawberry.field(description="As of `asOf`.")
    accepted: int
    rejected: int
    expired: int
    withdrawn: int
    closed_mentor_full: int


@strawberry.type(description="Supply against demand in one field of study or language.")
class SupplyDemand:
    key: str = strawberry.field(description="The field's id, or the language's code.")
    name: str
    mentor_slots_left: int = strawberry.field(
        description="Places left with listed (AVAILABLE or BUSY) mentors."
    )
    students_looking: int = strawberry.field(description="Unmatched students.")


@strawberry.type(description="A programme's live counters for coordinators.")
class ProgrammeStats:
    programme_id: strawberry.ID
    seq: int = strawberry.field(description="Every event up to this one is counted.")
    as_of: datetime
    mentors: AvailabilityCounts
    students: StudentCounts
    requests: RequestCounts
    matches: int
    by_field: list[SupplyDemand]
    by_language: list[SupplyDemand]

    @classmethod
    def of(cls, value: stats.ProgrammeStats) -> ProgrammeStats:
        oldest = value.requests.oldest_pending_at
        return cls(
            programme_id=ids.encode("Programme", value.programme_id),
            seq=value.seq,
            as_of=value.as_of,
            mentors=AvailabilityCounts(
                available=value.mentors[Availability.AVAILABLE],
                busy=value.mentors[Availability.BUSY],
                full=value.mentors[Availability.FULL],
                hidden=value.mentors[Availability.HIDDEN],
            ),
            students=StudentCounts(
                total=value.students.total,
                unmatched=value.students.unmatched,
                pending=value.students.pending,
                matched=value.students.matched,
            ),
            requests=RequestCounts(
                pending=value.requests.count(RequestStatus.PENDING),
                oldest_pending_at=oldest,
                oldest_pending_age_seconds=(
                    None if oldest is None else max(int((value.as_of - oldest).total_seconds()), 0)
                ),
                accepted=value.requests.count(RequestStatus.ACCEPTED),
                rejected=value.requests.count(RequestStatus.REJECTED),
                expired=value.requests.count(RequestStatus.EXPIRED),
                withdrawn=value.requests.count(RequestStatus.WITHDRAWN),
                closed_mentor_full=value.requests.count(RequestStatus.CLOSED_MENTOR_FULL),
            ),
            matches=value.matches,
            by_field=[_supply(row, "Field") for row in value.by_field],
            by_language=[_supply(row, None) for row in value.by_language],
        )


def _supply(row: stats.SupplyDemand, node_type: str | None) -> SupplyDemand:
    key = ids.encode(node_type, int(row.key)) if node_type else str(row.key)
    return SupplyDemand(
        key=str(key),
        name=row.name,
        mentor_slots_left=row.mentor_slots_left,
        students_looking=row.students_looking,
    )


class StreamedErrorCodes(SchemaExtension):
    """Results sent over a WebSocket (subscription events, and queries run there) leave before
    the operation ends, so they get their error codes and masking here, as they are sent."""

    def on_stream_result(self, result: Any) -> Iterator[None]:
        errors = getattr(result, "errors", None)
        if errors:
            context = self.execution_context
            texts = withheld.values(context.query, context.variables)
            result.errors = [withheld.cut(present(error), texts) for error in errors]
        yield
