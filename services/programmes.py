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

from db.models import MentorProfile, Phase, Programme, ProgrammePhase, Role, StudentProfile
from services import availability, events, programme_list
from services.dates import checked_date
from services.errors import DomainError, ErrorCode, invalid, not_found, quoted
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
    kept = programme_list.of_session(session)
    found = _with_id(await kept.read(session), programme_id)
    if found is None:  # perhaps created by another process a moment ago
        found = _with_id(await kept.read(session, fresh=True), programme_id)
    if found is None:
        raise not_found("programme")
    return found


async def by_ids(session: AsyncSession, programme_ids: Sequence[int]) -> list[Programme | None]:
    kept = programme_list.of_session(session)
    every = {p.id: p for p in await kept.read(session)}
    if any(i not in every for i in programme_ids):
        every = {p.id: p for p in await kept.read(session, fresh=True)}
    return [every.get(i) for i in programme_ids]


def _with_id(programmes: Sequence[Programme], programme_id: int) -> Programme | None:
    return next((p for p in programmes if p.id == programme_id), None)


async def list_all(session: AsyncSession) -> list[Programme]:
    """Every programme, newest first."""
    return list(await programme_list.of_session(session).read(session))


async def resolve(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> Programme:
    """The programme named, or else the viewer's own (`own`)."""
    if programme_id is not None:
        return await get(session, programme_id)
    found = await own(session, viewer, now=now)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No programme has been set up yet.")
    return found


async def own(session: AsyncSession, viewer: Viewer | None, *, now: datetime) -> Programme | None:
    """The programme someone means when they name none: one rule for every query, mutation
    and subscription. A programme "runs" from its first phase's opening to its last phase's
    closing, in its own time zone.

    A mentor or a student: of the programmes they have a profile in, the one that has not
    ended yet and began first (this year's, while next year's sign-up already runs beside
    it); else the one open for them to join (a mentor: mentor sign-up open; a student:
    student requests open or still to come); else the one of theirs that ended last.
    Coordinators, and anyone none of that finds: the programme running now (of two, the one
    that began first); else the one that ended last; else the one that opens first.

    So a programme prepared while another runs changes nothing for anyone until it opens,
    and then only for people without a programme of their own (who can join it); people keep
    theirs until it ends. None while no programme is set up."""
    every = await list_all(session)
    if viewer is not None and viewer.role in (Role.MENTOR, Role.STUDENT):
        theirs = await _profile_programmes(session, viewer, every)
        chosen = (
            _began_first([p for p in theirs if not _ended(p, now)])
            or _open_to_join(every, viewer.role, now)
            or _ended_last(theirs, now)
        )
        if chosen is not None:
            return chosen
    running = [p for p in every if _running(p, now)]
    return _began_first(running) or _ended_last(every, now) or _began_first(every)


async def of_viewer(session: AsyncSession, viewer: Viewer | None) -> list[Programme]:
    """The programmes the viewer has a profile in, the earliest first (a coordinator: none)."""
    viewer = require_viewer(viewer)
    if viewer.role not in (Role.MENTOR, Role.STUDENT):
        return []
    theirs = await _profile_programmes(session, viewer, await list_all(session))
    return sorted(theirs, key=lambda p: (_first_day(p) or date.max, p.id))


async def _profile_programmes(
    session: AsyncSession, viewer: Viewer, every: Sequence[Programme]
) -> list[Programme]:
    profile = MentorProfile if viewer.role is Role.MENTOR else StudentProfile
    # Asked programme by programme, the unique (programme_id, user_id) index finds them: no
    # index leads with the person.
    found = set(
        await session.scalars(
            select(profile.programme_id).where(
                profile.programme_id.in_([p.id for p in every]), profile.user_id == viewer.user_id
            )
        )
    )
    return [p for p in every if p.id in found]


def _first_day(programme: Programme) -> date | None:
    return min((p.opens_on for p in programme.phases), default=None)


def _last_day(programme: Programme) -> date | None:
    return max((p.closes_on for p in programme.phases), default=None)


def _running(programme: Programme, now: datetime) -> bool:
    first, last = _first_day(programme), _last_day(programme)
    return first is not None and last is not None and first <= local_date(programme, now) <= last


def _ended(programme: Programme, now: datetime) -> bool:
    last = _last_day(programme)
    return last is not None and last < local_date(programme, now)


def _began_first(programmes: Sequence[Programme]) -> Programme | None:
    """The one that opens (or opened) first; of those without dates, the newest."""
    dated = [(day, p.id, p) for p in programmes if (day := _first_day(p)) is not None]
    if dated:
        return min(dated)[2]
    return max(programmes, key=lambda p: p.id, default=None)


def _ended_last(programmes: Sequence[Programme], now: datetime) -> Programme | None:
    ended = [(day, p.id, p) for p in programmes if (day := _last_day(p)) and _ended(p, now)]
    return max(ended)[2] if ended else None


def _open_to_join(programmes: Sequence[Programme], role: Role, now: datetime) -> Programme | None:
    if role is Role.MENTOR:
        return _began_first([p for p in programmes if is_open(p, Phase.MENTOR_SIGNUP, now)])
    coming = [
        (requests.opens_on, p.id, p)
        for p in programmes
        if (requests := phase_dates(p, Phase.STUDENT_REQUESTS)) is not None
        and local_date(p, now) <= requests.closes_on
    ]
    return min(coming)[2] if coming else None


async def kept_ids(session: AsyncSession) -> list[int]:
    """The programmes whose people's data is still kept (not purged): the periodic tasks'."""
    rows = await session.scalars(
        select(Programme.id).where(Programme.purged_at.is_(None)).order_by(Programme.id)
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
        name = PHASE_NAMES[dates.phase]
        checked_date(dates.opens_on, field="phases", label=f"opening date of {name}")
        checked_date(dates.closes_on, field="phases", label=f"closing date of {name}")
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
        raise invalid(f"{quoted(name)} is not a time zone name such as Europe/Helsinki.") from error


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
