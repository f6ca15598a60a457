"""A mentor's availability, derived from the programme's rules (docs/rules.md), in Python and
SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, ProfileStatus, Programme
from services import events
from services.events import EventKind


class Availability(enum.StrEnum):
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    FULL = "FULL"
    HIDDEN = "HIDDEN"


LISTED = (Availability.AVAILABLE, Availability.BUSY)


@dataclass(frozen=True, slots=True)
class MentorState:
    """The counters that decide availability, as read under the mentor's row lock."""

    mentor_id: int
    programme_id: int
    status: ProfileStatus
    capacity: int
    accepted: int
    pending: int

    @classmethod
    def of(cls, mentor: MentorProfile) -> MentorState:
        return cls(
            mentor.id,
            mentor.programme_id,
            mentor.status,
            mentor.capacity,
            mentor.accepted_count,
            mentor.pending_count,
        )

    @property
    def remaining(self) -> int:
        """How many more mentees this mentor can accept."""
        return max(self.capacity - self.accepted, 0)

    def availability(self, pending_limit: int) -> Availability:
        return availability(self.status, self.capacity, self.accepted, self.pending, pending_limit)


def availability(
    status: ProfileStatus, capacity: int, accepted: int, pending: int, pending_limit: int
) -> Availability:
    if status is not ProfileStatus.PUBLISHED:
        return Availability.HIDDEN
    if accepted >= capacity:
        return Availability.FULL
    if pending >= pending_limit:
        return Availability.BUSY
    return Availability.AVAILABLE


def sql_condition(
    value: Availability, pending_limit: int | ColumnElement[int]
) -> ColumnElement[bool]:
    published = MentorProfile.status == ProfileStatus.PUBLISHED
    has_room = MentorProfile.accepted_count < MentorProfile.capacity
    match value:
        case Availability.HIDDEN:
            return not_(published)
        case Availability.FULL:
            return and_(published, not_(has_room))
        case Availability.BUSY:
            return and_(published, has_room, MentorProfile.pending_count >= pending_limit)
        case Availability.AVAILABLE:
            return and_(published, has_room, MentorProfile.pending_count < pending_limit)


def record_change(
    session: AsyncSession,
    before: MentorState,
    after: MentorState,
    *,
    pending_limit: int,
    now: datetime,
) -> None:
    """Every change of availability (or of remaining capacity) is an event subscribers see."""
    old, new = before.availability(pending_limit), after.availability(pending_limit)
    if old == new and before.accepted == after.accepted and before.capacity == after.capacity:
        return
    _record(session, after, old, new, now=now)


def record_mentor_change(
    session: AsyncSession,
    before: MentorState,
    mentor: MentorProfile,
    programme: Programme,
    *,
    now: datetime,
) -> None:
    """record_change for a mentor row the caller holds, with its programme's pending limit."""
    record_change(
        session,
        before,
        MentorState.of(mentor),
        pending_limit=programme.mentor_pending_limit,
        now=now,
    )


async def record_limit_change(
    session: AsyncSession, programme_id: int, old_limit: int, new_limit: int, *, now: datetime
) -> None:
    """A new pending limit moves the mentors between it and the old one (BUSY <-> AVAILABLE)."""
    low, high = sorted((old_limit, new_limit))
    moved = await session.scalars(
        select(MentorProfile)
        .where(
            MentorProfile.programme_id == programme_id,
            MentorProfile.status == ProfileStatus.PUBLISHED,
            MentorProfile.accepted_count < MentorProfile.capacity,
            MentorProfile.pending_count >= low,
            MentorProfile.pending_count < high,
        )
        .order_by(MentorProfile.id)
    )
    for mentor in moved:
        state = MentorState.of(mentor)
        _record(
            session, state, state.availability(old_limit), state.availability(new_limit), now=now
        )


def _record(
    session: AsyncSession,
    after: MentorState,
    old: Availability,
    new: Availability,
    *,
    now: datetime,
) -> None:
    events.record(
        session,
        after.programme_id,
        EventKind.MENTOR_AVAILABILITY_CHANGED,
        {
            "mentorId": after.mentor_id,
            "availability": new.value,
            "previous": old.value,
            "capacity": after.capacity,
            "remainingCapacity": after.remaining,
            "pendingCount": after.pending,
        },
        now=now,
    )
