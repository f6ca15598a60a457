"""Mentor profiles: sign-up, publication, search and who may see what."""

from __future__ import annotations

import dataclasses
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
from services import catalogue, events, identity_checks, mail, personal_data, programmes, requests
from services.availability import LISTED, MentorState, record_mentor_change
from services.errors import DomainError, ErrorCode, forbidden, invalid, not_found
from services.events import EventKind
from services.text import email_address, free_text, one_line
from services.viewer import Viewer, require_role

MIN_WORKING_LIFE_YEARS = 4
# What each waiting student reads when the mentor withdraws (services/erasure.py keeps it).
WITHDREW_REASON = "The mentor withdrew from the programme."


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


# Stored in their own tables (_replace_relations); every other field is a column of the profile.
RELATIONS = frozenset({"languages", "degree_levels", "field_ids"})
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
        held = await session.scalars(
            select(MentorLanguage.language_code).where(MentorLanguage.mentor_id == mentor_id)
        )
        codes = await catalogue.check_chosen_languages(session, data.languages, kept=set(held))
        await session.execute(delete(MentorLanguage).where(MentorLanguage.mentor_id == mentor_id))
        session.add_all(MentorLanguage(mentor_id=mentor_id, language_code=c) for c in codes)
    if data.field_ids is not None:
        held_fields = await session.scalars(
            select(MentorField.field_id).where(MentorField.mentor_id == mentor_id)
        )
        ids = await catalogue.check_chosen_fields(session, data.field_ids, kept=set(held_fields))
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
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if field.name not in RELATIONS and value is not None:
            setattr(profile, field.name, value.strip() if isinstance(value, str) else value)


def _check_date_of_birth(data: ProfileInput, programme: Programme, now: datetime) -> None:
    if data.date_of_birth is not None:
        today = programmes.local_date(programme, now)
        personal_data.checked_date_of_birth(data.date_of_birth, today)


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
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    _check_date_of_birth(data, programme, now)
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
        if profile.identity_verified_at is not None:
            profile.date_of_birth = None  # the identity check is done: nothing to keep it for
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


@dataclass(frozen=True, slots=True)
class Gap:
    """Something a profile needs before it is published, and the input that gives it (named
    as an INVALID_INPUT error names it)."""

    field: str
    needs: str

    @property
    def sentence(self) -> str:
        return f"Publishing needs {self.needs}."


CHOSEN = (
    (MentorLanguage, "languages", "a language"),
    (MentorField, "fields", "a field"),
    (MentorDegreeLevel, "degree_levels", "a degree level"),
)


def _gaps(
    working_life_years: int, background: str, chosen: dict[str, bool], *, identity_date: bool
) -> list[Gap]:
    """Rule 2: what publication needs. `identity_date`: a date of birth is held for the
    identity checks, or they are over (publishing needs mentor sign-up open, so it asks)."""
    gaps = []
    if working_life_years < MIN_WORKING_LIFE_YEARS:
        needs = f"at least {MIN_WORKING_LIFE_YEARS} years of working life"
        gaps.append(Gap("working_life_years", needs))
    if not background:
        needs = "your professional background or career experience"
        gaps.append(Gap("professional_background", needs))
    gaps += [Gap(field, label) for _, field, label in CHOSEN if not chosen[field]]
    if not identity_date:
        gaps.append(Gap("date_of_birth", "your date of birth, for the identity checks"))
    return gaps


async def _chosen(session: AsyncSession, profile: MentorProfile | None) -> dict[str, bool]:
    """Whether the saved profile has a language, a field and a degree level."""
    if profile is None:
        return {field: False for _, field, _ in CHOSEN}
    return {
        field: bool(await session.scalar(select(exists().where(table.mentor_id == profile.id))))
        for table, field, _ in CHOSEN
    }


async def _held(
    session: AsyncSession,
    column: Any,
    table: type[MentorLanguage] | type[MentorField],
    profile: MentorProfile | None,
) -> set[Any]:
    if profile is None:
        return set()
    return set(await session.scalars(select(column).where(table.mentor_id == profile.id)))


async def _missing_for_publication(session: AsyncSession, profile: MentorProfile) -> list[Gap]:
    background = profile.professional_background or profile.career_experience
    chosen = await _chosen(session, profile)
    identity_date = profile.date_of_birth is not None or profile.identity_verified_at is not None
    return _gaps(profile.working_life_years, background, chosen, identity_date=identity_date)


async def check_profile(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    data: ProfileInput,
    *,
    now: datetime,
) -> list[Gap]:
    """What publishing would still need were `data` saved, without saving it: input that saving
    would refuse is refused the same way. The sign-up form asks as the mentor types."""
    viewer = require_role(viewer, Role.MENTOR)
    data = _check_text(data)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    _check_date_of_birth(data, programme, now)
    profile = await own_profile(session, viewer, programme.id)
    if data.languages is not None:
        held = await _held(session, MentorLanguage.language_code, MentorLanguage, profile)
        await catalogue.check_chosen_languages(session, data.languages, kept=held)
    if data.field_ids is not None:
        held_fields = await _held(session, MentorField.field_id, MentorField, profile)
        await catalogue.check_chosen_fields(session, data.field_ids, kept=held_fields)
    chosen = await _chosen(session, profile)
    for name, value in (
        ("languages", data.languages),
        ("fields", data.field_ids),
        ("degree_levels", data.degree_levels),
    ):
        if value is not None:
            chosen[name] = bool(value)

    def given(name: str, default: Any) -> Any:
        value = getattr(data, name)
        if value is not None:
            return value
        return default if profile is None else getattr(profile, name)

    background = given("professional_background", "") or given("career_experience", "")
    identity_date = given("date_of_birth", None) is not None
    if personal_data.identity_checks_over(programme, now):
        identity_date = True  # nobody is asked for it again
    if profile is not None and profile.identity_verified_at is not None:
        identity_date = True  # checked already
    return _gaps(given("working_life_years", 0), background, chosen, identity_date=identity_date)


async def set_published(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    published: bool,
    now: datetime,
    unverified_may_publish: bool = True,
) -> MentorProfile:
    viewer = require_role(viewer, Role.MENTOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    profile = await own_profile(session, viewer, programme.id, lock=True)
    if profile is None:
        raise DomainError(ErrorCode.PROFILE_REQUIRED, "Fill in your mentor profile first.")
    before = MentorState.of(profile)
    if published:
        if profile.hidden_by_coordinator_at is not None:
            raise hidden_by_coordinator(profile, programme)
        programmes.require_open(programme, Phase.MENTOR_SIGNUP, now)
        gaps = await _missing_for_publication(session, profile)
        if gaps:
            missing = [gap.needs for gap in gaps]
            raise DomainError(
                ErrorCode.PROFILE_INCOMPLETE,
                "Your profile cannot be published yet; it needs " + ", ".join(missing) + ".",
                missing=missing,
                fields=[gap.field for gap in gaps],
            )
        identity_checks.require_verified(profile, unverified_may_publish=unverified_may_publish)
        profile.status = ProfileStatus.PUBLISHED
    else:
        await take_off_list(session, profile, programme, reason=WITHDREW_REASON, now=now)
    profile.updated_at = now
    await session.flush()
    record_mentor_change(session, before, profile, programme, now=now)
    return profile


async def take_off_list(
    session: AsyncSession,
    profile: MentorProfile,
    programme: Programme,
    *,
    reason: str,
    now: datetime,
) -> list[MentorRequest]:
    """The mentor leaves the students' list (the caller holds the row lock): every request
    still waiting is declined with `reason`, each student released and told; accepted mentees
    stay. The mentor's own withdrawal and a coordinator's hiding both come this way."""
    profile.status = ProfileStatus.WITHDRAWN
    return await requests.close_pending_for_mentor(
        session, profile, programme, reason=reason, now=now
    )


def hidden_by_coordinator(profile: MentorProfile, programme: Programme) -> DomainError:
    hidden_at = profile.hidden_by_coordinator_at
    assert hidden_at is not None
    return DomainError(
        ErrorCode.MENTOR_HIDDEN_BY_COORDINATOR,
        f"A coordinator of {programme.name} took your profile off the students' list on "
        f"{mail.local_time(programme, hidden_at)}, so it cannot be published now. To be listed "
        "again, contact the programme's coordinators (reply to the email they sent you).",
        hiddenAt=hidden_at.isoformat(),
        reason=profile.hidden_reason,
    )


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
