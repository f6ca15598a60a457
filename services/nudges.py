"""Nudges: a coordinator reminds a quiet pair (services/meetings.py, `quiet_matches`) to meet.
Both people get a friendly email through the outbox, at most once a week per pair; the database
holds the limit (a conditional UPDATE of the match's `nudged_at`), so two coordinators pressing
at once send one reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Match, MentorProfile, Role, StudentProfile
from services import events, mail, programmes
from services.errors import DomainError, ErrorCode, not_found
from services.events import EventKind
from services.viewer import Viewer, require_role

NUDGE_EVERY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Nudge:
    match: Match
    nudged_at: datetime
    next_nudge_at: datetime


def next_nudge_at(match: Match) -> datetime | None:
    """When the pair may be reminded again; None if they have never been."""
    return None if match.nudged_at is None else match.nudged_at + NUDGE_EVERY


async def nudge(
    session: AsyncSession, viewer: Viewer | None, match_id: int, *, now: datetime
) -> Nudge:
    require_role(viewer, Role.COORDINATOR)
    match = await session.get(Match, match_id)
    if match is None:
        raise not_found("match")
    claimed = await session.scalar(
        update(Match)
        .where(
            Match.id == match_id,
            or_(Match.nudged_at.is_(None), Match.nudged_at <= now - NUDGE_EVERY),
        )
        .values(nudged_at=now)
        .returning(Match.id)
        .execution_options(synchronize_session=False)
    )
    programme = await programmes.get(session, match.programme_id)
    if claimed is None:
        await session.refresh(match)
        last = match.nudged_at or now
        again = last + NUDGE_EVERY
        raise DomainError(
            ErrorCode.NUDGED_RECENTLY,
            f"This pair was reminded on {mail.local_time(programme, last)}; a pair is "
            f"reminded once a week at most, so again from {mail.local_time(programme, again)}.",
            nudgedAt=last.isoformat(),
            nextNudgeAt=again.isoformat(),
        )
    await session.refresh(match)
    mentor = await session.get(MentorProfile, match.mentor_id)
    student = await session.get(StudentProfile, match.student_id)
    if mentor is None or student is None:  # the match cascades with either profile
        raise not_found("match")
    await mail.match_nudge(session, programme, mentor=mentor, student=student, now=now)
    events.record(
        session,
        programme.id,
        EventKind.MATCH_NUDGED,
        {"matchId": match.id, "mentorId": match.mentor_id, "studentId": match.student_id},
        now=now,
    )
    return Nudge(match, now, now + NUDGE_EVERY)
