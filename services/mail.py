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
from services.text import shortened

# Links are completed at delivery (app/mailer.py), where the server's public address is known.
PUBLIC_URL = "%PUBLIC_URL%"
MENTOR_PAGE = f"{PUBLIC_URL}/mentor"
STUDENT_PAGE = f"{PUBLIC_URL}/browse"
SIGNATURE = "With best wishes,\nThe mentoring programme team"
# A subject names the programme and a person or a survey, each shortened (in full in the body)
# so that the subject says what the letter is about and fits its column.
MAX_SUBJECT = 300  # OutboxMessage.subject
PROGRAMME_IN_SUBJECT = 60
NAME_IN_SUBJECT = 60
TITLE_IN_SUBJECT = 80


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


def subject_line(programme: Programme | None, letter: Letter) -> str:
    if programme is None:
        return shortened(letter.subject, MAX_SUBJECT)
    tag = shortened(programme.name, PROGRAMME_IN_SUBJECT)
    return shortened(f"[{tag}] {letter.subject}", MAX_SUBJECT)


def _named(person: MentorProfile | StudentProfile) -> str:
    return shortened(person.display_name, NAME_IN_SUBJECT)


def queue(
    session: AsyncSession,
    programme: Programme | None,  # None: a letter about no programme (a sign-in link)
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
            programme_id=programme.id if programme is not None else None,
            user_id=user_id,
            kind=kind,
            to_address=to,
            subject=subject_line(programme, letter),
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
            subject=f"{_named(student)} would like you as their mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name} has asked you to be their mentor in {programme.name}.",
                f"Their message:\n{request.message or '(no message)'}",
                f"{deadline}, as soon as you can: accept or decline the request in your inbox.",
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
            subject=f"{_named(mentor)} accepted your request",
            paragraphs=[
                f"Dear {student.display_name},",
                f"{accepted}: they are now your mentor in {programme.name}.",
                f"Your mentor's contact details:\n{mentor.display_name}\n{mentor.contact_email}",
                first_meeting,
                await _briefings_for(session, programme, BriefingAudience.STUDENTS, now),
            ],
            # Where to sign up for the briefing and, later, record meetings and answer surveys.
            action=("Open your page", STUDENT_PAGE),
        ),
        now=now,
    )
    _send_to(
        session,
        programme,
        mentor,
        kind="request_accepted",
        letter=Letter(
            subject=f"You are now {_named(student)}'s mentor",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{thanks} in {programme.name}.",
                f"Your mentee's contact details:\n{student.display_name}\n{student.contact_email}",
                first_meeting,
                await _briefings_for(session, programme, BriefingAudience.MENTORS, now),
            ],
            action=("Open your inbox", MENTOR_PAGE),
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
        subject = f"{_named(mentor)} has no more room"
        what = (
            f"{mentor.display_name} has filled every mentee place in {programme.name}, so your "
            "request to them is closed."
        )
    else:
        subject = f"Your request to {_named(mentor)} was not accepted"
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
            subject=f"Reminder: {_named(student)} is waiting for your answer",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"{student.display_name}'s request in {programme.name} is still waiting for "
                f"your answer. It expires on {local_time(programme, expires_at)}; after that "
                "the student will have to ask someone else.",
                "Please accept or decline it in your inbox.",
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
            subject=f"Your request to {_named(mentor)} expired",
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
            subject=f"{_named(student)}'s request expired",
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
            subject=f"{shortened(title, TITLE_IN_SUBJECT)}: tell us how it is going",
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


async def match_nudge(
    session: AsyncSession,
    programme: Programme,
    *,
    mentor: MentorProfile,
    student: StudentProfile,
    now: datetime,
) -> None:
    """A coordinator's friendly reminder to a pair that has not met for a while."""
    for person, partner, page in (
        (mentor, student, MENTOR_PAGE),
        (student, mentor, STUDENT_PAGE),
    ):
        _send_to(
            session,
            programme,
            person,
            kind="match_nudge",
            letter=Letter(
                subject=f"Time to meet {_named(partner)} again?",
                paragraphs=[
                    f"Dear {person.display_name},",
                    f"We hope your mentoring with {partner.display_name} in {programme.name} "
                    "is going well. We have not seen a meeting recorded for a while, so this "
                    "is a friendly reminder to agree on your next one.",
                    "Once you have met, record the meeting on your page: it helps the "
                    "coordinators see that all is well. If something is in the way, just "
                    "reply and tell us.",
                ],
                action=("Open your page", page),
            ),
            now=now,
        )


async def mentor_hidden(
    session: AsyncSession,
    programme: Programme,
    *,
    mentor: MentorProfile,
    reason: str,
    students_told: int,
    now: datetime,
) -> None:
    """A coordinator took the mentor off the students' list: why, and who to contact."""
    if students_told:
        waiting = (
            "The student who was waiting for your answer has been told"
            if students_told == 1
            else f"The {students_told} students who were waiting for your answer have been told"
        ) + " that you are no longer available, and may ask another mentor."
    else:
        waiting = "No student was waiting for your answer."
    _send_to(
        session,
        programme,
        mentor,
        kind="mentor_hidden",
        letter=Letter(
            subject="Your mentor profile was taken off the list",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"A coordinator of {programme.name} has taken your mentor profile off the list "
                "students browse, so students cannot find you or send you requests for now.",
                f"The coordinator's reason:\n{reason}",
                waiting + " The mentees you have already accepted stay your mentees.",
                "You cannot publish your profile again until a coordinator allows it. If you "
                "have questions, or something has changed, reply to this email to reach the "
                "programme's coordinators.",
            ],
            action=("Open your page", MENTOR_PAGE),
        ),
        now=now,
    )


async def mentor_unhidden(
    session: AsyncSession, programme: Programme, *, mentor: MentorProfile, now: datetime
) -> None:
    _send_to(
        session,
        programme,
        mentor,
        kind="mentor_unhidden",
        letter=Letter(
            subject="You may publish your mentor profile again",
            paragraphs=[
                f"Dear {mentor.display_name},",
                f"A coordinator of {programme.name} has lifted the hold on your mentor profile. "
                "It is not listed yet: publish it on your page when you are ready for students "
                "to find you (while mentor sign-up is open).",
            ],
            action=("Open your page", MENTOR_PAGE),
        ),
        now=now,
    )


# Letters whose body is a key (a sign-in link): once sent, the outbox keeps only this.
KEY_KINDS = frozenset({"sign_in_link"})
KEY_REMOVED = "[A sign-in link: removed from the outbox once sent.]"


def sign_in_link(session: AsyncSession, *, to: str, path: str, minutes: int, now: datetime) -> None:
    """A one-time sign-in link (services/email_links.py), to whoever asked for one: it names
    no programme and no account, since the address may belong to neither yet."""
    queue(
        session,
        None,
        kind="sign_in_link",
        to=to,
        user_id=None,
        letter=Letter(
            subject="Your link to sign in to the mentoring programme",
            paragraphs=[
                "Hello,",
                "Someone, probably you, asked to sign in to the mentoring programme with this "
                f"email address. The link below signs you in: it works once, within {minutes} "
                "minutes.",
                "If it was not you, you may ignore this email: nobody can sign in as you "
                "without the link.",
            ],
            action=("Sign in", f"{PUBLIC_URL}{path}"),
        ),
        now=now,
    )
