"""Student profiles: what a student tells the programme before asking for a mentor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DegreeLevel,
    MentorProfile,
    MentorRequest,
    Role,
    StudentLanguage,
    StudentProfile,
)
from services import catalogue, events, programmes
from services.errors import invalid, not_found
from services.events import EventKind
from services.text import email_address, one_line
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class StudentInput:
    display_name: str | None = None
    degree_level: DegreeLevel | None = None
    field_id: int | None = None
    languages: Sequence[str] | None = None
    international: bool | None = None
    on_exchange: bool | None = None
    contact_email: str | None = None


async def own_profile(
    session: AsyncSession, viewer: Viewer, programme_id: int, *, lock: bool = False
) -> StudentProfile | None:
    query = select(StudentProfile).where(
        StudentProfile.programme_id == programme_id, StudentProfile.user_id == viewer.user_id
    )
    return await session.scalar(query.with_for_update() if lock else query)


def degree_level_fixed(profile: StudentProfile) -> str | None:
    """Why the student's degree level cannot change now, or None if it can: a mentor was
    chosen for it (rule 4), so it stays while a request waits and once matched."""
    if profile.matched:
        return "you already have a mentor"
    if profile.pending_count > 0:
        return "a request is waiting for an answer; withdraw it first"
    return None


def _check_degree_level_may_change(profile: StudentProfile) -> None:
    reason = degree_level_fixed(profile)
    if reason is not None:
        raise invalid(f"Your degree level cannot change now: {reason}.", field="degree_level")


async def _inserted(session: AsyncSession, profile: StudentProfile) -> bool:
    """Insert a first profile, or False if another insert of the same one won: there was no
    row to lock, so the unique key decides (in a savepoint, so the transaction goes on)."""
    try:
        async with session.begin_nested():
            session.add(profile)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def save_profile(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    data: StudentInput,
    *,
    now: datetime,
) -> StudentProfile:
    viewer = require_role(viewer, Role.STUDENT)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    if data.display_name is not None:
        one_line(data.display_name, field="display_name", max_length=200, required=True)
    if data.contact_email is not None:
        email_address(data.contact_email)
    if data.languages is not None and not data.languages:
        raise invalid("Choose at least one language you can be mentored in.", field="languages")
    profile = await own_profile(session, viewer, programme.id, lock=True)
    if data.field_id is not None:
        kept = [profile.field_id] if profile is not None and profile.field_id else []
        await catalogue.check_chosen_fields(session, [data.field_id], kept=kept)
    created = profile is None
    if profile is not None and data.degree_level not in (None, profile.degree_level):
        _check_degree_level_may_change(profile)
    if profile is None:
        if data.degree_level is None:
            raise invalid("Tell us your degree level: master's or doctoral.", field="degree_level")
        profile = StudentProfile(
            programme_id=programme.id,
            user_id=viewer.user_id,
            display_name=viewer.name,
            contact_email=viewer.email,
            degree_level=data.degree_level,
            pending_count=0,
            matched=False,
            international=False,
            on_exchange=False,
            created_at=now,
            updated_at=now,
        )
        if not await _inserted(session, profile):
            # The same person's other tab created it a moment ago: this save updates that one.
            profile = await own_profile(session, viewer, programme.id, lock=True)
            assert profile is not None
            created = False
            if data.degree_level != profile.degree_level:
                _check_degree_level_may_change(profile)
    for name in ("degree_level", "field_id", "international", "on_exchange", "contact_email"):
        value = getattr(data, name)
        if value is not None:
            setattr(profile, name, value)
    if data.display_name is not None:
        profile.display_name = data.display_name.strip()
    profile.updated_at = now
    await session.flush()
    if data.languages is not None:
        held = await session.scalars(
            select(StudentLanguage.language_code).where(StudentLanguage.student_id == profile.id)
        )
        codes = await catalogue.check_chosen_languages(session, data.languages, kept=set(held))
        await session.execute(
            delete(StudentLanguage).where(StudentLanguage.student_id == profile.id)
        )
        session.add_all(StudentLanguage(student_id=profile.id, language_code=c) for c in codes)
        await session.flush()
    events.record(
        session,
        programme.id,
        EventKind.STUDENT_PROFILE_CHANGED,
        {"studentId": profile.id, "created": created},
        now=now,
    )
    return profile


async def get_visible(
    session: AsyncSession, viewer: Viewer | None, student_id: int
) -> StudentProfile:
    """Coordinators see every student, a student themself, a mentor those who asked them."""
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR, Role.COORDINATOR)
    student = await session.get(StudentProfile, student_id)
    if student is None:
        raise not_found("student")
    if viewer.is_coordinator or student.user_id == viewer.user_id:
        return student
    if viewer.role is Role.MENTOR:
        asked = await session.scalar(
            select(
                exists().where(
                    MentorRequest.student_id == student.id,
                    MentorRequest.mentor_id == MentorProfile.id,
                    MentorProfile.user_id == viewer.user_id,
                )
            )
        )
        if asked:
            return student
    raise not_found("student")
