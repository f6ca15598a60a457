"""Matches: who is paired with whom, seen by the pair and by coordinators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Match, MentorProfile, Role, StudentProfile
from services import programmes, request_lists
from services.errors import not_found
from services.viewer import Viewer, require_role


async def mine(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> list[Match]:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = (
        select(Match)
        .outerjoin(MentorProfile, MentorProfile.id == Match.mentor_id)
        .outerjoin(StudentProfile, StudentProfile.id == Match.student_id)
        .where(
            Match.programme_id == programme.id,
            or_(MentorProfile.user_id == viewer.user_id, StudentProfile.user_id == viewer.user_id),
        )
        .order_by(Match.created_at.desc(), Match.id.desc())
    )
    return list(await session.scalars(query))


async def get_visible(session: AsyncSession, viewer: Viewer | None, match_id: int) -> Match:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR, Role.COORDINATOR)
    match = await session.get(Match, match_id)
    if match is None:
        raise not_found("match")
    if viewer.is_coordinator:
        return match
    owners = {
        await session.scalar(
            select(MentorProfile.user_id).where(MentorProfile.id == match.mentor_id)
        ),
        await session.scalar(
            select(StudentProfile.user_id).where(StudentProfile.id == match.student_id)
        ),
    }
    if viewer.user_id not in owners:
        raise not_found("match")
    return match


async def list_for_coordinator(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    mentor_id: int | None,
    student_id: int | None = None,
    field_id: int | None = None,
    language: str | None = None,
    first: int,
    after_id: int | None,
    now: datetime,
) -> tuple[list[Match], int, bool]:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = select(Match).where(Match.programme_id == programme.id)
    if mentor_id is not None:
        query = query.where(Match.mentor_id == mentor_id)
    if student_id is not None:
        query = query.where(Match.student_id == student_id)
    query = await request_lists.of_students(
        session, query, Match.student_id, field_id=field_id, language=language
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(Match.id > after_id)
    rows = list(await session.scalars(query.order_by(Match.id).limit(first + 1)))
    return rows[:first], total, len(rows) > first
