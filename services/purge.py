"""`mentori purge`: once a programme has ended (its last phase closed) and the retention period
(PERSONAL_DATA_RETENTION_DAYS) has passed, its people's personal data is anonymised, as
erasure does for one person (services/erasure.py), and the counts stay."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    BriefingSignUp,
    Event,
    Meeting,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    Programme,
    Role,
    StudentProfile,
    Survey,
    SurveyResponse,
    User,
)
from services import events, programmes
from services.erasure import (
    MENTOR_ANONYMOUS,
    REQUEST_EVENTS,
    STUDENT_ANONYMOUS,
    clear_requests,
    clear_survey_texts,
    drop_reason,
    user_anonymous,
)
from services.events import EventKind


def programme_end(programme: Programme) -> date | None:
    return max((p.closes_on for p in programme.phases), default=None)


async def due_for_purge(
    session: AsyncSession, *, now: datetime, retention_days: int
) -> list[Programme]:
    """Programmes whose last phase closed more than `retention_days` days ago."""
    due = []
    for programme in await programmes.list_all(session):
        end = programme_end(programme)
        if programme.purged_at is not None or end is None:
            continue
        if programmes.local_date(programme, now) > end + timedelta(days=retention_days):
            due.append(programme)
    return sorted(due, key=lambda p: p.id)


async def purge(session: AsyncSession, programme_id: int, *, now: datetime) -> bool:
    """Anonymise one programme's personal data; False if it was purged already."""
    claimed = await session.scalar(
        update(Programme)
        .where(Programme.id == programme_id, Programme.purged_at.is_(None))
        .values(purged_at=now)
        .returning(Programme.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return False
    in_programme = MentorProfile.programme_id == programme_id
    people = set(await session.scalars(select(MentorProfile.user_id).where(in_programme)))
    people |= set(
        await session.scalars(
            select(StudentProfile.user_id).where(StudentProfile.programme_id == programme_id)
        )
    )
    await session.execute(
        update(MentorProfile)
        .where(in_programme)
        .values(**MENTOR_ANONYMOUS, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(StudentProfile)
        .where(StudentProfile.programme_id == programme_id)
        .values(**STUDENT_ANONYMOUS, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await clear_requests(session, MentorRequest.programme_id == programme_id)
    await session.execute(
        update(Meeting)
        .where(Meeting.programme_id == programme_id)
        .values(note="", recorded_by_user_id=None)
    )
    surveys = select(Survey.id).where(Survey.programme_id == programme_id)
    await clear_survey_texts(session, SurveyResponse.survey_id.in_(surveys))
    await session.execute(
        update(SurveyResponse).where(SurveyResponse.survey_id.in_(surveys)).values(user_id=None)
    )
    await session.execute(
        update(BriefingSignUp)
        .where(BriefingSignUp.programme_id == programme_id)
        .values(user_id=None)
    )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.programme_id == programme_id))
    rows = await session.scalars(
        select(Event).where(Event.programme_id == programme_id, Event.kind.in_(REQUEST_EVENTS))
    )
    for event in rows:
        drop_reason(event)
    # A person stays known while they take part in a programme not yet purged.
    still_active = set(
        await session.scalars(
            select(MentorProfile.user_id)
            .join(Programme, Programme.id == MentorProfile.programme_id)
            .where(Programme.purged_at.is_(None))
            .union(
                select(StudentProfile.user_id)
                .join(Programme, Programme.id == StudentProfile.programme_id)
                .where(Programme.purged_at.is_(None))
            )
        )
    )
    gone = sorted(people - still_active)
    if gone:
        await session.execute(
            update(User)
            .where(User.id.in_(gone), User.erased_at.is_(None), User.role != Role.COORDINATOR)
            .values(**user_anonymous(now))
            .execution_options(synchronize_session=False)
        )
    events.record(
        session, programme_id, EventKind.PROGRAMME_PURGED, {"programmeId": programme_id}, now=now
    )
    return True
