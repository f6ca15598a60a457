"""Erasure of one person, on their own request or a coordinator's (services/purge.py does the
same for a whole programme once its retention period is over).

Rows stay, anonymous, so the programme's counts still add up (requests, matches, responses,
sign-ups); what could identify someone goes: names, emails, sign-in subjects, free text they
wrote or that was written about them (request messages and reasons, meeting notes, written
survey answers), their mail in the outbox and any mention of them in other people's mail, and
reasons in the event log (whose payloads otherwise hold only ids and statuses). The person is
signed out of every process at once, and a token issued before the erasure never works again
(services/users.py). Erasing again erases whatever is there by then."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import String, Text, case, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    BriefingSignUp,
    CoordinatorInvite,
    EmailSignInLink,
    Event,
    Match,
    Meeting,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    OutboxStatus,
    ProfileStatus,
    RequestStatus,
    Role,
    StudentProfile,
    SurveyAnswer,
    SurveyResponse,
    User,
)
from services import events, mentors, programmes, requests, sign_in_sessions, users
from services.availability import MentorState, record_mentor_change
from services.errors import not_found
from services.events import EventKind
from services.mail import MAX_SUBJECT
from services.mentor_hiding import HIDDEN_REASON
from services.text import shortened
from services.viewer import Viewer, require_role, require_viewer

ERASED_NAME = "Erased person"
FORMER_MENTOR = "Former mentor"
FORMER_STUDENT = "Former student"
REDACTED = "[erased]"
LEFT_REASON = "The mentor left the programme."
# Reasons the programme itself gives (not written by a person): kept, they explain a status.
SYSTEM_REASONS = (
    LEFT_REASON,
    requests.MENTOR_FULL_REASON,
    "The mentor did not answer in time.",
    mentors.WITHDREW_REASON,
    HIDDEN_REASON,
    "The student was matched with another mentor.",
)
REQUEST_EVENTS = (
    EventKind.REQUEST_SENT,
    EventKind.REQUEST_ACCEPTED,
    EventKind.REQUEST_REJECTED,
    EventKind.REQUEST_WITHDRAWN,
    EventKind.REQUEST_EXPIRED,
    EventKind.REQUEST_CLOSED_MENTOR_FULL,
)
MENTOR_ANONYMOUS: dict[str, Any] = {
    "display_name": FORMER_MENTOR,
    "headline": "",
    "educational_background": "",
    "professional_background": "",
    "career_experience": "",
    "city": "",
    "contact_email": "",
    "date_of_birth": None,
    # Why a coordinator hid them was written about them; the hold goes with it.
    "hidden_by_coordinator_at": None,
    "hidden_reason": None,
}
STUDENT_ANONYMOUS: dict[str, Any] = {"display_name": FORMER_STUDENT, "contact_email": ""}
PLACEHOLDERS = {ERASED_NAME, FORMER_MENTOR, FORMER_STUDENT}
ERASED_SUBJECT = "erased:"


@dataclass(frozen=True, slots=True)
class Erased:
    user_id: int
    erased_at: datetime


class Redactor:
    """Replaces every mention of a person in someone else's text: their names, emails and
    sign-in subject in any letter case, and each capitalised part of a name as a word."""

    def __init__(self, identifiers: Iterable[str], names: Iterable[str] = ()) -> None:
        wanted = {i.strip() for i in identifiers if len(i.strip()) >= 3}
        # As written, as HTML shows it, and as JSON escapes it.
        forms = wanted | {escape(i) for i in wanted} | {json.dumps(i)[1:-1] for i in wanted}
        self.needles = sorted(forms, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(re.escape(n) for n in self.needles), re.IGNORECASE)
            if self.needles
            else None
        )
        # "Dear Zebedee": a first name alone, as a word, only as it is written (so a mentor
        # called Will does not take "will" out of every sentence).
        parts = {p for n in names for p in n.split() if len(p) >= 4 and p[:1].isupper()}
        self.parts = (
            re.compile(r"\b(" + "|".join(re.escape(p) for p in parts) + r")\b") if parts else None
        )

    def text(self, value: str) -> str:
        if self.pattern is not None:
            value = self.pattern.sub(REDACTED, value)
        if self.parts is not None:
            value = self.parts.sub(REDACTED, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def mentions(self, *columns: Any) -> Any:
        return or_(
            *(
                func.lower(c).contains(n.lower(), autoescape=True)
                for c in columns
                for n in self.needles
            )
        )


def user_anonymous(now: datetime) -> dict[str, Any]:
    return {
        "name": ERASED_NAME,
        "email": "",
        "subject": literal(ERASED_SUBJECT) + cast(User.id, String),
        "erased_at": now,
    }


async def erase(
    session: AsyncSession, viewer: Viewer | None, user_id: int, *, now: datetime
) -> Erased:
    """Erase a person everywhere: themselves, or anyone when a coordinator asks."""
    viewer = require_viewer(viewer)
    if user_id != viewer.user_id:
        require_role(viewer, Role.COORDINATOR)
    # Locked first: a second erasure at once waits here for the first's commit. It then erases
    # again whatever is there (a write that got in between, say): nothing is taken as done.
    user = await session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise not_found("person")
    erased_at = user.erased_at or now
    if user.erased_at is None:
        user.erased_at, user.erased_subject_digest = now, users.subject_digest(user.subject)
        await session.flush()
    users.sign_out_everywhere(session, user.id)
    await sign_in_sessions.end_all(session, user.id, now=now)
    await _forget_invitations_and_links(session, user, now=now)
    mentors = list(
        await session.scalars(select(MentorProfile).where(MentorProfile.user_id == user.id))
    )
    students = list(
        await session.scalars(select(StudentProfile).where(StudentProfile.user_id == user.id))
    )
    profiles: list[MentorProfile | StudentProfile] = [*mentors, *students]
    # Erased already, the person goes by the names the programme gave them: those are not
    # theirs to take out of other people's text.
    names = [n for n in (user.name, *(p.display_name for p in profiles)) if n not in PLACEHOLDERS]
    subject = [] if user.subject.startswith(ERASED_SUBJECT) else [user.subject]
    redactor = Redactor([*names, user.email, *subject, *(p.contact_email for p in profiles)], names)
    await _release_mentors(session, [m.id for m in mentors], now=now)
    for student in students:
        await _withdraw_pending(session, viewer, student.id, now=now)
    if students:
        await session.execute(
            update(StudentProfile)
            .where(StudentProfile.id.in_([s.id for s in students]))
            .values(**STUDENT_ANONYMOUS, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    mentor_ids, student_ids = [m.id for m in mentors], [s.id for s in students]
    request_ids = list(
        await session.scalars(
            select(MentorRequest.id).where(
                or_(
                    MentorRequest.mentor_id.in_(mentor_ids),
                    MentorRequest.student_id.in_(student_ids),
                )
            )
        )
    )
    match_ids = list(
        await session.scalars(
            select(Match.id).where(
                or_(Match.mentor_id.in_(mentor_ids), Match.student_id.in_(student_ids))
            )
        )
    )
    await clear_requests(session, MentorRequest.id.in_(request_ids))
    await _scrub_request_events(session, request_ids)
    # A pair's notes are the pair's: with one of them gone, none is kept.
    await session.execute(update(Meeting).where(Meeting.match_id.in_(match_ids)).values(note=""))
    await session.execute(
        update(Meeting)
        .where(Meeting.recorded_by_user_id == user.id)
        .values(recorded_by_user_id=None)
    )
    await clear_survey_texts(session, SurveyResponse.user_id == user.id)
    await _redact_partner_answers(session, redactor, match_ids)
    await session.execute(
        update(SurveyResponse).where(SurveyResponse.user_id == user.id).values(user_id=None)
    )
    await session.execute(
        update(BriefingSignUp).where(BriefingSignUp.user_id == user.id).values(user_id=None)
    )
    programme_ids = sorted({p.programme_id for p in profiles})
    await _clear_outbox(session, user.id, redactor)
    await _redact_hidden_reasons(session, redactor, programme_ids)
    await _redact_events(session, redactor, programme_ids)
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values({**user_anonymous(now), "erased_at": erased_at})
        .execution_options(synchronize_session=False)
    )
    for programme_id in programme_ids:
        events.record(
            session,
            programme_id,
            EventKind.PERSON_ERASED,
            {"mentorIds": mentor_ids, "studentIds": student_ids},
            now=now,
        )
    return Erased(user.id, erased_at)


async def _forget_invitations_and_links(
    session: AsyncSession, user: User, *, now: datetime
) -> None:
    """Invitations to the person's address (open ones end) and sign-in links mailed to it keep
    no trace of it."""
    address = user.email.casefold()
    await session.execute(
        update(CoordinatorInvite)
        .where(or_(CoordinatorInvite.accepted_by_id == user.id, CoordinatorInvite.email == address))
        .values(email=REDACTED, revoked_at=func.coalesce(CoordinatorInvite.revoked_at, now))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(EmailSignInLink)
        .where(EmailSignInLink.email == address)
        .execution_options(synchronize_session=False)
    )


async def erase_owner(
    session: AsyncSession, viewer: Viewer | None, kind: str, key: int, *, now: datetime
) -> Erased:
    """Erase the person behind a User, Mentor or Student id."""
    viewer = require_viewer(viewer)
    user_id = await owner_of(session, kind, key)
    if user_id is None:
        require_role(viewer, Role.COORDINATOR)
        raise not_found("person")
    return await erase(session, viewer, user_id, now=now)


async def owner_of(session: AsyncSession, kind: str, key: int) -> int | None:
    """The user id behind a User, Mentor or Student id (a User id is taken as it is)."""
    if kind == "Mentor":
        return await session.scalar(select(MentorProfile.user_id).where(MentorProfile.id == key))
    if kind == "Student":
        return await session.scalar(select(StudentProfile.user_id).where(StudentProfile.id == key))
    return key


async def _release_mentors(session: AsyncSession, mentor_ids: list[int], *, now: datetime) -> None:
    """The mentor leaves: withdrawn from the list, and every student waiting on them is
    answered (and told) at once, as when a mentor withdraws."""
    for mentor_id in sorted(mentor_ids):
        mentor = await session.scalar(
            select(MentorProfile)
            .where(MentorProfile.id == mentor_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert mentor is not None
        programme = await programmes.get(session, mentor.programme_id)
        before = MentorState.of(mentor)
        for name, value in MENTOR_ANONYMOUS.items():
            setattr(mentor, name, value)
        mentor.status, mentor.updated_at = ProfileStatus.WITHDRAWN, now
        await session.flush()
        await requests.close_pending_for_mentor(
            session, mentor, programme, reason=LEFT_REASON, now=now
        )
        await session.flush()
        record_mentor_change(session, before, mentor, programme, now=now)


async def _withdraw_pending(
    session: AsyncSession, viewer: Viewer, student_id: int, *, now: datetime
) -> None:
    pending = await session.scalars(
        select(MentorRequest.id).where(
            MentorRequest.student_id == student_id, MentorRequest.status == RequestStatus.PENDING
        )
    )
    for request_id in list(pending):
        await requests.withdraw(
            session, viewer, request_id, now=now, override=viewer.is_coordinator
        )


async def clear_requests(session: AsyncSession, condition: Any) -> None:
    await session.execute(
        update(MentorRequest)
        .where(condition)
        .values(
            message="",
            reason=case((MentorRequest.reason.in_(SYSTEM_REASONS), MentorRequest.reason)),
        )
        .execution_options(synchronize_session=False)
    )


async def _scrub_request_events(session: AsyncSession, request_ids: list[int]) -> None:
    """Request events carry the decision's reason, free text someone wrote: it goes."""
    if not request_ids:
        return
    rows = await session.scalars(
        select(Event).where(
            Event.kind.in_(REQUEST_EVENTS),
            Event.payload["requestId"].as_integer().in_(request_ids),
        )
    )
    for event in rows:
        drop_reason(event)


def drop_reason(event: Event) -> None:
    if event.payload.get("reason") not in (None, *SYSTEM_REASONS):
        event.payload = {**event.payload, "reason": None}


async def clear_survey_texts(session: AsyncSession, responses: Any) -> None:
    await session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id.in_(select(SurveyResponse.id).where(responses)))
        .values(text_value=None)
        .execution_options(synchronize_session=False)
    )


async def _redact_partner_answers(
    session: AsyncSession, redactor: Redactor, match_ids: list[int]
) -> None:
    if not match_ids or redactor.pattern is None:
        return
    rows = await session.scalars(
        select(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.match_id.in_(match_ids), SurveyAnswer.text_value.is_not(None))
    )
    for answer in rows:
        answer.text_value = redactor.text(answer.text_value or "")


async def _clear_outbox(session: AsyncSession, user_id: int, redactor: Redactor) -> None:
    """Mail to the person: unsent goes, sent is kept as an empty record. Mail to others that
    names them keeps its purpose, without the name."""
    own = or_(
        OutboxMessage.user_id == user_id,
        OutboxMessage.to_address.in_([n for n in redactor.needles if "@" in n] or ["-"]),
    )
    await session.execute(
        delete(OutboxMessage).where(own, OutboxMessage.status == OutboxStatus.PENDING)
    )
    await session.execute(
        update(OutboxMessage)
        .where(own)
        .values(
            user_id=None,
            to_address="",
            subject=REDACTED,
            body_text="",
            body_html="",
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if redactor.pattern is None:
        return
    mentioned = await session.scalars(
        select(OutboxMessage).where(
            redactor.mentions(
                OutboxMessage.subject, OutboxMessage.body_text, OutboxMessage.body_html
            )
        )
    )
    for message in mentioned:
        # "[erased]" can be longer than what it replaces: the subject still fits its column.
        message.subject = shortened(redactor.text(message.subject), MAX_SUBJECT)
        message.body_text = redactor.text(message.body_text)
        message.body_html = redactor.text(message.body_html)
        message.last_error = redactor.text(message.last_error) if message.last_error else None


async def _redact_hidden_reasons(
    session: AsyncSession, redactor: Redactor, programme_ids: list[int]
) -> None:
    """A coordinator's reason for hiding a mentor may name someone (the student who
    complained): the name goes, the reason stays."""
    if redactor.pattern is None or not programme_ids:
        return
    rows = await session.scalars(
        select(MentorProfile).where(
            MentorProfile.programme_id.in_(programme_ids),
            MentorProfile.hidden_reason.is_not(None),
            redactor.mentions(MentorProfile.hidden_reason),
        )
    )
    for mentor in rows:
        mentor.hidden_reason = redactor.text(mentor.hidden_reason or "")


async def _redact_events(
    session: AsyncSession, redactor: Redactor, programme_ids: list[int]
) -> None:
    """A safety net: event payloads hold ids and statuses, but should a name ever slip into
    one, it goes too."""
    if redactor.pattern is None or not programme_ids:
        return
    rows = await session.scalars(
        select(Event).where(
            Event.programme_id.in_(programme_ids), redactor.mentions(cast(Event.payload, Text))
        )
    )
    for event in rows:
        event.payload = redactor.value(event.payload)
