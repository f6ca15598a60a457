"""A programme's counters for the coordinators' dashboard: mentors by availability, students,
requests and matches, and supply against demand by field and by language."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Field,
    Language,
    Match,
    MentorField,
    MentorLanguage,
    MentorProfile,
    MentorRequest,
    Programme,
    RequestStatus,
    Role,
    StudentLanguage,
    StudentProfile,
)
from services import programmes
from services.availability import LISTED, Availability, sql_condition
from services.events import latest_seq
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class StudentCounts:
    total: int
    unmatched: int  # no mentor yet, including those waiting for an answer
    pending: int  # waiting for an answer
    matched: int


@dataclass(frozen=True, slots=True)
class RequestCounts:
    by_status: dict[RequestStatus, int]
    oldest_pending_at: datetime | None

    def count(self, status: RequestStatus) -> int:
        return self.by_status.get(status, 0)


@dataclass(frozen=True, slots=True)
class SupplyDemand:
    """Places left with listed mentors against unmatched students, for one field or language."""

    key: int | str  # a field's id or a language's code
    name: str
    mentor_slots_left: int
    students_looking: int


@dataclass(frozen=True, slots=True)
class ProgrammeStats:
    programme_id: int
    seq: int  # every event up to this one is counted in
    as_of: datetime
    mentors: dict[Availability, int]
    students: StudentCounts
    requests: RequestCounts
    matches: int
    by_field: list[SupplyDemand]
    by_language: list[SupplyDemand]


async def for_coordinator(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> ProgrammeStats:
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    return await compute(session, programme.id, now=now)


async def compute(session: AsyncSession, programme_id: int, *, now: datetime) -> ProgrammeStats:
    # The sequence is read first: the counts that follow include at least its events, so a
    # client that has seen `seq` never mistakes these counters for older ones.
    seq = await latest_seq(session, programme_id)
    programme = await programmes.get(session, programme_id)
    return ProgrammeStats(
        programme_id=programme.id,
        seq=seq,
        as_of=now,
        mentors=await _mentors(session, programme),
        students=await _students(session, programme.id),
        requests=await _requests(session, programme.id),
        matches=await session.scalar(
            select(func.count()).select_from(Match).where(Match.programme_id == programme.id)
        )
        or 0,
        by_field=await _by_field(session, programme),
        by_language=await _by_language(session, programme),
    )


async def _mentors(session: AsyncSession, programme: Programme) -> dict[Availability, int]:
    kinds = list(Availability)
    limit = programme.mentor_pending_limit
    row = (
        await session.execute(
            select(*(func.count(case((sql_condition(a, limit), 1))) for a in kinds)).where(
                MentorProfile.programme_id == programme.id
            )
        )
    ).one()
    return {kind: int(count or 0) for kind, count in zip(kinds, row, strict=True)}


async def _students(session: AsyncSession, programme_id: int) -> StudentCounts:
    unmatched = StudentProfile.matched.is_(False)
    total, looking, pending, matched = (
        await session.execute(
            select(
                func.count(),
                func.count(case((unmatched, 1))),
                func.count(case((unmatched & (StudentProfile.pending_count > 0), 1))),
                func.count(case((StudentProfile.matched.is_(True), 1))),
            ).where(StudentProfile.programme_id == programme_id)
        )
    ).one()
    return StudentCounts(int(total), int(looking), int(pending), int(matched))


async def _requests(session: AsyncSession, programme_id: int) -> RequestCounts:
    rows = await session.execute(
        select(MentorRequest.status, func.count(), func.min(MentorRequest.created_at))
        .where(MentorRequest.programme_id == programme_id)
        .group_by(MentorRequest.status)
    )
    by_status: dict[RequestStatus, int] = {}
    oldest: datetime | None = None
    for status, count, first in rows:
        by_status[status] = int(count)
        if status is RequestStatus.PENDING:
            oldest = first
    return RequestCounts(by_status, oldest)


def same_counts(a: ProgrammeStats, b: ProgrammeStats) -> bool:
    """Nothing a coordinator would see has changed (only the sequence and the time)."""
    return replace(a, seq=b.seq, as_of=b.as_of) == b


def _slots_left(programme: Programme, key: Any) -> Select[Any]:
    """Places left with listed mentors (AVAILABLE or BUSY), grouped by `key`."""
    listed = or_(*(sql_condition(a, programme.mentor_pending_limit) for a in LISTED))
    return (
        select(key, func.sum(MentorProfile.capacity - MentorProfile.accepted_count))
        .where(MentorProfile.programme_id == programme.id, listed)
        .group_by(key)
    )


async def _by_field(session: AsyncSession, programme: Programme) -> list[SupplyDemand]:
    slots = _slots_left(programme, MentorField.field_id).join(
        MentorField, MentorField.mentor_id == MentorProfile.id
    )
    looking = (
        select(StudentProfile.field_id, func.count())
        .where(
            StudentProfile.programme_id == programme.id,
            StudentProfile.matched.is_(False),
            StudentProfile.field_id.is_not(None),
        )
        .group_by(StudentProfile.field_id)
    )
    return await _supply_and_demand(session, slots, looking, select(Field.id, Field.name))


async def _by_language(session: AsyncSession, programme: Programme) -> list[SupplyDemand]:
    slots = _slots_left(programme, MentorLanguage.language_code).join(
        MentorLanguage, MentorLanguage.mentor_id == MentorProfile.id
    )
    looking = (
        select(StudentLanguage.language_code, func.count())
        .join(StudentProfile, StudentProfile.id == StudentLanguage.student_id)
        .where(StudentProfile.programme_id == programme.id, StudentProfile.matched.is_(False))
        .group_by(StudentLanguage.language_code)
    )
    return await _supply_and_demand(session, slots, looking, select(Language.code, Language.name))


async def _supply_and_demand(
    session: AsyncSession, slots: Executable, looking: Executable, names: Executable
) -> list[SupplyDemand]:
    """Each query yields (key, number) rows, or (key, name) for `names`."""
    return _table(
        {key: int(total or 0) for key, total in await session.execute(slots)},
        {key: int(count) for key, count in await session.execute(looking)},
        {key: name for key, name in await session.execute(names)},
    )


def _table(
    slots: dict[Any, int], looking: dict[Any, int], names: dict[Any, str]
) -> list[SupplyDemand]:
    """Every field or language with places or students, by name."""
    keys = {k for k, v in slots.items() if v} | {k for k, v in looking.items() if v}
    rows = [
        SupplyDemand(key, names.get(key, str(key)), slots.get(key, 0), looking.get(key, 0))
        for key in keys
    ]
    return sorted(rows, key=lambda row: row.name)
