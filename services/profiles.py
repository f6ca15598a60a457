"""The viewer's own profiles, found by programme (the current one by default)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, StudentProfile
from services import programmes
from services.viewer import Viewer, require_viewer


async def own_mentor_profile(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> MentorProfile | None:
    viewer = require_viewer(viewer)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    return await session.scalar(
        select(MentorProfile).where(
            MentorProfile.programme_id == programme.id, MentorProfile.user_id == viewer.user_id
        )
    )


async def own_student_profile(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> StudentProfile | None:
    viewer = require_viewer(viewer)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    return await session.scalar(
        select(StudentProfile).where(
            StudentProfile.programme_id == programme.id, StudentProfile.user_id == viewer.user_id
        )
    )
