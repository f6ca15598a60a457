"""What a change of a programme's dates or limits would do to the people waiting in it, asked
before the change is saved (services/programmes.py, `update`, saves it). Nothing here refuses a
change: the coordinator decides, knowing who it touches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    MentorProfile,
    MentorRequest,
    Phase,
    ProfileStatus,
    Programme,
    RequestStatus,
    Role,
    StudentProfile,
)
from services import programmes
from services.programmes import Limits, PhaseDates
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class Impact:
    pending_requests: int  # waiting for an answer now
    request_window_closes: bool  # student requests are open now and would not be
    students_over_limit: int  # students holding more pending requests than the new limit
    mentors_over_limit: int  # mentors holding more pending requests than the new limit
    mentors_made_busy: int  # listed mentors who take requests now and would not
    requests_lapsing: int  # pending requests the new expiry time has passed already
    warnings: list[str] = field(default_factory=list)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _dates_after(programme: Programme, phases: Sequence[PhaseDates]) -> dict[Phase, PhaseDates]:
    dates = {p.phase: PhaseDates(p.phase, p.opens_on, p.closes_on) for p in programme.phases}
    dates.update({p.phase: p for p in phases})
    return dates


def _open_on(dates: dict[Phase, PhaseDates], phase: Phase, today: date) -> bool:
    found = dates.get(phase)
    return found is not None and found.opens_on <= today <= found.closes_on


async def impact(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int,
    *,
    phases: Sequence[PhaseDates] = (),
    limits: Limits = Limits(),
    now: datetime,
) -> Impact:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.get(session, programme_id)
    today = programmes.local_date(programme, now)
    dates = _dates_after(programme, phases)
    pending = select(MentorRequest.id).where(
        MentorRequest.programme_id == programme.id, MentorRequest.status == RequestStatus.PENDING
    )
    waiting = await _count(session, pending)
    warnings: list[str] = []

    closes = programmes.is_open(programme, Phase.STUDENT_REQUESTS, now) and not _open_on(
        dates, Phase.STUDENT_REQUESTS, today
    )
    if closes and waiting:
        answerable = _open_on(dates, Phase.PROGRAMME, today)
        warnings.append(
            f"Student requests close at once while {_plural(waiting, 'request is', 'requests are')}"
            " waiting for an answer."
            + (
                ""
                if answerable
                else " Their mentors cannot answer them until the programme begins: they wait "
                "for expiry or for you to step in."
            )
        )

    students_over = 0
    limit = limits.student_pending_limit
    if limit is not None and limit < programme.student_pending_limit:
        students_over = await _count(
            session,
            select(StudentProfile.id).where(
                StudentProfile.programme_id == programme.id, StudentProfile.pending_count > limit
            ),
        )
        if students_over:
            warnings.append(
                f"{_plural(students_over, 'student holds', 'students hold')} more than "
                f"{_plural(limit, 'pending request', 'pending requests')}: they keep them, and "
                "send no new one until they are below the limit."
            )

    mentors_over = made_busy = 0
    limit = limits.mentor_pending_limit
    if limit is not None and limit < programme.mentor_pending_limit:
        mentors = select(MentorProfile.id).where(
            MentorProfile.programme_id == programme.id,
            MentorProfile.status == ProfileStatus.PUBLISHED,
            MentorProfile.accepted_count < MentorProfile.capacity,
        )
        mentors_over = await _count(session, mentors.where(MentorProfile.pending_count > limit))
        made_busy = await _count(
            session,
            mentors.where(
                MentorProfile.pending_count >= limit,
                MentorProfile.pending_count < programme.mentor_pending_limit,
            ),
        )
        if mentors_over:
            warnings.append(
                f"{_plural(mentors_over, 'mentor holds', 'mentors hold')} more than "
                f"{_plural(limit, 'pending request', 'pending requests')}: they keep them."
            )
        if made_busy:
            warnings.append(
                f"{_plural(made_busy, 'available mentor becomes', 'available mentors become')} "
                "busy at once: listed, but taking no new request."
            )

    lapsing = 0
    hours = limits.request_expiry_hours
    if not limits.clear_request_expiry and hours is not None:
        before = programme.request_expiry_hours
        if before is None or hours < before:
            lapsing = await _count(
                session, pending.where(MentorRequest.created_at <= now - timedelta(hours=hours))
            )
            if lapsing:
                warnings.append(
                    f"{_plural(lapsing, 'pending request has', 'pending requests have')} waited "
                    f"longer than {_plural(hours, 'hour', 'hours')} already: "
                    f"{'it lapses' if lapsing == 1 else 'they lapse'} at the next expiry "
                    "round, and both sides are told."
                )

    return Impact(
        pending_requests=waiting,
        request_window_closes=closes,
        students_over_limit=students_over,
        mentors_over_limit=mentors_over,
        mentors_made_busy=made_busy,
        requests_lapsing=lapsing,
        warnings=warnings,
    )


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
