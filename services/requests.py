"""Requests and decisions: the programme's rules 4 to 8 (docs/rules.md), enforced under row locks.

Every operation here takes its locks in one order, mentor row first, then request rows, then
student rows (the programme row is taken last, when events are written), so that concurrent
operations queue instead of deadlocking. The conditional UPDATEs are the guards: a check and
its write are one statement, so no race can slip between them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Match,
    MentorDegreeLevel,
    MentorProfile,
    MentorRequest,
    Phase,
    ProfileStatus,
    Programme,
    RequestStatus,
    Role,
    StudentProfile,
    table_of,
)
from services import events, mail, programmes
from services.availability import Availability, MentorState, record_change, record_mentor_change
from services.errors import DomainError, ErrorCode, forbidden, not_found
from services.events import EventKind
from services.text import free_text
from services.viewer import Viewer, require_role

MENTOR_FULL_REASON = "mentor is full"
# A student asks a mentor once, unless they withdrew it or it lapsed or closed unanswered
# (the database holds this too: a partial unique index on the pair).
ONE_PER_PAIR = (RequestStatus.PENDING, RequestStatus.ACCEPTED, RequestStatus.REJECTED)
MAX_MESSAGE = 2000
MAX_REASON = 1000

_EVENT_FOR = {
    RequestStatus.ACCEPTED: EventKind.REQUEST_ACCEPTED,
    RequestStatus.REJECTED: EventKind.REQUEST_REJECTED,
    RequestStatus.WITHDRAWN: EventKind.REQUEST_WITHDRAWN,
    RequestStatus.EXPIRED: EventKind.REQUEST_EXPIRED,
    RequestStatus.CLOSED_MENTOR_FULL: EventKind.REQUEST_CLOSED_MENTOR_FULL,
}


class Decision(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WITHDRAW = "WITHDRAW"


def _record(
    session: AsyncSession,
    request: MentorRequest,
    kind: str,
    *,
    mentor_user_id: int,
    student_user_id: int,
    now: datetime,
    by_coordinator: bool = False,
) -> None:
    payload: dict[str, object] = {
        "requestId": request.id,
        "mentorId": request.mentor_id,
        "studentId": request.student_id,
        "mentorUserId": mentor_user_id,
        "studentUserId": student_user_id,
        "status": request.status.value,
        "reason": request.reason,
    }
    if by_coordinator:
        payload["byCoordinator"] = True
    events.record(session, request.programme_id, kind, payload, now=now)


_LOCK_MENTOR = (
    select(MentorProfile)
    .where(MentorProfile.id == bindparam("mentor_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_RELOAD = (
    select(MentorRequest)
    .where(MentorRequest.id == bindparam("request_id"))
    .execution_options(populate_existing=True)
)


async def lock_mentor(session: AsyncSession, mentor_id: int) -> MentorProfile:
    """The mentor's row, locked until the transaction ends, read afresh."""
    mentor = await session.scalar(_LOCK_MENTOR, {"mentor_id": mentor_id})
    if mentor is None:
        raise not_found("mentor")
    return mentor


async def _reload(session: AsyncSession, request_id: int) -> MentorRequest:
    request = await session.scalar(_RELOAD, {"request_id": request_id})
    if request is None:
        raise not_found("request")
    return request


def _not_pending(request: MentorRequest) -> DomainError:
    return DomainError(
        ErrorCode.REQUEST_NOT_PENDING,
        f"This request is no longer waiting for an answer: it is {request.status.value.lower()}.",
        status=request.status.value,
    )


# What a student's request needs to know, read in one statement: the mentor, the student's
# profile in the mentor's programme (if any), whether the mentor takes the student's degree
# level, and an earlier request of the pair that still counts. Built once, run with the ids.
_SENDING = (
    select(
        MentorProfile,
        StudentProfile,
        exists()
        .where(
            MentorDegreeLevel.mentor_id == MentorProfile.id,
            MentorDegreeLevel.degree_level == StudentProfile.degree_level,
        )
        .label("takes_level"),
        select(MentorRequest.status)
        .where(
            MentorRequest.mentor_id == MentorProfile.id,
            MentorRequest.student_id == StudentProfile.id,
            MentorRequest.status.in_(ONE_PER_PAIR),
        )
        .limit(1)
        .scalar_subquery()
        .label("earlier"),
    )
    .outerjoin(
        StudentProfile,
        and_(
            StudentProfile.programme_id == MentorProfile.programme_id,
            StudentProfile.user_id == bindparam("user_id"),
        ),
    )
    .where(MentorProfile.id == bindparam("mentor_id"))
)
# The guards: each takes a slot only while the rule allows it, and says what it left. (On the
# tables, not the mapped classes: they touch no object the session holds.)
_MENTORS = table_of(MentorProfile).c
_STUDENTS = table_of(StudentProfile).c
_TAKE_MENTOR_SLOT = (
    update(table_of(MentorProfile))
    .where(
        _MENTORS.id == bindparam("mentor_id"),
        _MENTORS.status == ProfileStatus.PUBLISHED,
        _MENTORS.accepted_count < _MENTORS.capacity,
        _MENTORS.pending_count < bindparam("limit"),
    )
    .values(pending_count=_MENTORS.pending_count + 1)
    .returning(_MENTORS.status, _MENTORS.capacity, _MENTORS.accepted_count, _MENTORS.pending_count)
)
_TAKE_STUDENT_SLOT = (
    update(table_of(StudentProfile))
    .where(
        _STUDENTS.id == bindparam("student_id"),
        _STUDENTS.matched.is_(False),
        _STUDENTS.pending_count < bindparam("limit"),
        # The degree level checked before is still the student's.
        _STUDENTS.degree_level == bindparam("level"),
    )
    .values(pending_count=_STUDENTS.pending_count + 1)
    .returning(_STUDENTS.id)
)
_NEW_REQUEST = insert(MentorRequest).returning(MentorRequest)


async def send(
    session: AsyncSession,
    viewer: Viewer | None,
    mentor_id: int,
    message: str,
    *,
    now: datetime,
) -> MentorRequest:
    viewer = require_role(viewer, Role.STUDENT)
    message = free_text(message, field="message", max_length=MAX_MESSAGE)
    found = (
        await session.execute(_SENDING, {"mentor_id": mentor_id, "user_id": viewer.user_id})
    ).one_or_none()
    if found is None:
        raise not_found("mentor")
    mentor, student, takes_level, earlier = found
    programme = await programmes.get(session, mentor.programme_id)
    programmes.require_open(programme, Phase.STUDENT_REQUESTS, now)
    if student is None:
        raise DomainError(
            ErrorCode.PROFILE_REQUIRED,
            "Fill in your student profile (degree level and field) before asking for a mentor.",
        )
    _check_student_free(student, programme)
    if mentor.status is ProfileStatus.PUBLISHED and not takes_level:
        level = "doctoral" if student.degree_level.value == "DOCTORAL" else "master's"
        raise DomainError(
            ErrorCode.DEGREE_LEVEL_MISMATCH,
            f"{mentor.display_name} does not mentor {level} students; choose a mentor who does.",
        )
    if earlier is not None:
        raise _already_asked(mentor, RequestStatus(earlier))

    limit = programme.mentor_pending_limit
    if (as_read := MentorState.of(mentor).availability(limit)) is not Availability.AVAILABLE:
        raise _unavailable(mentor, as_read)  # as the statement above read it: nothing written
    taken = (
        await session.execute(_TAKE_MENTOR_SLOT, {"mentor_id": mentor.id, "limit": limit})
    ).one_or_none()
    if taken is None:
        raise await _why_unavailable(session, mentor.id, limit)
    # The state as this statement found and left it, under the row lock: never a stale read.
    after = MentorState(mentor.id, programme.id, *taken)
    before = replace(after, pending=after.pending - 1)
    claimed = (
        await session.execute(
            _TAKE_STUDENT_SLOT,
            {
                "student_id": student.id,
                "limit": programme.student_pending_limit,
                "level": student.degree_level,
            },
        )
    ).scalar_one_or_none()
    if claimed is None:
        # Another tab of the same student got there first; the rollback undoes the mentor's slot.
        _check_student_free(await _refresh_student(session, student.id), programme)
        raise DomainError(ErrorCode.CONFLICT, "Your request could not be sent; try again.")

    try:
        request = (
            await session.scalars(
                _NEW_REQUEST,
                {
                    "programme_id": programme.id,
                    "student_id": student.id,
                    "mentor_id": mentor.id,
                    "status": RequestStatus.PENDING,
                    "message": message,
                    "created_at": now,
                },
            )
        ).one()
    except IntegrityError as error:  # the same pair, sent twice at once
        raise _already_asked(mentor, RequestStatus.PENDING) from error
    _record(
        session,
        request,
        EventKind.REQUEST_SENT,
        mentor_user_id=mentor.user_id,
        student_user_id=viewer.user_id,
        now=now,
    )
    record_change(session, before, after, pending_limit=limit, now=now)
    await mail.request_arrived(session, programme, request, mentor=mentor, student=student, now=now)
    return request


def _already_asked(mentor: MentorProfile, earlier: RequestStatus) -> DomainError:
    if earlier is RequestStatus.REJECTED:
        message = f"{mentor.display_name} declined your earlier request; choose another mentor."
    else:
        message = f"You have already asked {mentor.display_name}; choose another mentor."
    return DomainError(ErrorCode.ALREADY_REQUESTED, message)


async def _refresh_student(session: AsyncSession, student_id: int) -> StudentProfile:
    student = await session.scalar(
        select(StudentProfile)
        .where(StudentProfile.id == student_id)
        .execution_options(populate_existing=True)
    )
    assert student is not None
    return student


def _check_student_free(student: StudentProfile, programme: Programme) -> None:
    if student.matched:
        raise DomainError(
            ErrorCode.STUDENT_ALREADY_MATCHED, "You already have a mentor in this programme."
        )
    if student.pending_count >= programme.student_pending_limit:
        raise DomainError(
            ErrorCode.STUDENT_HAS_PENDING_REQUEST,
            "You already have a request waiting for an answer; withdraw it or wait for the "
            "mentor's decision before asking someone else.",
        )


async def _why_unavailable(session: AsyncSession, mentor_id: int, limit: int) -> DomainError:
    """Why the mentor had no slot when the guard ran (they had one when first read)."""
    mentor = await session.scalar(
        select(MentorProfile)
        .where(MentorProfile.id == mentor_id)
        .execution_options(populate_existing=True)
    )
    assert mentor is not None
    return _unavailable(mentor, MentorState.of(mentor).availability(limit))


def _unavailable(mentor: MentorProfile, availability: Availability) -> DomainError:
    match availability:
        case Availability.FULL:
            return DomainError(
                ErrorCode.MENTOR_FULL, f"{mentor.display_name} has no room for more mentees."
            )
        case Availability.BUSY:
            return DomainError(
                ErrorCode.MENTOR_BUSY,
                f"{mentor.display_name} is considering other requests right now; try again "
                "later or choose another mentor.",
            )
        case _:
            # A draft or withdrawn profile is hidden from students: its name must not leak here.
            return DomainError(
                ErrorCode.MENTOR_NOT_AVAILABLE, "That mentor is not taking requests."
            )


# A request with whose it is: its mentor's and its student's accounts.
_DECIDING = (
    select(MentorRequest, MentorProfile.user_id, StudentProfile.user_id)
    .join(MentorProfile, MentorProfile.id == MentorRequest.mentor_id)
    .join(StudentProfile, StudentProfile.id == MentorRequest.student_id)
    .where(MentorRequest.id == bindparam("request_id"))
)


async def _load_for_decision(
    session: AsyncSession, viewer: Viewer | None, request_id: int, *, as_student: bool = False
) -> tuple[MentorRequest, Viewer]:
    viewer = require_role(viewer, Role.STUDENT if as_student else Role.MENTOR, Role.COORDINATOR)
    found = (await session.execute(_DECIDING, {"request_id": request_id})).one_or_none()
    if found is None:
        raise not_found("request")
    request, mentor_user_id, student_user_id = found
    if viewer.is_coordinator:
        return request, viewer
    if (student_user_id if as_student else mentor_user_id) != viewer.user_id:
        raise not_found("request")
    return request, viewer


async def accept(
    session: AsyncSession,
    viewer: Viewer | None,
    request_id: int,
    *,
    now: datetime,
    override: bool = False,
) -> MentorRequest:
    request, viewer = await _load_for_decision(session, viewer, request_id)
    if viewer.is_coordinator and not override:
        raise forbidden("Coordinators decide on a mentor's behalf only with an override.")
    programme = await programmes.get(session, request.programme_id)
    programmes.require_open(
        programme, Phase.STUDENT_REQUESTS, now, override=override or _in_programme(programme, now)
    )

    mentor = await lock_mentor(session, request.mentor_id)
    before = MentorState.of(mentor)
    moved = await _transition(session, request.id, RequestStatus.ACCEPTED, None, now)
    if moved is None:
        request = await _reload(session, request.id)
        if request.status is RequestStatus.ACCEPTED:
            return request  # the same accept, sent again: one transition only
        raise _not_pending(request)
    request = moved
    if mentor.accepted_count >= mentor.capacity:
        raise DomainError(ErrorCode.MENTOR_FULL, "You have no room for another mentee.")
    mentor.accepted_count += 1
    mentor.pending_count -= 1
    student = (
        await session.scalars(_MATCH_STUDENT, {"student_id": request.student_id})
    ).one_or_none()
    if student is None:
        raise DomainError(
            ErrorCode.STUDENT_ALREADY_MATCHED,
            "This student already has a mentor in this programme.",
        )
    session.add(
        Match(
            programme_id=request.programme_id,
            request_id=request.id,
            student_id=request.student_id,
            mentor_id=mentor.id,
            created_at=now,
        )
    )
    _record(
        session,
        request,
        EventKind.REQUEST_ACCEPTED,
        mentor_user_id=mentor.user_id,
        student_user_id=student.user_id,
        now=now,
        by_coordinator=viewer.is_coordinator,
    )
    if mentor.accepted_count >= mentor.capacity:
        await close_pending_for_mentor(
            session,
            mentor,
            programme,
            reason=MENTOR_FULL_REASON,
            now=now,
            status=RequestStatus.CLOSED_MENTOR_FULL,
        )
    if student.pending_count:
        await _release_other_requests_of(session, student, programme, now=now)
    await session.flush()
    record_mentor_change(session, before, mentor, programme, now=now)
    await mail.request_accepted(
        session,
        programme,
        request,
        mentor=mentor,
        student=student,
        now=now,
        by_coordinator=viewer.is_coordinator,
    )
    return request


def _in_programme(programme: Programme, now: datetime) -> bool:
    # Answers to requests sent in the window are still welcome once the programme has begun.
    return programmes.is_open(programme, Phase.PROGRAMME, now)


_END_PENDING = (
    update(MentorRequest)
    .where(
        MentorRequest.id == bindparam("request_id"),
        MentorRequest.status == RequestStatus.PENDING,
    )
    .values(status=bindparam("to"), reason=bindparam("why"), decided_at=bindparam("at"))
    .returning(MentorRequest)
    .execution_options(synchronize_session=False, populate_existing=True)
)
_RELEASE_STUDENT = (
    update(StudentProfile)
    .where(StudentProfile.id == bindparam("student_id"))
    .values(pending_count=StudentProfile.pending_count - 1)
    .returning(StudentProfile)
    .execution_options(synchronize_session=False, populate_existing=True)
)
_MATCH_STUDENT = (
    update(StudentProfile)
    .where(StudentProfile.id == bindparam("student_id"), StudentProfile.matched.is_(False))
    .values(pending_count=StudentProfile.pending_count - 1, matched=True)
    .returning(StudentProfile)
    .execution_options(synchronize_session=False, populate_existing=True)
)


async def _transition(
    session: AsyncSession,
    request_id: int,
    status: RequestStatus,
    reason: str | None,
    now: datetime,
) -> MentorRequest | None:
    """The request, moved from pending to this status; None if it was no longer pending."""
    moved = await session.scalars(
        _END_PENDING, {"request_id": request_id, "to": status, "why": reason, "at": now}
    )
    return moved.one_or_none()


async def _release_student(session: AsyncSession, student_id: int) -> StudentProfile:
    """The student stops waiting on this request (their row lock comes after the mentor's)."""
    return (await session.scalars(_RELEASE_STUDENT, {"student_id": student_id})).one()


async def close_pending_for_mentor(
    session: AsyncSession,
    mentor: MentorProfile,
    programme: Programme,
    *,
    reason: str,
    now: datetime,
    status: RequestStatus = RequestStatus.REJECTED,
) -> list[MentorRequest]:
    """Answer every request still waiting on a mentor who fills up or leaves (the caller holds
    the mentor's row lock): each student is released at once and told."""
    closed = list(
        await session.scalars(
            update(MentorRequest)
            .where(
                MentorRequest.mentor_id == mentor.id, MentorRequest.status == RequestStatus.PENDING
            )
            .values(status=status, reason=reason, decided_at=now)
            .returning(MentorRequest)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    )
    if not closed:
        return []
    mentor.pending_count -= len(closed)
    for request in sorted(closed, key=lambda r: r.student_id):
        student = await _release_student(session, request.student_id)
        _record(
            session,
            request,
            _EVENT_FOR[status],
            mentor_user_id=mentor.user_id,
            student_user_id=student.user_id,
            now=now,
        )
        await mail.request_declined(
            session, programme, request, mentor=mentor, student=student, now=now
        )
    return closed


async def _release_other_requests_of(
    session: AsyncSession, student: StudentProfile, programme: Programme, *, now: datetime
) -> None:
    """A matched student stops waiting on anyone else (only possible when the programme allows
    more than one pending request per student)."""
    others = list(
        await session.scalars(
            select(MentorRequest)
            .where(
                MentorRequest.student_id == student.id,
                MentorRequest.status == RequestStatus.PENDING,
            )
            .order_by(MentorRequest.mentor_id)
        )
    )
    for request in others:
        await _finish(
            session,
            request,
            RequestStatus.WITHDRAWN,
            "The student was matched with another mentor.",
            programme,
            now=now,
        )


async def _finish(
    session: AsyncSession,
    request: MentorRequest,
    status: RequestStatus,
    reason: str | None,
    programme: Programme,
    *,
    now: datetime,
    by_coordinator: bool = False,
) -> MentorRequest:
    """End a pending request without a match (reject, withdraw, expire), freeing both sides."""
    mentor = await lock_mentor(session, request.mentor_id)
    before = MentorState.of(mentor)
    moved = await _transition(session, request.id, status, reason, now)
    if moved is None:
        request = await _reload(session, request.id)
        if request.status is status:
            return request
        raise _not_pending(request)
    request = moved
    mentor.pending_count -= 1
    student = await _release_student(session, request.student_id)
    _record(
        session,
        request,
        _EVENT_FOR[status],
        mentor_user_id=mentor.user_id,
        student_user_id=student.user_id,
        now=now,
        by_coordinator=by_coordinator,
    )
    record_mentor_change(session, before, mentor, programme, now=now)
    if status is RequestStatus.REJECTED:
        await mail.request_declined(
            session, programme, request, mentor=mentor, student=student, now=now
        )
    elif status is RequestStatus.EXPIRED:
        # Written here, after the one transition, so an expiry is announced exactly once.
        await mail.request_expired(
            session, programme, request, mentor=mentor, student=student, now=now
        )
    return request


async def reject(
    session: AsyncSession,
    viewer: Viewer | None,
    request_id: int,
    reason: str | None,
    *,
    now: datetime,
    override: bool = False,
) -> MentorRequest:
    request, viewer = await _load_for_decision(session, viewer, request_id)
    if viewer.is_coordinator and not override:
        raise forbidden("Coordinators decide on a mentor's behalf only with an override.")
    reason = free_text(reason or "", field="reason", max_length=MAX_REASON) or None
    programme = await programmes.get(session, request.programme_id)
    programmes.require_open(
        programme, Phase.STUDENT_REQUESTS, now, override=override or _in_programme(programme, now)
    )
    return await _finish(
        session,
        request,
        RequestStatus.REJECTED,
        reason,
        programme,
        now=now,
        by_coordinator=viewer.is_coordinator,
    )


async def withdraw(
    session: AsyncSession,
    viewer: Viewer | None,
    request_id: int,
    *,
    now: datetime,
    override: bool = False,
) -> MentorRequest:
    request, viewer = await _load_for_decision(session, viewer, request_id, as_student=True)
    if viewer.is_coordinator and not override:
        raise forbidden("Coordinators withdraw a student's request only with an override.")
    programme = await programmes.get(session, request.programme_id)
    return await _finish(
        session,
        request,
        RequestStatus.WITHDRAWN,
        None,
        programme,
        now=now,
        by_coordinator=viewer.is_coordinator,
    )


async def expire(
    session: AsyncSession, request_id: int, programme: Programme, *, now: datetime
) -> MentorRequest:
    """Rule 9: an unanswered request lapses, releasing both sides (called by the expiry task)."""
    return await _finish(
        session,
        await _reload(session, request_id),
        RequestStatus.EXPIRED,
        "The mentor did not answer in time.",
        programme,
        now=now,
    )


async def act_as_coordinator(
    session: AsyncSession,
    viewer: Viewer | None,
    request_id: int,
    decision: Decision,
    reason: str | None,
    *,
    now: datetime,
) -> MentorRequest:
    """A coordinator steps in: phase dates do not apply, the capacity rules still do."""
    require_role(viewer, Role.COORDINATOR)
    match decision:
        case Decision.ACCEPT:
            return await accept(session, viewer, request_id, now=now, override=True)
        case Decision.REJECT:
            return await reject(session, viewer, request_id, reason, now=now, override=True)
        case Decision.WITHDRAW:
            return await withdraw(session, viewer, request_id, now=now, override=True)
