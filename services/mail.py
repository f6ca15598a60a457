"""The programme's emails, written to the outbox in the same transaction as the change they
report; app/mailer.py delivers them after commit, once each. Plain text and HTML, in English,
each naming the programme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    BriefingAudience,
    BriefingSession,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    OutboxStatus,
    Programme,
    RequestStatus,
    StudentProfile,
)

# Links are completed at delivery (app/mailer.py), where the server's public address is known.
PUBLIC_URL = "%PUBLIC_URL%"
MENTOR_PAGE = f"{PUBLIC_URL}/mentor"
STUDENT_PAGE = f"{PUBLIC_URL}/browse"
SIGNATURE = "With best wishes,\nThe mentoring programme team"


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    paragraphs: list[str]
    # (label, url): a button-like link in HTML, a plain line in the text version.
    action: tuple[str, str] | None = None
    closing: list[str] = field(default_factory=lambda: [SIGNATURE])

    def text(self) -> str:
        parts = list(self.paragraphs)
        if self.action is not None:
            parts.append(f"{self.action[0]}: {self.action[1]}")
        return "\n\n".join([*parts, *self.closing]) + "\n"

    def html(self) -> str:
        def para(text: str) -> str:
            return f"<p>{escape(text).replace(chr(10), '<br>')}</p>"

        body = "".join(para(p) for p in self.paragraphs)
        if self.action is not None:
            label, url = self.action
            body += f'<p><a href="{escape(url)}">{escape(label)}</a></p>'
        body += "".join(para(p) for p in self.closing)
        return f'<!doctype html><html lang="en"><body>{body}</body></html>'


def queue(
    session: AsyncSession,
    programme: Programme,
    *,
    kind: str,
    to: str,
    user_id: int | None,
    letter: Letter,
    now: datetime,
) -> None:
    if not to:
        return  # an erased person has no address left, and gets no mail
    session.add(
        OutboxMessage(
            programme_id=programme.id,
            user_id=user_id,
            kind=kind,
            to_address=to,
            subject=f"[{programme.name}] {letter.subject}",
            body_text=letter.text(),
            body_html=letter.html(),
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


def _send_to(
    session: AsyncSession,
    programme: Programme,
    person: MentorProfile | StudentProfile,
    *,
    kind: str,
    letter: Letter,
    now: datetime,
) -> None:
    """A letter to one side of a request, at the contact address of their profile."""
    queue(
        session,
        programme,
        kind=kind,
        to=person.contact_email,
        user_id=person.user_id,
        letter=letter,
        now=now,
    )


ASK_SOMEONE_ELSE = (
    "You may ask another mentor now: browse the mentors who still have room and send your "
    "next request."
)


def local_time(programme: Programme, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(programme.timezone))
    return f"{local:%a %-d %b %Y at %H:%M} ({programme.timezone} time)"


async def request_arrived(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
) -> None:
    expiry = programme.request_expiry_hours
    deadline = f"Please answer within {expiry} hours" if expiry else "Please answer"
    _send_to(
        session,
        programme,
        mentor,
        kind="request_arrived",
        letter=Letter(
            subject=f"{student.display_name} would like you as their mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name} has asked you to be their mentor in {programme.name}.",
                f"Their message:\n{request.message or '(no message)'}",
                f"{deadline}, as soon as you can: accept or reject the request in your inbox.",
            ],
            action=("Open your inbox", MENTOR_PAGE),
        ),
        now=now,
    )


async def _briefings_for(
    session: AsyncSession, programme: Programme, audience: BriefingAudience, now: datetime
) -> str:
    upcoming: Sequence[BriefingSession] = list(
        await session.scalars(
            select(BriefingSession)
            .where(
                BriefingSession.programme_id == programme.id,
                BriefingSession.audience == audience,
                BriefingSession.starts_at > now,
            )
            .order_by(BriefingSession.starts_at)
            .limit(3)
        )
    )
    who = "mentors (online)" if audience is BriefingAudience.MENTORS else "students (on campus)"
    if not upcoming:
        return f"Attend the briefing for {who}; the coordinators will announce its time."
    lines = [f"- {local_time(programme, b.starts_at)}, {b.online_url or b.place}" for b in upcoming]
    return "Sign up for a briefing session for " + who + ":\n" + "\n".join(lines)


async def request_accepted(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
    by_coordinator: bool = False,
) -> None:
    """Rule 8: on acceptance both sides receive each other's contact details."""
    if by_coordinator:
        accepted = f"The programme's coordinators have matched you with {mentor.display_name}"
        thanks = f"The programme's coordinators have matched you with {student.display_name}"
    else:
        accepted = f"Good news: {mentor.display_name} accepted your request"
        thanks = f"Thank you for accepting {student.display_name}'s request"
    first_meeting = (
        "What happens next: agree on your first meeting within the next two weeks, then meet "
        "about once a month until the programme ends."
    )
    _send_to(
        session,
        programme,
        student,
        kind="request_accepted",
        letter=Letter(
            subject=f"{mentor.display_name} accepted your request",
            paragraphs=[
                f"Dear {student.display_name},",
                f"{accepted}: they are now your mentor in {programme.name}.",
                f"Your mentor's contact details:\n{mentor.display_name}\n{mentor.contact_email}",
                first_meeting,
                await _briefings_for(session, programme, BriefingAudience.STUDENTS, now),
            ],
        ),
        now=now,
    )
    _send_to(
        session,
        programme,
        mentor,
        kind="request_accepted",
        letter=Letter(
            subject=f"You are now {student.display_name}'s mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{thanks} in {programme.name}.",
                f"Your mentee's contact details:\n{student.display_name}\n{student.contact_email}",
                first_meeting,
                await _briefings_for(session, programme, BriefingAudience.MENTORS, now),
            ],
        ),
        now=now,
    )


async def request_declined(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
) -> None:
    """To the student: rejected, or closed because the mentor filled up; ask someone else."""
    if request.status is RequestStatus.CLOSED_MENTOR_FULL:
        subject = f"{mentor.display_name} has no more room"
        what = (
            f"{mentor.display_name} has filled every mentee place in {programme.name}, so your "
            "request to them is closed."
        )
    else:
        subject = f"Your request to {mentor.display_name} was not accepted"
        why = f"\nTheir reason: {request.reason}" if request.reason else ""
        what = f"{mentor.display_name} cannot take you on as a mentee in {programme.name}.{why}"
    _send_to(
        session,
        programme,
        student,
        kind=f"request_{request.status.value.lower()}",
        letter=Letter(
            subject=subject,
            paragraphs=[
                f"Dear {student.display_name},",
                what,
                ASK_SOMEONE_ELSE,
            ],
            action=("Browse mentors", STUDENT_PAGE),
        ),
        now=now,
    )


async def request_reminder(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    expires_at: datetime,
    now: datetime,
) -> None:
    _send_to(
        session,
        programme,
        mentor,
        kind="request_reminder",
        letter=Letter(
            subject=f"Reminder: {student.display_name} is waiting for your answer",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name}'s request in {programme.name} is still waiting for "
                f"your answer. It expires on {local_time(programme, expires_at)}; after that "
                "the student will have to ask someone else.",
                "Please accept or reject it in your inbox.",
            ],
            action=("Open your inbox", MENTOR_PAGE),
        ),
        now=now,
    )


async def request_expired(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
) -> None:
    _send_to(
        session,
        programme,
        student,
        kind="request_expired",
        letter=Letter(
            subject=f"Your request to {mentor.display_name} expired",
            paragraphs=[
                f"Dear {student.display_name},",
                f"{mentor.display_name} did not answer your request in {programme.name} in "
                "time, so it has expired.",
                ASK_SOMEONE_ELSE,
            ],
            action=("Browse mentors", STUDENT_PAGE),
        ),
        now=now,
    )
    _send_to(
        session,
        programme,
        mentor,
        kind="request_expired",
        letter=Letter(
            subject=f"{student.display_name}'s request expired",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name}'s request in {programme.name} was not answered in time "
                "and has expired; the student is free to ask someone else, and the place in "
                "your inbox is free again.",
            ],
            action=("Open your inbox", MENTOR_PAGE),
        ),
        now=now,
    )


async def survey_open(
    session: AsyncSession,
    programme: Programme,
    *,
    title: str,
    closes: str,
    to: str,
    name: str,
    user_id: int | None,
    partner: str,
    page: str,
    now: datetime,
) -> None:
    queue(
        session,
        programme,
        kind="survey_open",
        to=to,
        user_id=user_id,
        letter=Letter(
            subject=f"{title}: tell us how it is going",
            paragraphs=[
                f"Dear {name},",
                f"{title} of {programme.name} is open until {closes}. It takes a few minutes; "
                f"please answer about your mentoring with {partner}.",
                "Each of you answers once; the coordinators see the answers without your "
                "contact details.",
            ],
            action=("Answer the survey", page),
        ),
        now=now,
    )
