"""Students still without a mentor: the list coordinators follow up and export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, StudentProfile
from services import programmes
from services.viewer import Viewer, require_role


async def list_for_coordinator(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    first: int,
    after_id: int | None,
    now: datetime,
) -> tuple[list[StudentProfile], int, bool]:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = select(StudentProfile).where(
        StudentProfile.programme_id == programme.id, StudentProfile.matched.is_(False)
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(StudentProfile.id > after_id)
    rows = list(await session.scalars(query.order_by(StudentProfile.id).limit(first + 1)))
    return rows[:first], total, len(rows) > first
