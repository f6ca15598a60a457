"""The programme's emails, written to the outbox in the same transaction as the change they
report; app/mailer.py delivers them after commit, once each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    OutboxStatus,
    Programme,
    StudentProfile,
)

# Links are completed at delivery (app/mailer.py), where the server's public address is known.
PUBLIC_URL = "%PUBLIC_URL%"


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    paragraphs: list[str]

    def text(self) -> str:
        return "\n\n".join(self.paragraphs) + "\n"

    def html(self) -> str:
        body = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in self.paragraphs)
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


SIGNATURE = "With best wishes,\nThe mentoring programme team"


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
    deadline = f" Please answer within {expiry} hours;" if expiry else " Please answer"
    queue(
        session,
        programme,
        kind="request_arrived",
        to=mentor.contact_email,
        user_id=mentor.user_id,
        letter=Letter(
            subject=f"{student.display_name} would like you as their mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name} has asked you to be their mentor in {programme.name}.",
                f"Their message:\n{request.message or '(no message)'}",
                f"{deadline} as soon as you can: open your inbox at {PUBLIC_URL}/mentor to "
                "accept or reject the request.",
                SIGNATURE,
            ],
        ),
        now=now,
    )


async def request_accepted(
    session: AsyncSession,
    programme: Programme,
    request: MentorRequest,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
) -> None:
    """Rule 8: on acceptance both sides receive each other's contact details."""
    next_steps = (
        "What happens next: agree on your first meeting within the next two weeks, and attend "
        "your briefing session (students on campus, mentors online). Meet about once a month "
        "until the programme ends."
    )
    queue(
        session,
        programme,
        kind="request_accepted",
        to=student.contact_email,
        user_id=student.user_id,
        letter=Letter(
            subject=f"{mentor.display_name} accepted your request",
            paragraphs=[
                f"Dear {student.display_name},",
                f"Good news: {mentor.display_name} accepted your request and is now your mentor "
                f"in {programme.name}.",
                f"Your mentor's contact details:\n{mentor.display_name}\n{mentor.contact_email}",
                next_steps,
                SIGNATURE,
            ],
        ),
        now=now,
    )
    queue(
        session,
        programme,
        kind="request_accepted",
        to=mentor.contact_email,
        user_id=mentor.user_id,
        letter=Letter(
            subject=f"You are now {student.display_name}'s mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"Thank you for accepting {student.display_name}'s request in {programme.name}.",
                f"Your mentee's contact details:\n{student.display_name}\n{student.contact_email}",
                next_steps,
                SIGNATURE,
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
    why = f"\nTheir reason: {request.reason}" if request.reason else ""
    queue(
        session,
        programme,
        kind=f"request_{request.status.value.lower()}",
        to=student.contact_email,
        user_id=student.user_id,
        letter=Letter(
            subject=f"Your request to {mentor.display_name} was not accepted",
            paragraphs=[
                f"Dear {student.display_name},",
                f"{mentor.display_name} cannot take you on as a mentee in {programme.name}.{why}",
                "You are free to ask another mentor now: browse the mentors who still have room "
                "and send your next request.",
                SIGNATURE,
            ],
        ),
        now=now,
    )
