"""Programmes, their dated phases and limits, and the rule that an action waits for its phase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Phase, Programme, ProgrammePhase, Role
from services import availability, events
from services.errors import DomainError, ErrorCode, invalid, not_found
from services.events import EventKind
from services.text import one_line
from services.viewer import Viewer, require_role, require_viewer

PHASE_NAMES = {
    Phase.MENTOR_SIGNUP: "mentor sign-up",
    Phase.STUDENT_REQUESTS: "student requests",
    Phase.BRIEFINGS: "briefings",
    Phase.PROGRAMME: "the programme",
    Phase.HALFWAY_SURVEY: "the halfway survey",
    Phase.FINAL_SURVEY: "the final survey",
}


@dataclass(frozen=True, slots=True)
class PhaseDates:
    phase: Phase
    opens_on: date
    closes_on: date


@dataclass(frozen=True, slots=True)
class Limits:
    student_pending_limit: int | None = None
    mentor_pending_limit: int | None = None
    request_expiry_hours: int | None = None
    reminder_hours_before_expiry: int | None = None
    clear_request_expiry: bool = False


def local_date(programme: Programme, now: datetime) -> date:
    return now.astimezone(ZoneInfo(programme.timezone)).date()


def phase_dates(programme: Programme, phase: Phase) -> ProgrammePhase | None:
    return next((p for p in programme.phases if p.phase is phase), None)


def is_open(programme: Programme, phase: Phase, now: datetime) -> bool:
    dates = phase_dates(programme, phase)
    return dates is not None and dates.opens_on <= local_date(programme, now) <= dates.closes_on


def current_phases(programme: Programme, now: datetime) -> list[Phase]:
    return [p.phase for p in programme.phases if is_open(programme, p.phase, now)]


def require_open(
    programme: Programme, phase: Phase, now: datetime, *, override: bool = False
) -> None:
    """An action outside its phase fails; a coordinator's override lets it through."""
    if override or is_open(programme, phase, now):
        return
    dates = phase_dates(programme, phase)
    name = PHASE_NAMES[phase]
    if dates is None:
        message = f"{programme.name} has no dates for {name} yet."
    else:
        message = (
            f"{name.capitalize()} in {programme.name} is open from {dates.opens_on:%-d %b %Y} "
            f"to {dates.closes_on:%-d %b %Y} ({programme.timezone} time)."
        )
    raise DomainError(ErrorCode.PHASE_CLOSED, message, phase=phase.value)


async def get(session: AsyncSession, programme_id: int) -> Programme:
    programme = await session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(selectinload(Programme.phases))
    )
    if programme is None:
        raise not_found("programme")
    return programme


async def current(session: AsyncSession, *, now: datetime) -> Programme:
    """The programme running now, or else the most recently created one."""
    programmes = await list_all(session)
    if not programmes:
        raise DomainError(ErrorCode.NOT_FOUND, "No programme has been set up yet.")
    running = [p for p in programmes if current_phases(p, now)]
    return (running or programmes)[0]


async def resolve(session: AsyncSession, programme_id: int | None, *, now: datetime) -> Programme:
    if programme_id is None:
        return await current(session, now=now)
    return await get(session, programme_id)


async def list_all(session: AsyncSession) -> list[Programme]:
    rows = await session.scalars(
        select(Programme)
        .options(selectinload(Programme.phases))
        .order_by(Programme.created_at.desc(), Programme.id.desc())
    )
    return list(rows)


def _validate_limits(limits: Limits) -> None:
    for name in ("student_pending_limit", "mentor_pending_limit"):
        value = getattr(limits, name)
        if value is not None and not 1 <= value <= 10:
            raise invalid(
                f"{name.replace('_', ' ').capitalize()} must be between 1 and 10.", field=name
            )
    if limits.request_expiry_hours is not None and not 1 <= limits.request_expiry_hours <= 24 * 60:
        raise invalid(
            "Request expiry must be between 1 hour and 60 days.", field="request_expiry_hours"
        )
    reminder = limits.reminder_hours_before_expiry
    if reminder is not None and not 0 <= reminder <= 24 * 30:
        raise invalid("The reminder must come between 0 hours and 30 days before expiry.")


def _validate_phases(phases: Sequence[PhaseDates]) -> None:
    seen: set[Phase] = set()
    for dates in phases:
        if dates.phase in seen:
            raise invalid(f"The dates for {PHASE_NAMES[dates.phase]} are given twice.")
        seen.add(dates.phase)
        if dates.opens_on > dates.closes_on:
            raise invalid(f"{PHASE_NAMES[dates.phase].capitalize()} must open before it closes.")


def _apply_limits(programme: Programme, limits: Limits) -> None:
    if limits.student_pending_limit is not None:
        programme.student_pending_limit = limits.student_pending_limit
    if limits.mentor_pending_limit is not None:
        programme.mentor_pending_limit = limits.mentor_pending_limit
    if limits.clear_request_expiry:
        programme.request_expiry_hours = None
    elif limits.request_expiry_hours is not None:
        programme.request_expiry_hours = limits.request_expiry_hours
    if limits.reminder_hours_before_expiry is not None:
        programme.reminder_hours_before_expiry = limits.reminder_hours_before_expiry


def _apply_phases(programme: Programme, phases: Sequence[PhaseDates]) -> None:
    by_phase = {p.phase: p for p in programme.phases}
    for dates in phases:
        row = by_phase.get(dates.phase)
        if row is None:
            programme.phases.append(
                ProgrammePhase(
                    phase=dates.phase, opens_on=dates.opens_on, closes_on=dates.closes_on
                )
            )
        else:
            row.opens_on, row.closes_on = dates.opens_on, dates.closes_on


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise invalid(f"{name!r} is not a time zone name such as Europe/Helsinki.") from error


def _checked_name(name: str) -> str:
    return one_line(name, field="name", label="programme name", max_length=200, required=True)


async def create(
    session: AsyncSession,
    viewer: Viewer | None,
    *,
    name: str,
    phases: Sequence[PhaseDates],
    limits: Limits,
    timezone: str = "Europe/Helsinki",
    now: datetime,
) -> Programme:
    require_role(viewer, Role.COORDINATOR)
    name = _checked_name(name)
    _check_timezone(timezone)
    _validate_limits(limits)
    _validate_phases(phases)
    programme = Programme(name=name, timezone=timezone, created_at=now, event_seq=0, phases=[])
    _apply_limits(programme, limits)
    _apply_phases(programme, phases)
    session.add(programme)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DomainError(
            ErrorCode.CONFLICT, f"A programme called {name!r} already exists."
        ) from error
    if limits.clear_request_expiry:
        # On INSERT the ORM takes a None as "not given" and writes the column default (72 h).
        programme.request_expiry_hours = None
        await session.flush()
    events.record(
        session, programme.id, EventKind.PROGRAMME_CHANGED, {"programmeId": programme.id}, now=now
    )
    return programme


async def update(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int,
    *,
    name: str | None = None,
    phases: Sequence[PhaseDates] = (),
    limits: Limits = Limits(),
    now: datetime,
) -> Programme:
    require_role(viewer, Role.COORDINATOR)
    _validate_limits(limits)
    _validate_phases(phases)
    programme = await session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(selectinload(Programme.phases))
        .with_for_update()
    )
    if programme is None:
        raise not_found("programme")
    if name is not None:
        programme.name = _checked_name(name)
    old_limit = programme.mentor_pending_limit
    _apply_limits(programme, limits)
    _apply_phases(programme, phases)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DomainError(
            ErrorCode.CONFLICT, f"A programme called {name!r} already exists."
        ) from error
    if programme.mentor_pending_limit != old_limit:
        await availability.record_limit_change(
            session, programme.id, old_limit, programme.mentor_pending_limit, now=now
        )
    events.record(
        session, programme.id, EventKind.PROGRAMME_CHANGED, {"programmeId": programme.id}, now=now
    )
    return programme


def visible_to(viewer: Viewer | None) -> Viewer:
    return require_viewer(viewer)
