"""Briefings (rule 10, docs/rules.md): coordinators schedule sessions for mentors or for
students; each person signs up for one session of their programme and may cancel or move. The
database keeps every session within its capacity however many press the button at once: the
count and its limit are one conditional UPDATE, backed by a CHECK constraint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    BriefingAudience,
    BriefingSession,
    BriefingSignUp,
    MentorProfile,
    Role,
    StudentProfile,
    User,
)
from services import events, programmes
from services.dates import checked_moment
from services.errors import DomainError, ErrorCode, forbidden, invalid, not_found
from services.events import EventKind
from services.text import one_line
from services.viewer import Viewer, require_role

AUDIENCE_OF = {Role.MENTOR: BriefingAudience.MENTORS, Role.STUDENT: BriefingAudience.STUDENTS}
MAX_CAPACITY = 1000


@dataclass(frozen=True, slots=True)
class BriefingInput:
    audience: BriefingAudience | None = None
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class SignUp:
    """A sign-up as coordinators see it; name is None once the person has been erased."""

    briefing_id: int
    name: str | None
    role: Role | None
    signed_up_at: datetime


def _check(data: BriefingInput) -> None:
    if data.starts_at is not None:
        checked_moment(data.starts_at, field="starts_at", label="start time")
    if data.duration_minutes is not None and not 15 <= data.duration_minutes <= 600:
        raise invalid("A briefing lasts 15 minutes to 10 hours.", field="duration_minutes")
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        raise invalid(f"Capacity must be 1 to {MAX_CAPACITY} people.", field="capacity")
    if data.place is not None:
        one_line(data.place, field="place", max_length=300)
    if data.online_url is not None:
        url = one_line(data.online_url, field="online_url", label="online link", max_length=500)
        if url and not url.startswith(("https://", "http://")):
            raise invalid("The online link must be an http(s) address.", field="online_url")


def _apply(briefing: BriefingSession, data: BriefingInput) -> None:
    for name in ("audience", "starts_at", "duration_minutes", "capacity"):
        value = getattr(data, name)
        if value is not None:
            setattr(briefing, name, value)
    if data.place is not None:
        briefing.place = data.place.strip()
    if data.online_url is not None:
        briefing.online_url = data.online_url.strip()
    if not briefing.place and not briefing.online_url:
        raise invalid("Say where the briefing is: a place, an online link, or both.")


def _changed(session: AsyncSession, briefing: BriefingSession, *, now: datetime) -> None:
    events.record(
        session,
        briefing.programme_id,
        EventKind.BRIEFING_CHANGED,
        {
            "briefingId": briefing.id,
            "audience": briefing.audience.value,
            "signedUpCount": briefing.signed_up_count,
            "capacity": briefing.capacity,
        },
        now=now,
    )


async def _get(session: AsyncSession, briefing_id: int, *, fresh: bool = False) -> BriefingSession:
    query = select(BriefingSession).where(BriefingSession.id == briefing_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    briefing = await session.scalar(query)
    if briefing is None:
        raise not_found("briefing session")
    return briefing


async def create(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    data: BriefingInput,
    *,
    now: datetime,
) -> BriefingSession:
    require_role(viewer, Role.COORDINATOR)
    _check(data)
    if data.audience is None or data.starts_at is None or data.capacity is None:
        raise invalid("A briefing needs an audience, a start time and a capacity.")
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    briefing = BriefingSession(
        programme_id=programme.id,
        place="",
        online_url="",
        duration_minutes=90,
        signed_up_count=0,
        created_at=now,
    )
    _apply(briefing, data)
    session.add(briefing)
    await session.flush()
    _changed(session, briefing, now=now)
    return briefing


async def update_briefing(
    session: AsyncSession,
    viewer: Viewer | None,
    briefing_id: int,
    data: BriefingInput,
    *,
    now: datetime,
) -> BriefingSession:
    require_role(viewer, Role.COORDINATOR)
    _check(data)
    briefing = await session.scalar(
        select(BriefingSession).where(BriefingSession.id == briefing_id).with_for_update()
    )
    if briefing is None:
        raise not_found("briefing session")
    if (
        data.audience is not None
        and data.audience != briefing.audience
        and briefing.signed_up_count
    ):
        raise DomainError(
            ErrorCode.CONFLICT, "People have signed up already; the audience cannot change."
        )
    if data.capacity is not None and data.capacity < briefing.signed_up_count:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"{briefing.signed_up_count} people have signed up; capacity cannot go below that.",
        )
    _apply(briefing, data)
    await session.flush()
    _changed(session, briefing, now=now)
    return briefing


async def list_for(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    audience: BriefingAudience | None,
    *,
    now: datetime,
) -> tuple[list[BriefingSession], int | None]:
    """The programme's sessions (mentors and students see their own audience's), and the id
    of the one the viewer signed up for."""
    viewer = require_role(viewer, Role.MENTOR, Role.STUDENT, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = select(BriefingSession).where(BriefingSession.programme_id == programme.id)
    if not viewer.is_coordinator:
        audience = AUDIENCE_OF[viewer.role]
    if audience is not None:
        query = query.where(BriefingSession.audience == audience)
    rows = list(await session.scalars(query.order_by(BriefingSession.starts_at)))
    mine = await session.scalar(
        select(BriefingSignUp.session_id).where(
            BriefingSignUp.programme_id == programme.id, BriefingSignUp.user_id == viewer.user_id
        )
    )
    return rows, mine


async def _take_place(session: AsyncSession, briefing_id: int) -> int | None:
    return await session.scalar(
        update(BriefingSession)
        .where(
            BriefingSession.id == briefing_id,
            BriefingSession.signed_up_count < BriefingSession.capacity,
        )
        .values(signed_up_count=BriefingSession.signed_up_count + 1)
        .returning(BriefingSession.signed_up_count)
        .execution_options(synchronize_session=False)
    )


async def _free_place(session: AsyncSession, briefing_id: int) -> None:
    await session.execute(
        update(BriefingSession)
        .where(BriefingSession.id == briefing_id)
        .values(signed_up_count=BriefingSession.signed_up_count - 1)
        .execution_options(synchronize_session=False)
    )


async def _require_participant(
    session: AsyncSession, viewer: Viewer, briefing: BriefingSession
) -> None:
    if AUDIENCE_OF[viewer.role] is not briefing.audience:
        raise forbidden(f"This briefing is for {briefing.audience.value.lower()}.")
    table = MentorProfile if viewer.role is Role.MENTOR else StudentProfile
    enrolled = await session.scalar(
        select(
            exists().where(
                table.programme_id == briefing.programme_id, table.user_id == viewer.user_id
            )
        )
    )
    if not enrolled:
        raise DomainError(
            ErrorCode.PROFILE_REQUIRED, "Join the programme (fill in your profile) first."
        )


async def sign_up(
    session: AsyncSession, viewer: Viewer | None, briefing_id: int, *, now: datetime
) -> BriefingSession:
    """Sign the viewer up; one already signed up for another session is moved to this one."""
    viewer = require_role(viewer, Role.MENTOR, Role.STUDENT)
    briefing = await _get(session, briefing_id)
    await _require_participant(session, viewer, briefing)
    if briefing.starts_at <= now:
        raise DomainError(ErrorCode.CONFLICT, "This briefing has already begun.")
    current = await session.scalar(
        select(BriefingSignUp).where(
            BriefingSignUp.programme_id == briefing.programme_id,
            BriefingSignUp.user_id == viewer.user_id,
        )
    )
    if current is not None and current.session_id == briefing.id:
        return briefing
    if await _take_place(session, briefing.id) is None:
        raise DomainError(
            ErrorCode.BRIEFING_FULL, "This briefing session is full; choose another one."
        )
    if current is not None:
        await _free_place(session, current.session_id)
        await session.delete(current)
        await session.flush()
        _changed(session, await _get(session, current.session_id, fresh=True), now=now)
    session.add(
        BriefingSignUp(
            programme_id=briefing.programme_id,
            session_id=briefing.id,
            user_id=viewer.user_id,
            created_at=now,
        )
    )
    try:
        await session.flush()
    except IntegrityError as error:  # the same person, from two tabs at once
        raise DomainError(
            ErrorCode.CONFLICT, "You signed up from elsewhere a moment ago; reload."
        ) from error
    briefing = await _get(session, briefing.id, fresh=True)
    _changed(session, briefing, now=now)
    return briefing


async def cancel(
    session: AsyncSession, viewer: Viewer | None, briefing_id: int, *, now: datetime
) -> BriefingSession:
    viewer = require_role(viewer, Role.MENTOR, Role.STUDENT)
    removed = await session.scalar(
        delete(BriefingSignUp)
        .where(BriefingSignUp.session_id == briefing_id, BriefingSignUp.user_id == viewer.user_id)
        .returning(BriefingSignUp.id)
    )
    if removed is None:
        raise DomainError(ErrorCode.NOT_FOUND, "You are not signed up for that briefing.")
    await _free_place(session, briefing_id)
    briefing = await _get(session, briefing_id, fresh=True)
    _changed(session, briefing, now=now)
    return briefing


async def sign_ups(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    briefing_id: int | None,
    *,
    now: datetime,
) -> list[SignUp]:
    """Coordinators: who signed up for which session, earliest first."""
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = (
        select(BriefingSignUp.session_id, User.name, User.role, BriefingSignUp.created_at)
        .outerjoin(User, User.id == BriefingSignUp.user_id)
        .where(BriefingSignUp.programme_id == programme.id)
    )
    if briefing_id is not None:
        query = query.where(BriefingSignUp.session_id == briefing_id)
    rows = await session.execute(query.order_by(BriefingSignUp.created_at, BriefingSignUp.id))
    return [SignUp(b, name, role, at) for b, name, role, at in rows]
