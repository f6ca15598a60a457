"""Rule 9 (docs/rules.md): a pending request expires after the programme's
request_expiry_hours (never when that is unset), releasing both sides; the mentor is reminded
reminder_hours_before_expiry before.

The periodic task (app/scheduler.py) finds what is due in each programme, then runs each expiry
or reminder in a unit of work of its own. Each is a conditional UPDATE, so however many
processes try, a request expires once and its mentor is reminded once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, MentorRequest, Programme, RequestStatus, StudentProfile
from services import events, mail, programmes, requests
from services.errors import DomainError, ErrorCode
from services.events import EventKind


def expires_at(programme: Programme, request: MentorRequest) -> datetime | None:
    if programme.request_expiry_hours is None:
        return None
    return request.created_at + timedelta(hours=programme.request_expiry_hours)


def _reminder_lead(programme: Programme) -> timedelta | None:
    """How long after sending the reminder is due; none when it would not come before expiry."""
    expiry, before = programme.request_expiry_hours, programme.reminder_hours_before_expiry
    if expiry is None or not before or before >= expiry:
        return None
    return timedelta(hours=expiry - before)


def _pending(programme_id: int) -> Select[int]:
    return select(MentorRequest.id).where(
        MentorRequest.programme_id == programme_id,
        MentorRequest.status == RequestStatus.PENDING,
    )


async def due_expiries(session: AsyncSession, programme_id: int, *, now: datetime) -> list[int]:
    """The programme's pending requests past their expiry, oldest first."""
    programme = await programmes.get(session, programme_id)
    if programme.request_expiry_hours is None or programme.purged_at is not None:
        return []
    expire_from = now - timedelta(hours=programme.request_expiry_hours)
    return list(
        await session.scalars(
            _pending(programme_id)
            .where(MentorRequest.created_at <= expire_from)
            .order_by(MentorRequest.created_at, MentorRequest.id)
        )
    )


async def due_reminders(session: AsyncSession, programme_id: int, *, now: datetime) -> list[int]:
    """The programme's pending requests whose mentor is due a reminder, oldest first."""
    programme = await programmes.get(session, programme_id)
    lead = _reminder_lead(programme)
    if lead is None or programme.request_expiry_hours is None or programme.purged_at is not None:
        return []
    expire_from = now - timedelta(hours=programme.request_expiry_hours)
    return list(
        await session.scalars(
            _pending(programme_id)
            .where(
                MentorRequest.reminded_at.is_(None),
                MentorRequest.created_at <= now - lead,
                MentorRequest.created_at > expire_from,
            )
            .order_by(MentorRequest.created_at, MentorRequest.id)
        )
    )


async def expire(session: AsyncSession, request_id: int, *, now: datetime) -> bool:
    """Expire one request if it is still pending and past its time; False if there was
    nothing to do (answered meanwhile, expiry switched off or moved, already expired)."""
    request = await session.get(MentorRequest, request_id)
    if request is None or request.status is not RequestStatus.PENDING:
        return False
    programme = await programmes.get(session, request.programme_id)
    deadline = expires_at(programme, request)
    if deadline is None or deadline > now:
        return False
    try:
        expired = await requests.expire(session, request_id, programme, now=now)
    except DomainError as error:
        if error.code is ErrorCode.REQUEST_NOT_PENDING:
            return False  # the mentor answered, or the student withdrew, a moment before
        raise
    return expired.status is RequestStatus.EXPIRED


async def remind(session: AsyncSession, request_id: int, *, now: datetime) -> bool:
    """Remind the mentor once; False if it was done already or is not due."""
    request = await session.get(MentorRequest, request_id)
    if request is None:
        return False
    programme = await programmes.get(session, request.programme_id)
    lead, deadline = _reminder_lead(programme), expires_at(programme, request)
    if lead is None or deadline is None or deadline <= now:
        return False
    claimed = await session.scalar(
        update(MentorRequest)
        .where(
            MentorRequest.id == request_id,
            MentorRequest.status == RequestStatus.PENDING,
            MentorRequest.reminded_at.is_(None),
            MentorRequest.created_at <= now - lead,
        )
        .values(reminded_at=now)
        .returning(MentorRequest.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return False
    mentor = await session.get(MentorProfile, request.mentor_id)
    student = await session.get(StudentProfile, request.student_id)
    assert mentor is not None
    assert student is not None
    await mail.request_reminder(
        session,
        programme,
        request,
        mentor=mentor,
        student=student,
        expires_at=deadline,
        now=now,
    )
    events.record(
        session,
        programme.id,
        EventKind.REQUEST_REMINDED,
        {"requestId": request.id, "mentorId": request.mentor_id, "expiresAt": deadline.isoformat()},
        now=now,
    )
    return True
