"""The end-of-programme report's own figures: what the pairs did after they were matched.
The rest of the report (people, requests, supply and demand, survey results) comes from
services/stats.py and services/survey_results.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BriefingAudience, BriefingSession, BriefingSignUp, Match, Meeting, Role
from services import programmes
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class Report:
    programme_id: int
    matches: int
    meetings_held: int
    pairs_met: int  # matches with at least one meeting recorded
    pairs_nudged: int
    mentors_briefed: int  # signed up for a briefing session
    students_briefed: int


async def report(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> Report:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    matches, nudged = (
        await session.execute(
            select(func.count(), func.count(Match.nudged_at)).where(
                Match.programme_id == programme.id
            )
        )
    ).one()
    meetings, pairs = (
        await session.execute(
            select(func.count(), func.count(distinct(Meeting.match_id))).where(
                Meeting.programme_id == programme.id
            )
        )
    ).one()
    briefed = dict(
        (
            await session.execute(
                select(BriefingSession.audience, func.count())
                .select_from(BriefingSignUp)
                .join(BriefingSession, BriefingSession.id == BriefingSignUp.session_id)
                .where(BriefingSignUp.programme_id == programme.id)
                .group_by(BriefingSession.audience)
            )
        ).all()
    )
    return Report(
        programme_id=programme.id,
        matches=matches,
        meetings_held=meetings,
        pairs_met=pairs,
        pairs_nudged=nudged,
        mentors_briefed=briefed.get(BriefingAudience.MENTORS, 0),
        students_briefed=briefed.get(BriefingAudience.STUDENTS, 0),
    )
