"""A coordinator takes a mentor off the students' list (a complaint, a failed identity check)
with a reason the mentor is told by email. The students waiting are answered as when a mentor
withdraws (services/mentors.py, `take_off_list`), with a sentence that keeps the reason to the
mentor; accepted mentees stay. Until a coordinator lets them publish again, the mentor cannot
publish (services/mentors.py, `set_published`); letting them does not publish the profile."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, Role
from services import events, mail, mentors, programmes, requests
from services.availability import MentorState, record_mentor_change
from services.errors import DomainError, ErrorCode
from services.events import EventKind
from services.text import free_text
from services.viewer import Viewer, require_role

# What each waiting student reads (services/erasure.py keeps it: the programme wrote it).
HIDDEN_REASON = "The mentor is no longer available in the programme."
MAX_REASON = 1000


async def hide(
    session: AsyncSession, viewer: Viewer | None, mentor_id: int, reason: str, *, now: datetime
) -> MentorProfile:
    require_role(viewer, Role.COORDINATOR)
    reason = free_text(reason, field="reason", max_length=MAX_REASON, required=True)
    mentor = await requests.lock_mentor(session, mentor_id)
    programme = await programmes.get(session, mentor.programme_id)
    if mentor.hidden_by_coordinator_at is not None:
        raise DomainError(
            ErrorCode.MENTOR_ALREADY_HIDDEN,
            f"A coordinator already took {mentor.display_name} off the list on "
            f"{mail.local_time(programme, mentor.hidden_by_coordinator_at)}.",
            hiddenAt=mentor.hidden_by_coordinator_at.isoformat(),
        )
    before = MentorState.of(mentor)
    mentor.hidden_by_coordinator_at, mentor.hidden_reason = now, reason
    closed = await mentors.take_off_list(session, mentor, programme, reason=HIDDEN_REASON, now=now)
    mentor.updated_at = now
    await session.flush()
    record_mentor_change(session, before, mentor, programme, now=now)
    payload = {"mentorId": mentor.id, "requestsClosed": len(closed)}
    events.record(session, programme.id, EventKind.MENTOR_HIDDEN, payload, now=now)
    await mail.mentor_hidden(
        session, programme, mentor=mentor, reason=reason, students_told=len(closed), now=now
    )
    return mentor


async def unhide(
    session: AsyncSession, viewer: Viewer | None, mentor_id: int, *, now: datetime
) -> MentorProfile:
    """Lets the mentor publish again (they stay off the list until they do). Letting a mentor
    who is not held changes nothing."""
    require_role(viewer, Role.COORDINATOR)
    mentor = await requests.lock_mentor(session, mentor_id)
    if mentor.hidden_by_coordinator_at is None:
        return mentor
    programme = await programmes.get(session, mentor.programme_id)
    mentor.hidden_by_coordinator_at, mentor.hidden_reason = None, None
    mentor.updated_at = now
    await session.flush()
    events.record(
        session, programme.id, EventKind.MENTOR_UNHIDDEN, {"mentorId": mentor.id}, now=now
    )
    await mail.mentor_unhidden(session, programme, mentor=mentor, now=now)
    return mentor


def sees_hiding(viewer: Viewer | None, mentor: MentorProfile) -> bool:
    """The reason is the mentor's and the coordinators': no student reads it."""
    if viewer is None:
        return False
    return viewer.is_coordinator or viewer.user_id == mentor.user_id
