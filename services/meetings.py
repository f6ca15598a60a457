"""Meetings: either side of a match records one (the date, and a note only the pair sees);
coordinators see the matches that have gone quiet, so they can step in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Match, MatchSide, Meeting, MentorProfile, Role, StudentProfile
from services import events, programmes
from services.dates import checked_date
from services.errors import DomainError, ErrorCode, invalid
from services.events import EventKind
from services.text import free_text
from services.viewer import Viewer, require_role

QUIET_AFTER_DAYS = 45
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class QuietMatch:
    match: Match
    last_met_on: date | None
    days_since: int  # since the last meeting, or since the match began when they never met


async def side_of(session: AsyncSession, viewer: Viewer, match: Match) -> MatchSide | None:
    owners = (
        await session.execute(
            select(MentorProfile.user_id, StudentProfile.user_id)
            .select_from(Match)
            .join(MentorProfile, MentorProfile.id == Match.mentor_id)
            .join(StudentProfile, StudentProfile.id == Match.student_id)
            .where(Match.id == match.id)
        )
    ).one()
    if owners[0] == viewer.user_id:
        return MatchSide.MENTOR
    if owners[1] == viewer.user_id:
        return MatchSide.STUDENT
    return None


async def _own_match(
    session: AsyncSession, viewer: Viewer | None, match_id: int
) -> tuple[Match, MatchSide, Viewer]:
    viewer = require_role(viewer, Role.MENTOR, Role.STUDENT)
    match = await session.get(Match, match_id)
    side = await side_of(session, viewer, match) if match is not None else None
    if match is None or side is None:
        raise DomainError(ErrorCode.NOT_MATCHED, "Only the two people of a match see its meetings.")
    return match, side, viewer


async def record(
    session: AsyncSession,
    viewer: Viewer | None,
    match_id: int,
    met_on: date,
    note: str,
    *,
    now: datetime,
) -> Meeting:
    match, side, viewer = await _own_match(session, viewer, match_id)
    checked_date(met_on, field="met_on", label="meeting date")
    programme = await programmes.get(session, match.programme_id)
    today = programmes.local_date(programme, now)
    if met_on > today:
        raise invalid("Record a meeting once it has happened.", field="met_on")
    if met_on < programmes.local_date(programme, match.created_at):
        raise invalid("That date is before the two of you were matched.", field="met_on")
    note = free_text(note, field="note", max_length=MAX_NOTE)
    meeting = Meeting(
        programme_id=match.programme_id,
        match_id=match.id,
        met_on=met_on,
        note=note,
        recorded_by=side,
        recorded_by_user_id=viewer.user_id,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    events.record(
        session,
        match.programme_id,
        EventKind.MEETING_RECORDED,
        {"matchId": match.id, "meetingId": meeting.id, "metOn": met_on.isoformat()},
        now=now,
    )
    return meeting


async def for_match(session: AsyncSession, viewer: Viewer | None, match_id: int) -> list[Meeting]:
    """The pair's meetings, latest first (with their notes: only the pair may call this)."""
    match, _, _ = await _own_match(session, viewer, match_id)
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.match_id == match.id)
        .order_by(Meeting.met_on.desc(), Meeting.id.desc())
    )
    return list(rows)


async def quiet_matches(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    days: int = QUIET_AFTER_DAYS,
    now: datetime,
) -> list[QuietMatch]:
    """Coordinators: the matches that have not met for more than `days` days, quietest first."""
    require_role(viewer, Role.COORDINATOR)
    if not 1 <= days <= 365:
        raise invalid("Choose between 1 and 365 days.", field="days")
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    today = programmes.local_date(programme, now)
    last = (
        select(Meeting.match_id, func.max(Meeting.met_on).label("last_met_on"))
        .where(Meeting.programme_id == programme.id)
        .group_by(Meeting.match_id)
        .subquery()
    )
    rows = await session.execute(
        select(Match, last.c.last_met_on)
        .outerjoin(last, last.c.match_id == Match.id)
        .where(Match.programme_id == programme.id)
    )
    quiet = []
    for match, last_met_on in rows:
        since = last_met_on or programmes.local_date(programme, match.created_at)
        if since < today - timedelta(days=days):
            quiet.append(QuietMatch(match, last_met_on, (today - since).days))
    return sorted(quiet, key=lambda q: (-q.days_since, q.match.id))
