"""Who receives which live update, and what it says: the rules behind the subscriptions.

The mentor filter is the search's own (services/search.py), judged for the mentors an event
names; a student is told of a mentor only while that mentor is listed, and of the change that
takes a listed mentor off the list (with the mentor itself withheld)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, MentorRequest, StudentProfile
from services import events, request_lists
from services.availability import LISTED, Availability
from services.errors import DomainError, invalid
from services.events import EventKind, RecordedEvent
from services.search import MentorFilter
from services.viewer import Viewer


class RequestEventKind(enum.StrEnum):
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    CLOSED_MENTOR_FULL = "CLOSED_MENTOR_FULL"


REQUEST_EVENT_KINDS = {
    EventKind.REQUEST_SENT: RequestEventKind.SENT,
    EventKind.REQUEST_ACCEPTED: RequestEventKind.ACCEPTED,
    EventKind.REQUEST_REJECTED: RequestEventKind.REJECTED,
    EventKind.REQUEST_WITHDRAWN: RequestEventKind.WITHDRAWN,
    EventKind.REQUEST_EXPIRED: RequestEventKind.EXPIRED,
    EventKind.REQUEST_CLOSED_MENTOR_FULL: RequestEventKind.CLOSED_MENTOR_FULL,
}

# Routes tell the event hub which events a topic needs at all: (event field, value) pairs.
AVAILABILITY_ROUTES = frozenset({("kind", EventKind.MENTOR_AVAILABILITY_CHANGED)})


def request_routes(user_id: int) -> frozenset[tuple[str, Any]]:
    """A request's events concern its mentor and its student, and nobody else."""
    return frozenset({("mentorUserId", user_id), ("studentUserId", user_id)})


async def requests_seen_by(
    session: AsyncSession, viewer: Viewer, request_ids: Sequence[int]
) -> dict[int, MentorRequest]:
    """The requests, as they are now, that the viewer may still see."""
    found = {}
    for request_id in sorted(set(request_ids)):
        try:
            found[request_id] = await request_lists.get_visible(session, viewer, request_id)
        except DomainError:
            continue
    return found


def request_event_kind(event: RecordedEvent, user_id: int) -> RequestEventKind | None:
    kind = REQUEST_EVENT_KINDS.get(event.kind)
    concerned = {event.payload.get("mentorUserId"), event.payload.get("studentUserId")}
    return kind if kind is not None and user_id in concerned else None


@dataclass(frozen=True, slots=True)
class AvailabilityUpdate:
    mentor_id: int
    availability: Availability
    previous: Availability | None
    capacity: int
    remaining_capacity: int
    pending_count: int

    @classmethod
    def of(cls, event: RecordedEvent) -> AvailabilityUpdate:
        data = event.payload
        previous = data.get("previous")
        return cls(
            mentor_id=int(data["mentorId"]),
            availability=Availability(data["availability"]),
            previous=Availability(previous) if previous else None,
            capacity=int(data["capacity"]),
            remaining_capacity=int(data["remainingCapacity"]),
            pending_count=int(data["pendingCount"]),
        )

    def since(self, earlier: AvailabilityUpdate) -> AvailabilityUpdate:
        """This update and an earlier one not yet delivered, as one change."""
        return replace(self, previous=earlier.previous)


def normalized(flt: MentorFilter) -> MentorFilter:
    """The same filter in one canonical, hashable form, so alike subscribers share work."""
    return replace(
        flt,
        languages=tuple(sorted({code.strip().lower() for code in flt.languages})),
        field_ids=tuple(sorted(set(flt.field_ids))),
        availability=tuple(sorted(set(flt.availability))),
        text=flt.text.strip() if flt.text and flt.text.strip() else None,
    )


def shown_to(
    update: AvailabilityUpdate, *, coordinator: bool, flt: MentorFilter, matches: bool
) -> bool | None:
    """None when the update is not for this viewer; otherwise whether the mentor itself may be
    shown with it. A viewer hears of a mentor their search would list before or after the
    change; students never see an unlisted (FULL or HIDDEN) mentor, only that it left."""
    if not matches:
        return None
    wanted = set(flt.availability) or set(Availability)
    if not coordinator:
        wanted &= set(LISTED)
    before = update.previous in wanted
    after = update.availability in wanted
    if not (before or after):
        return None
    return coordinator or update.availability in LISTED


async def check_feed_position(session: AsyncSession, programme_id: int, after: int) -> None:
    """`after` must be a place the programme's log has reached: past its end, a feed would wait
    in silence for events numbered as the client expects, which may never come."""
    latest = await events.latest_seq(session, programme_id)
    if not 0 <= after <= latest:
        raise invalid(
            f"The programme's events go up to {latest}: `after` is the last seq you saw, "
            f"0 to {latest}.",
            field="after",
        )


async def feed_since(
    session: AsyncSession, programme_id: int, after: int, *, limit: int = 500
) -> list[tuple[RecordedEvent, str]]:
    """The programme's events after `after` from the log, each with its sentence."""
    found = await events.since(session, programme_id, after, limit=limit)
    return list(zip(found, await describe(session, found), strict=True))


async def describe(session: AsyncSession, events: Sequence[RecordedEvent]) -> list[str]:
    """A sentence a coordinator reads in the live feed, for each event."""
    mentor_ids = {int(e.payload["mentorId"]) for e in events if "mentorId" in e.payload}
    student_ids = {int(e.payload["studentId"]) for e in events if "studentId" in e.payload}
    mentors: dict[int, str] = {}
    students: dict[int, str] = {}
    if mentor_ids:
        rows = await session.execute(
            select(MentorProfile.id, MentorProfile.display_name).where(
                MentorProfile.id.in_(mentor_ids)
            )
        )
        mentors = {row.id: row.display_name for row in rows}
    if student_ids:
        rows = await session.execute(
            select(StudentProfile.id, StudentProfile.display_name).where(
                StudentProfile.id.in_(student_ids)
            )
        )
        students = {row.id: row.display_name for row in rows}
    return [
        _sentence(
            event,
            mentors.get(int(event.payload.get("mentorId") or 0), "A mentor"),
            students.get(int(event.payload.get("studentId") or 0), "A student"),
        )
        for event in events
    ]


def _sentence(event: RecordedEvent, mentor: str, student: str) -> str:
    data = event.payload
    if data.get("byCoordinator"):
        return _coordinator_sentence(event.kind, mentor, student)
    match event.kind:
        case EventKind.REQUEST_SENT:
            return f"{student} asked {mentor} to be their mentor"
        case EventKind.REQUEST_ACCEPTED:
            return f"{mentor} accepted {student}'s request"
        case EventKind.REQUEST_REJECTED:
            return f"{mentor} declined {student}'s request"
        case EventKind.REQUEST_WITHDRAWN:
            return f"{student}'s request to {mentor} was withdrawn"
        case EventKind.REQUEST_EXPIRED:
            return f"{student}'s request to {mentor} expired unanswered"
        case EventKind.REQUEST_CLOSED_MENTOR_FULL:
            return f"{student}'s request to {mentor} was closed: {mentor} is full"
        case EventKind.REQUEST_REMINDED:
            return f"{mentor} was reminded of a request waiting for an answer"
        case EventKind.MENTOR_AVAILABILITY_CHANGED:
            return _availability_sentence(AvailabilityUpdate.of(event), mentor)
        case EventKind.MENTOR_PROFILE_CHANGED:
            return f"{mentor} updated their profile"
        case EventKind.STUDENT_PROFILE_CHANGED:
            verb = "joined the programme" if data.get("created") else "updated their profile"
            return f"{student} {verb}"
        case EventKind.PROGRAMME_CHANGED:
            return "The programme's dates or limits changed"
        case EventKind.MATCH_NUDGED:
            return f"A coordinator reminded {mentor} and {student} to meet"
        case EventKind.MENTOR_HIDDEN:
            return f"A coordinator took {mentor} off the students' list"
        case EventKind.MENTOR_UNHIDDEN:
            return f"A coordinator let {mentor} publish their profile again"
        case EventKind.MENTOR_IDENTITY_VERIFIED:
            how = "the alumni register" if data.get("by") == "register" else "a coordinator"
            return f"{mentor}'s identity was checked by {how}"
        case EventKind.MENTOR_IDENTITY_UNVERIFIED:
            return f"A coordinator took back the check of {mentor}'s identity"
    return event.kind.replace("_", " ").capitalize()


def _coordinator_sentence(kind: str, mentor: str, student: str) -> str:
    match kind:
        case EventKind.REQUEST_ACCEPTED:
            return f"A coordinator matched {student} with {mentor}"
        case EventKind.REQUEST_REJECTED:
            return f"A coordinator declined {student}'s request to {mentor}"
        case EventKind.REQUEST_WITHDRAWN:
            return f"A coordinator withdrew {student}'s request to {mentor}"
    return kind.replace("_", " ").capitalize()


def _availability_sentence(update: AvailabilityUpdate, mentor: str) -> str:
    places = f"{update.remaining_capacity} of {update.capacity} places left"
    match update.availability:
        case Availability.FULL:
            return f"{mentor} is full"
        case Availability.HIDDEN:
            return f"{mentor} is no longer listed"
        case Availability.BUSY:
            return f"{mentor} is considering {update.pending_count} requests ({places})"
    if update.previous in (None, Availability.HIDDEN):
        return f"{mentor} is listed and taking requests ({places})"
    return f"{mentor} is taking requests ({places})"
