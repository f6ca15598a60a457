"""Mentor profiles: sign-up, publication, search and who may see what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DegreeLevel,
    Location,
    MentorDegreeLevel,
    MentorField,
    MentorLanguage,
    MentorProfile,
    MentorRequest,
    Phase,
    ProfileStatus,
    Programme,
    RequestStatus,
    Role,
    StudentProfile,
)
from services import catalogue, events, programmes, requests
from services.availability import LISTED, MentorState, record_mentor_change
from services.errors import DomainError, ErrorCode, forbidden, invalid, not_found
from services.events import EventKind
from services.text import email_address, free_text, one_line
from services.viewer import Viewer, require_role

MIN_WORKING_LIFE_YEARS = 4


@dataclass(frozen=True, slots=True)
class ProfileInput:
    display_name: str | None = None
    headline: str | None = None
    educational_background: str | None = None
    professional_background: str | None = None
    career_experience: str | None = None
    working_life_years: int | None = None
    has_doctorate: bool | None = None
    location: Location | None = None
    city: str | None = None
    remote_ok: bool | None = None
    capacity: int | None = None
    contact_email: str | None = None
    date_of_birth: date | None = None
    languages: Sequence[str] | None = None
    degree_levels: Sequence[DegreeLevel] | None = None
    field_ids: Sequence[int] | None = None


LINE_LIMITS = {"display_name": 200, "headline": 200, "city": 120}
TEXT_LIMITS = {
    "educational_background": 4000,
    "professional_background": 4000,
    "career_experience": 4000,
}


def _check_text(data: ProfileInput) -> ProfileInput:
    """The input as it will be stored (its text checked and cleaned), or a refusal."""
    cleaned: dict[str, Any] = {}  # text fields only
    for name, limit in LINE_LIMITS.items():
        if (value := getattr(data, name)) is not None:
            required = name == "display_name"
            cleaned[name] = one_line(value, field=name, max_length=limit, required=required)
    for name, limit in TEXT_LIMITS.items():
        if (value := getattr(data, name)) is not None:
            cleaned[name] = free_text(value, field=name, max_length=limit)
    if data.contact_email is not None:
        cleaned["contact_email"] = email_address(data.contact_email)
    if data.capacity is not None and data.capacity not in (1, 2):
        raise invalid("A mentor takes 1 or 2 mentees.", field="capacity")
    if data.working_life_years is not None and not 0 <= data.working_life_years <= 70:
        raise invalid("Years of working life must be between 0 and 70.", field="working_life_years")
    if data.languages is not None and not data.languages:
        raise invalid("Choose at least one language to mentor in.", field="languages")
    if data.degree_levels is not None and not data.degree_levels:
        raise invalid("Choose master's, doctoral or both degree levels.", field="degree_levels")
    if data.field_ids is not None and not data.field_ids:
        raise invalid("Choose at least one field you suit.", field="fields")
    return replace(data, **cleaned)


async def own_profile(
    session: AsyncSession, viewer: Viewer, programme_id: int, *, lock: bool = False
) -> MentorProfile | None:
    query = select(MentorProfile).where(
        MentorProfile.programme_id == programme_id, MentorProfile.user_id == viewer.user_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def _replace_relations(session: AsyncSession, mentor_id: int, data: ProfileInput) -> None:
    if data.languages is not None:
        codes = await catalogue.check_languages(session, data.languages)
        await session.execute(delete(MentorLanguage).where(MentorLanguage.mentor_id == mentor_id))
        session.add_all(MentorLanguage(mentor_id=mentor_id, language_code=c) for c in codes)
    if data.field_ids is not None:
        ids = await catalogue.check_fields(session, data.field_ids)
        await session.execute(delete(MentorField).where(MentorField.mentor_id == mentor_id))
        session.add_all(MentorField(mentor_id=mentor_id, field_id=i) for i in ids)
    if data.degree_levels is not None:
        await session.execute(
            delete(MentorDegreeLevel).where(MentorDegreeLevel.mentor_id == mentor_id)
        )
        session.add_all(
            MentorDegreeLevel(mentor_id=mentor_id, degree_level=d) for d in set(data.degree_levels)
        )


def _apply(profile: MentorProfile, data: ProfileInput) -> None:
    for name in (
        "headline",
        "educational_background",
        "professional_background",
        "career_experience",
        "working_life_years",
        "has_doctorate",
        "location",
        "city",
        "remote_ok",
        "capacity",
        "contact_email",
        "date_of_birth",
    ):
        value = getattr(data, name)
        if value is not None:
            setattr(profile, name, value.strip() if isinstance(value, str) else value)
    if data.display_name is not None:
        profile.display_name = data.display_name.strip()


def _exists() -> DomainError:
    return DomainError(
        ErrorCode.PROFILE_EXISTS, "You already have a profile in this programme; update it."
    )


async def save_profile(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    data: ProfileInput,
    *,
    create: bool,
    now: datetime,
) -> MentorProfile:
    """Create the viewer's profile for the programme (in the sign-up window), or update it."""
    viewer = require_role(viewer, Role.MENTOR)
    data = _check_text(data)
    programme = await programmes.resolve(session, programme_id, now=now)
    profile = await own_profile(session, viewer, programme.id, lock=True)
    if create and profile is not None:
        raise _exists()
    if not create and profile is None:
        raise DomainError(ErrorCode.PROFILE_REQUIRED, "Create your mentor profile first.")
    if profile is None:
        programmes.require_open(programme, Phase.MENTOR_SIGNUP, now)
        profile = MentorProfile(
            programme_id=programme.id,
            user_id=viewer.user_id,
            display_name=viewer.name,
            contact_email=viewer.email,
            status=ProfileStatus.DRAFT,
            accepted_count=0,
            pending_count=0,
            capacity=1,
            created_at=now,
            updated_at=now,
        )
        _apply(profile, data)
        session.add(profile)
        try:
            await session.flush()
        except IntegrityError as error:
            # The same person's other tab created it a moment ago (there was no row to lock).
            raise _exists() from error
        before = MentorState.of(profile)
    else:
        before = MentorState.of(profile)
        if data.capacity is not None and data.capacity < profile.accepted_count:
            raise DomainError(
                ErrorCode.CAPACITY_BELOW_ACCEPTED,
                f"You have already accepted {profile.accepted_count} mentees; "
                "capacity cannot go below that.",
            )
        _apply(profile, data)
        profile.updated_at = now
        if profile.accepted_count >= profile.capacity:
            # Lowering capacity to the mentees already accepted fills the mentor (rule 6).
            await requests.close_pending_for_mentor(
                session,
                profile,
                programme,
                reason=requests.MENTOR_FULL_REASON,
                now=now,
                status=RequestStatus.CLOSED_MENTOR_FULL,
            )
    await _replace_relations(session, profile.id, data)
    await session.flush()
    record_mentor_change(session, before, profile, programme, now=now)
    events.record(
        session, programme.id, EventKind.MENTOR_PROFILE_CHANGED, {"mentorId": profile.id}, now=now
    )
    return profile


async def _missing_for_publication(session: AsyncSession, profile: MentorProfile) -> list[str]:
    missing = []
    if profile.working_life_years < MIN_WORKING_LIFE_YEARS:
        missing.append(f"at least {MIN_WORKING_LIFE_YEARS} years of working life")
    if not (profile.professional_background or profile.career_experience):
        missing.append("your professional background or career experience")
    for table, label in (
        (MentorLanguage, "a language"),
        (MentorField, "a field"),
        (MentorDegreeLevel, "a degree level"),
    ):
        if not await session.scalar(select(exists().where(table.mentor_id == profile.id))):
            missing.append(label)
    return missing


async def set_published(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    published: bool,
    now: datetime,
) -> MentorProfile:
    viewer = require_role(viewer, Role.MENTOR)
    programme = await programmes.resolve(session, programme_id, now=now)
    profile = await own_profile(session, viewer, programme.id, lock=True)
    if profile is None:
        raise DomainError(ErrorCode.PROFILE_REQUIRED, "Fill in your mentor profile first.")
    before = MentorState.of(profile)
    if published:
        programmes.require_open(programme, Phase.MENTOR_SIGNUP, now)
        missing = await _missing_for_publication(session, profile)
        if missing:
            raise DomainError(
                ErrorCode.PROFILE_INCOMPLETE,
                "Your profile cannot be published yet; it needs " + ", ".join(missing) + ".",
                missing=missing,
            )
        profile.status = ProfileStatus.PUBLISHED
    else:
        profile.status = ProfileStatus.WITHDRAWN
        # Withdrawing answers everyone still waiting, so no student is left hanging.
        await requests.close_pending_for_mentor(
            session,
            profile,
            programme,
            reason="The mentor withdrew from the programme.",
            now=now,
        )
    profile.updated_at = now
    await session.flush()
    record_mentor_change(session, before, profile, programme, now=now)
    return profile


async def get_visible(
    session: AsyncSession, viewer: Viewer | None, mentor_id: int
) -> MentorProfile:
    """Coordinators see every profile, mentors their own, students the listed ones and any
    mentor they have asked."""
    viewer = require_role(viewer, Role.STUDENT, Role.COORDINATOR, Role.MENTOR)
    mentor = await session.get(MentorProfile, mentor_id)
    if mentor is None:
        raise not_found("mentor")
    if viewer.is_coordinator:
        return mentor
    if viewer.role is Role.MENTOR:
        if mentor.user_id != viewer.user_id:
            raise not_found("mentor")
        return mentor
    programme = await session.get(Programme, mentor.programme_id)
    assert programme is not None
    if MentorState.of(mentor).availability(programme.mentor_pending_limit) in LISTED:
        return mentor
    asked = await session.scalar(
        select(
            exists().where(
                MentorRequest.mentor_id == mentor.id,
                MentorRequest.student_id == StudentProfile.id,
                StudentProfile.user_id == viewer.user_id,
            )
        )
    )
    if not asked:
        raise not_found("mentor")
    return mentor


def ensure_owner(viewer: Viewer, mentor: MentorProfile) -> None:
    if mentor.user_id != viewer.user_id:
        raise forbidden("That is another mentor's profile.")
