"""Reading requests: a person's own, one by id, and the coordinator's filtered lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    MentorProfile,
    MentorRequest,
    RequestStatus,
    Role,
    StudentLanguage,
    StudentProfile,
)
from services import catalogue, programmes
from services.errors import invalid, not_found
from services.viewer import Viewer, require_role

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RequestFilter:
    statuses: Sequence[RequestStatus] = ()
    mentor_id: int | None = None
    student_id: int | None = None
    older_than_hours: int | None = None  # sent more than so many hours ago
    field_id: int | None = None  # the student's field of study
    language: str | None = None  # a language the student studies in


async def of_students(
    session: AsyncSession,
    query: Select[T],
    student_id: Any,
    *,
    field_id: int | None,
    language: str | None,
) -> Select[T]:
    """Rows whose student (the column `student_id` names) is in a field, or studies in a
    language: what the overview's supply and demand counts students by."""
    if field_id is not None:
        query = query.where(
            student_id.in_(select(StudentProfile.id).where(StudentProfile.field_id == field_id))
        )
    if language is not None:
        [code] = await catalogue.check_languages(session, [language])
        query = query.where(
            student_id.in_(
                select(StudentLanguage.student_id).where(StudentLanguage.language_code == code)
            )
        )
    return query


async def mine(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    statuses: Sequence[RequestStatus] = (),
    *,
    now: datetime,
) -> list[MentorRequest]:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = select(MentorRequest).where(MentorRequest.programme_id == programme.id)
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
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = select(MentorRequest).where(MentorRequest.programme_id == programme.id)
    if flt.statuses:
        query = query.where(MentorRequest.status.in_(flt.statuses))
    if flt.mentor_id is not None:
        query = query.where(MentorRequest.mentor_id == flt.mentor_id)
    if flt.student_id is not None:
        query = query.where(MentorRequest.student_id == flt.student_id)
    if flt.older_than_hours is not None:
        if flt.older_than_hours < 0:
            raise invalid("The age of a request is a number of hours, 0 or more.")
        sent_before = now - timedelta(hours=flt.older_than_hours)
        query = query.where(MentorRequest.created_at <= sent_before)
    query = await of_students(
        session, query, MentorRequest.student_id, field_id=flt.field_id, language=flt.language
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(MentorRequest.id > after_id)
    rows = list(await session.scalars(query.order_by(MentorRequest.id).limit(first + 1)))
    return rows[:first], total, len(rows) > first
