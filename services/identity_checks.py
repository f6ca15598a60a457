"""Identity checks: an alumnus or alumna signing up as a mentor is who they say they are when
the alumni register holds their name and date of birth (the reason the programme asks for the
date, rule 2).

A coordinator loads the register's CSV export (`import_register`): every mentor of the
programme whose profile still holds a date of birth and is not yet verified is verified when a
line of the register has their name (the profile's or the person's) and their date of birth,
and that date of birth is cleared at once, the check being done. The answer names the mentors
verified and the near misses, and never shows a date; the register itself is not kept. A
coordinator may also confirm a mentor by hand (`confirm`), and take a confirmation back
(`unconfirm`).

Where the settings say unverified mentors may not publish, services/mentors.py,
`set_published`, refuses them (`require_verified`); a verified mentor is not asked for a date
of birth again (services/mentors.py, `_missing_for_publication`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, Role, User
from services import events, programmes, requests
from services.alumni_register import Entry, Index, Unreadable, read_register
from services.errors import DomainError, ErrorCode
from services.events import EventKind
from services.viewer import Viewer, require_role

BY_REGISTER = "register"
BY_COORDINATOR = "coordinator"
# The unreadable lines an answer lists, the first ones; it counts them all.
LISTED_UNREADABLE = 100


@dataclass(frozen=True, slots=True)
class Verified:
    mentor: MentorProfile
    entry: Entry


@dataclass(frozen=True, slots=True)
class NearMiss:
    mentor: MentorProfile
    reason: str
    lines: list[int]


@dataclass(slots=True)
class RegisterCheck:
    """What loading the register did."""

    rows_read: int
    verified: list[Verified] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    unreadable_count: int = 0
    unmatched_rows: int = 0

    def summary(self) -> str:
        text = (
            f"{self.rows_read} {'row' if self.rows_read == 1 else 'rows'} read: "
            f"{len(self.verified)} verified, {len(self.near_misses)} to look at, "
            f"{self.unmatched_rows} matching no mentor waiting for the check"
        )
        if self.unreadable_count:
            text += f", {self.unreadable_count} that could not be read"
        return text + "."


async def import_register(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    text: str,
    now: datetime,
) -> RegisterCheck:
    require_role(viewer, Role.COORDINATOR)
    register = read_register(text)  # a file that is not the register changes nothing
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    waiting = await session.execute(
        select(MentorProfile, User.name)
        .join(User, User.id == MentorProfile.user_id)
        .where(
            MentorProfile.programme_id == programme.id,
            MentorProfile.date_of_birth.is_not(None),
            MentorProfile.identity_verified_at.is_(None),
        )
        .order_by(MentorProfile.id)  # several mentors are locked in id order
        .with_for_update(of=MentorProfile)
        .execution_options(populate_existing=True)
    )
    index = Index(register.entries)
    check = RegisterCheck(
        rows_read=register.rows,
        unreadable=register.unreadable[:LISTED_UNREADABLE],
        unreadable_count=len(register.unreadable),
    )
    used: set[int] = set()
    for mentor, person_name in waiting:
        born = mentor.date_of_birth
        assert born is not None
        found = index.find([mentor.display_name, person_name], born, mentor.display_name)
        if found.entry is not None:
            _verify(session, mentor, BY_REGISTER, now=now)
            check.verified.append(Verified(mentor, found.entry))
            used.add(found.entry.line)
        elif found.near:
            lines = [entry.line for entry in found.near]
            check.near_misses.append(NearMiss(mentor, found.reason, lines))
            used.update(lines)
    check.unmatched_rows = len(register.entries) - len(used)
    await session.flush()
    return check


def _verify(session: AsyncSession, mentor: MentorProfile, by: str, *, now: datetime) -> None:
    mentor.identity_verified_at, mentor.identity_verified_by = now, by
    mentor.date_of_birth = None  # the check is done: it is kept for nothing else (rule 2)
    mentor.updated_at = now
    payload = {"mentorId": mentor.id, "by": by}
    events.record(
        session, mentor.programme_id, EventKind.MENTOR_IDENTITY_VERIFIED, payload, now=now
    )


async def confirm(
    session: AsyncSession, viewer: Viewer | None, mentor_id: int, *, now: datetime
) -> MentorProfile:
    """A coordinator has checked the mentor some other way. Confirming a mentor verified
    already changes nothing."""
    require_role(viewer, Role.COORDINATOR)
    mentor = await requests.lock_mentor(session, mentor_id)
    if mentor.identity_verified_at is None:
        _verify(session, mentor, BY_COORDINATOR, now=now)
        await session.flush()
    return mentor


async def unconfirm(
    session: AsyncSession, viewer: Viewer | None, mentor_id: int, *, now: datetime
) -> MentorProfile:
    """Takes a verification back (a mistake): the mentor is checked again, by a date of
    birth they give again or by hand. A published profile stays listed (hideMentor takes it
    off)."""
    require_role(viewer, Role.COORDINATOR)
    mentor = await requests.lock_mentor(session, mentor_id)
    if mentor.identity_verified_at is None:
        return mentor
    mentor.identity_verified_at, mentor.identity_verified_by = None, None
    mentor.updated_at = now
    await session.flush()
    events.record(
        session,
        mentor.programme_id,
        EventKind.MENTOR_IDENTITY_UNVERIFIED,
        {"mentorId": mentor.id},
        now=now,
    )
    return mentor


async def unverified(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    first: int,
    after_id: int | None,
    now: datetime,
) -> tuple[list[MentorProfile], int, bool]:
    """The programme's mentors not yet verified (erased ones aside), in the order they signed
    up: a page of them, how many in all, and whether more follow."""
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    query = (
        select(MentorProfile)
        .join(User, User.id == MentorProfile.user_id)
        .where(
            MentorProfile.programme_id == programme.id,
            MentorProfile.identity_verified_at.is_(None),
            User.erased_at.is_(None),
        )
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(MentorProfile.id > after_id)
    rows = list(await session.scalars(query.order_by(MentorProfile.id).limit(first + 1)))
    return rows[:first], total, len(rows) > first


def verified_for(viewer: Viewer | None, mentor: MentorProfile) -> bool | None:
    """Whether the mentor is verified, for the mentor themself and coordinators (null for
    anyone else: a student learns nothing of the checks)."""
    if viewer is None or not (viewer.is_coordinator or viewer.user_id == mentor.user_id):
        return None
    return mentor.identity_verified_at is not None


def require_verified(mentor: MentorProfile, *, unverified_may_publish: bool) -> None:
    if unverified_may_publish or mentor.identity_verified_at is not None:
        return
    raise DomainError(
        ErrorCode.IDENTITY_NOT_VERIFIED,
        "A coordinator checks mentors against the alumni register before profiles are "
        "published: yours has not been checked yet. Your profile is kept as it is; publish "
        "it once a coordinator has confirmed who you are.",
    )
