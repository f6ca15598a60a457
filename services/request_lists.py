"""Reading requests: a person's own, one by id, and the coordinator's filtered lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, MentorRequest, RequestStatus, Role, StudentProfile
from services import programmes
from services.errors import not_found
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class RequestFilter:
    statuses: Sequence[RequestStatus] = ()
    mentor_id: int | None = None
    student_id: int | None = None


async def mine(
    session: AsyncSession, viewer: Viewer | None, statuses: Sequence[RequestStatus] = ()
) -> list[MentorRequest]:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR)
    query = select(MentorRequest)
    if viewer.role is Role.STUDENT:
        query = query.join(StudentProfile, StudentProfile.id == MentorRequest.student_id).where(
            StudentProfile.user_id == viewer.user_id
        )
    else:
        query = query.join(MentorProfile, MentorProfile.id == MentorRequest.mentor_id).where(
            MentorProfile.user_id == viewer.user_id
        )
    if statuses:
        query = query.where(MentorRequest.status.in_(statuses))
    return list(
        await session.scalars(
            query.order_by(MentorRequest.created_at.desc(), MentorRequest.id.desc())
        )
    )


async def get_visible(
    session: AsyncSession, viewer: Viewer | None, request_id: int
) -> MentorRequest:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR, Role.COORDINATOR)
    request = await session.get(MentorRequest, request_id)
    if request is None:
        raise not_found("request")
    if viewer.is_coordinator:
        return request
    owner_query = (
        select(StudentProfile.user_id).where(StudentProfile.id == request.student_id)
        if viewer.role is Role.STUDENT
        else select(MentorProfile.user_id).where(MentorProfile.id == request.mentor_id)
    )
    if await session.scalar(owner_query) != viewer.user_id:
        raise not_found("request")
    return request


async def list_for_coordinator(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    flt: RequestFilter,
    *,
    first: int,
    after_id: int | None,
    now: datetime,
) -> tuple[list[MentorRequest], int, bool]:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, programme_id, now=now)
    query = select(MentorRequest).where(MentorRequest.programme_id == programme.id)
    if flt.statuses:
        query = query.where(MentorRequest.status.in_(flt.statuses))
    if flt.mentor_id is not None:
        query = query.where(MentorRequest.mentor_id == flt.mentor_id)
    if flt.student_id is not None:
        query = query.where(MentorRequest.student_id == flt.student_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(MentorRequest.id > after_id)
    rows = list(await session.scalars(query.order_by(MentorRequest.id).limit(first + 1)))
    return rows[:first], total, len(rows) > first
