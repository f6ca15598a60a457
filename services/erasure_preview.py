"""What erasing a person would do, counted before a coordinator confirms it: the same rows
services/erasure.py, `erase`, changes, read without changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Match,
    Meeting,
    MentorProfile,
    MentorRequest,
    RequestStatus,
    Role,
    StudentProfile,
    User,
)
from services import erasure
from services.errors import not_found
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class ErasurePreview:
    user_id: int
    already_erased: bool
    programme_ids: list[int]
    # Requests waiting on them as a mentor: declined ("The mentor left the programme."), each
    # student released at once and told by email.
    pending_to_them: int
    # Requests they sent as a student, still waiting: withdrawn, each mentor's slot freed.
    pending_from_them: int
    # Requests of theirs, answered or not: kept for the counts, their messages emptied.
    requests: int
    # Matches: kept as anonymous records (the other side keeps theirs), the pair's meeting
    # notes emptied.
    matches: int
    meetings_with_notes: int


async def preview(
    session: AsyncSession, viewer: Viewer | None, kind: str, key: int
) -> ErasurePreview:
    require_role(viewer, Role.COORDINATOR)
    user_id = await erasure.owner_of(session, kind, key)
    user = None if user_id is None else await session.get(User, user_id)
    if user is None:
        raise not_found("person")
    mentors = list(
        (
            await session.execute(
                select(MentorProfile.id, MentorProfile.programme_id).where(
                    MentorProfile.user_id == user.id
                )
            )
        ).all()
    )
    students = list(
        (
            await session.execute(
                select(StudentProfile.id, StudentProfile.programme_id).where(
                    StudentProfile.user_id == user.id
                )
            )
        ).all()
    )
    mentor_ids, student_ids = [m.id for m in mentors], [s.id for s in students]
    theirs = or_(MentorRequest.mentor_id.in_(mentor_ids), MentorRequest.student_id.in_(student_ids))
    pending = MentorRequest.status == RequestStatus.PENDING
    pending_to_them = await _count(
        session, select(MentorRequest.id).where(MentorRequest.mentor_id.in_(mentor_ids), pending)
    )
    pending_from_them = await _count(
        session, select(MentorRequest.id).where(MentorRequest.student_id.in_(student_ids), pending)
    )
    match_ids = select(Match.id).where(
        or_(Match.mentor_id.in_(mentor_ids), Match.student_id.in_(student_ids))
    )
    programme_ids = sorted({p.programme_id for p in (*mentors, *students)})
    return ErasurePreview(
        user_id=user.id,
        already_erased=user.erased_at is not None,
        programme_ids=programme_ids,
        pending_to_them=pending_to_them,
        pending_from_them=pending_from_them,
        requests=await _count(session, select(MentorRequest.id).where(theirs)),
        matches=await _count(session, match_ids),
        meetings_with_notes=await _count(
            session,
            select(Meeting.id).where(Meeting.match_id.in_(match_ids), Meeting.note != ""),
        ),
    )


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
