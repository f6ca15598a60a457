"""Personal data: what a person may download about themselves, and a mentor's date of birth:
what is accepted, who may know that one is held, and how long it is kept. Erasure is in
services/erasure.py, the after-programme purge in services/purge.py.

Date of birth is asked for identity checks only, which coordinators do during mentor sign-up
against the alumni register. A mentor writes it with their profile; nothing reads it back. It
is cleared `date_of_birth_retention_days` after the programme's mentor sign-up closes (the
periodic task does it), on erasure, and on purge; it is never shown through the API, not even
to its owner, so the download says that one is stored, and until when, but not its value, and
no refusal quotes it (rule 2, docs/rules.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    BriefingSession,
    BriefingSignUp,
    Field,
    Language,
    Match,
    Meeting,
    MentorDegreeLevel,
    MentorField,
    MentorLanguage,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    Phase,
    Programme,
    StudentLanguage,
    StudentProfile,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    User,
)
from services import dates, programmes
from services.errors import invalid
from services.viewer import Viewer, require_viewer

# A mentor is an alumnus or alumna with years of working life: an age outside these is a typo.
MENTOR_AGES = (18, 100)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def checked_date_of_birth(born: date, today: date) -> date:
    """A mentor's date of birth as given, or a refusal that names the field and never the
    value."""
    dates.checked_date(born, field="date_of_birth", label="date of birth")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    youngest, oldest = MENTOR_AGES
    if not youngest <= age <= oldest:
        raise invalid(
            f"The date of birth must be that of someone {youngest} to {oldest} years old.",
            field="date_of_birth",
        )
    return born


def identity_checks_over(programme: Programme, now: datetime) -> bool:
    """Identity checks happen during mentor sign-up; after it nobody is asked for a date of
    birth again (it is cleared, or soon will be)."""
    signup = programmes.phase_dates(programme, Phase.MENTOR_SIGNUP)
    return signup is not None and programmes.local_date(programme, now) > signup.closes_on


def date_of_birth_held(viewer: Viewer | None, profile: MentorProfile) -> bool | None:
    """Whether a date of birth is on file, for the mentor themself only (null for anyone
    else): it tells them the checks can be done, and reveals nothing of the date."""
    if viewer is None or viewer.user_id != profile.user_id:
        return None
    return profile.date_of_birth is not None


def cleared_on(signup_closes_on: date, after_days: int) -> date:
    """The day the dates of birth of a programme whose mentor sign-up closes then are gone."""
    return signup_closes_on + timedelta(days=after_days + 1)


def date_of_birth_cleared_on(programme: Programme, after_days: int) -> str | None:
    signup = programmes.phase_dates(programme, Phase.MENTOR_SIGNUP)
    if signup is None:
        return None
    return cleared_on(signup.closes_on, after_days).isoformat()


async def clear_dates_of_birth(
    session: AsyncSession, programme_id: int, *, now: datetime, after_days: int
) -> int:
    """Identity checks are over once mentor sign-up has been closed for `after_days` days."""
    programme = await programmes.get(session, programme_id)
    signup = programmes.phase_dates(programme, Phase.MENTOR_SIGNUP)
    if signup is None:
        return 0
    if programmes.local_date(programme, now) <= signup.closes_on + timedelta(days=after_days):
        return 0
    rows = await session.scalars(
        update(MentorProfile)
        .where(
            MentorProfile.programme_id == programme.id,
            MentorProfile.date_of_birth.is_not(None),
        )
        .values(date_of_birth=None)
        .returning(MentorProfile.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(rows))


async def _mentor_profiles(
    session: AsyncSession, user_id: int, dob_after_days: int
) -> list[dict[str, Any]]:
    out = []
    for profile, programme_name in await session.execute(
        select(MentorProfile, Programme.name)
        .join(Programme, Programme.id == MentorProfile.programme_id)
        .where(MentorProfile.user_id == user_id)
        .order_by(MentorProfile.id)
    ):
        programme = await programmes.get(session, profile.programme_id)
        languages = await session.scalars(
            select(Language.name)
            .join(MentorLanguage, MentorLanguage.language_code == Language.code)
            .where(MentorLanguage.mentor_id == profile.id)
        )
        fields = await session.scalars(
            select(Field.name)
            .join(MentorField, MentorField.field_id == Field.id)
            .where(MentorField.mentor_id == profile.id)
        )
        levels = await session.scalars(
            select(MentorDegreeLevel.degree_level).where(MentorDegreeLevel.mentor_id == profile.id)
        )
        dob = None
        if profile.date_of_birth is not None:
            until = date_of_birth_cleared_on(programme, dob_after_days) or "the programme's end"
            dob = f"stored for identity checks only, never shown; cleared on {until}"
        out.append(
            {
                "programme": programme_name,
                "status": profile.status.value,
                "displayName": profile.display_name,
                "headline": profile.headline,
                "educationalBackground": profile.educational_background,
                "professionalBackground": profile.professional_background,
                "careerExperience": profile.career_experience,
                "workingLifeYears": profile.working_life_years,
                "hasDoctorate": profile.has_doctorate,
                "location": profile.location.value,
                "city": profile.city,
                "remoteOk": profile.remote_ok,
                "capacity": profile.capacity,
                "contactEmail": profile.contact_email,
                "dateOfBirth": dob,
                "identityVerified": _iso(profile.identity_verified_at),
                "identityVerifiedBy": profile.identity_verified_by,
                "languages": sorted(languages),
                "fields": sorted(fields),
                "degreeLevels": sorted(level.value for level in levels),
                "createdAt": _iso(profile.created_at),
                "updatedAt": _iso(profile.updated_at),
            }
        )
    return out


async def _student_profiles(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    out = []
    for profile, programme_name, field_name in await session.execute(
        select(StudentProfile, Programme.name, Field.name)
        .join(Programme, Programme.id == StudentProfile.programme_id)
        .outerjoin(Field, Field.id == StudentProfile.field_id)
        .where(StudentProfile.user_id == user_id)
        .order_by(StudentProfile.id)
    ):
        languages = await session.scalars(
            select(StudentLanguage.language_code).where(StudentLanguage.student_id == profile.id)
        )
        out.append(
            {
                "programme": programme_name,
                "displayName": profile.display_name,
                "degreeLevel": profile.degree_level.value,
                "field": field_name,
                "languages": sorted(languages),
                "international": profile.international,
                "onExchange": profile.on_exchange,
                "contactEmail": profile.contact_email,
                "matched": profile.matched,
                "createdAt": _iso(profile.created_at),
                "updatedAt": _iso(profile.updated_at),
            }
        )
    return out


async def _requests(
    session: AsyncSession, mentor_ids: list[int], student_ids: list[int]
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(MentorRequest, MentorProfile.display_name, StudentProfile.display_name)
        .join(MentorProfile, MentorProfile.id == MentorRequest.mentor_id)
        .join(StudentProfile, StudentProfile.id == MentorRequest.student_id)
        .where(
            or_(MentorRequest.mentor_id.in_(mentor_ids), MentorRequest.student_id.in_(student_ids))
        )
        .order_by(MentorRequest.id)
    )
    out = []
    for request, mentor_name, student_name in rows:
        sent = request.student_id in student_ids
        item = {
            "direction": "sent" if sent else "received",
            "counterpart": mentor_name if sent else student_name,
            "status": request.status.value,
            "reason": request.reason,
            "createdAt": _iso(request.created_at),
            "decidedAt": _iso(request.decided_at),
            "remindedAt": _iso(request.reminded_at),
        }
        if sent:
            item["message"] = request.message  # what the person wrote
        out.append(item)
    return out


async def _matches(
    session: AsyncSession, mentor_ids: list[int], student_ids: list[int]
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Match, MentorProfile.display_name, StudentProfile.display_name)
        .join(MentorProfile, MentorProfile.id == Match.mentor_id)
        .join(StudentProfile, StudentProfile.id == Match.student_id)
        .where(or_(Match.mentor_id.in_(mentor_ids), Match.student_id.in_(student_ids)))
        .order_by(Match.id)
    )
    out = []
    for match, mentor_name, student_name in rows:
        meetings = await session.scalars(
            select(Meeting).where(Meeting.match_id == match.id).order_by(Meeting.met_on)
        )
        as_mentor = match.mentor_id in mentor_ids
        out.append(
            {
                "as": "mentor" if as_mentor else "mentee",
                "partner": student_name if as_mentor else mentor_name,
                "createdAt": _iso(match.created_at),
                "meetings": [
                    {"metOn": _iso(m.met_on), "note": m.note, "recordedBy": m.recorded_by.value}
                    for m in meetings
                ],
            }
        )
    return out


async def _briefings(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(BriefingSession, BriefingSignUp.created_at)
        .join(BriefingSignUp, BriefingSignUp.session_id == BriefingSession.id)
        .where(BriefingSignUp.user_id == user_id)
    )
    return [
        {
            "startsAt": _iso(b.starts_at),
            "place": b.place,
            "onlineUrl": b.online_url,
            "signedUpAt": _iso(at),
        }
        for b, at in rows
    ]


async def _survey_answers(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    out = []
    for response, title in await session.execute(
        select(SurveyResponse, Survey.title)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.user_id == user_id)
        .order_by(SurveyResponse.id)
    ):
        answers = await session.execute(
            select(SurveyQuestion.prompt, SurveyAnswer.scale_value, SurveyAnswer.text_value)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.response_id == response.id)
            .order_by(SurveyQuestion.position)
        )
        out.append(
            {
                "survey": title,
                "side": response.side.value,
                "submittedAt": _iso(response.submitted_at),
                "answers": [
                    {"question": prompt, "scale": scale, "text": text}
                    for prompt, scale, text in answers
                ],
            }
        )
    return out


async def _emails(session: AsyncSession, user_id: int, addresses: set[str]) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.user_id == user_id, OutboxMessage.to_address.in_(addresses)))
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "to": m.to_address,
            "subject": m.subject,
            "text": m.body_text,
            "status": m.status.value,
            "createdAt": _iso(m.created_at),
            "sentAt": _iso(m.sent_at),
        }
        for m in rows
    ]


async def export(
    session: AsyncSession, viewer: Viewer | None, *, now: datetime, dob_after_days: int
) -> dict[str, Any]:
    """Everything Mentori stores about the viewer, as one JSON document."""
    viewer = require_viewer(viewer)
    user = await session.get(User, viewer.user_id)
    assert user is not None
    mentor_ids = list(
        await session.scalars(select(MentorProfile.id).where(MentorProfile.user_id == user.id))
    )
    student_ids = list(
        await session.scalars(select(StudentProfile.id).where(StudentProfile.user_id == user.id))
    )
    mentors = await _mentor_profiles(session, user.id, dob_after_days)
    students = await _student_profiles(session, user.id)
    addresses = {user.email} | {p["contactEmail"] for p in [*mentors, *students]}
    return {
        "generatedAt": _iso(now),
        "about": (
            "Everything Mentori stores about you. The event log keeps only ids and statuses, "
            "no names or emails. Ask for erasure with the eraseMe mutation."
        ),
        "person": {
            "name": user.name,
            "email": user.email,
            "role": user.role.value,
            "signInSubject": user.subject,
            "firstSignedInAt": _iso(user.created_at),
        },
        "mentorProfiles": mentors,
        "studentProfiles": students,
        "requests": await _requests(session, mentor_ids, student_ids),
        "matches": await _matches(session, mentor_ids, student_ids),
        "briefings": await _briefings(session, user.id),
        "surveyAnswers": await _survey_answers(session, user.id),
        "emails": await _emails(session, user.id, {a for a in addresses if a}),
    }
