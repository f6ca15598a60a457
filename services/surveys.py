"""Surveys (rule 10, docs/rules.md): the halfway check-in and the end feedback survey. A survey
is open while its programme phase (HALFWAY_SURVEY or FINAL_SURVEY) is; coordinators write the
questions (scale 1-5 or free text) and may set the dates with them. Each side of each match
answers once, which the database enforces. Coordinators see the results
(services/survey_results.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Match,
    MatchSide,
    MentorProfile,
    Phase,
    Programme,
    QuestionKind,
    Role,
    StudentProfile,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
)
from services import events, mail, programmes
from services.dates import checked_date
from services.errors import DomainError, ErrorCode, invalid, not_found
from services.events import EventKind
from services.programmes import PhaseDates
from services.text import free_text, one_line
from services.viewer import Viewer, require_role

PHASE_OF = {SurveyKind.HALFWAY: Phase.HALFWAY_SURVEY, SurveyKind.FINAL: Phase.FINAL_SURVEY}
MAX_QUESTIONS = 30
MAX_PROMPT = 500
MAX_TEXT_ANSWER = 4000


@dataclass(frozen=True, slots=True)
class QuestionInput:
    kind: QuestionKind
    prompt: str


@dataclass(frozen=True, slots=True)
class AnswerInput:
    question_id: int
    scale: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SurveyView:
    survey: Survey
    questions: list[SurveyQuestion]
    opens_on: date | None
    closes_on: date | None
    is_open: bool


@dataclass(frozen=True, slots=True)
class Task:
    """A survey the viewer should answer about one of their matches."""

    survey: SurveyView
    match_id: int
    side: MatchSide
    answered: bool


async def view(
    session: AsyncSession, programme: Programme, survey: Survey, now: datetime
) -> SurveyView:
    questions = list(
        await session.scalars(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey.id)
            .order_by(SurveyQuestion.position)
        )
    )
    dates = programmes.phase_dates(programme, PHASE_OF[survey.kind])
    return SurveyView(
        survey=survey,
        questions=questions,
        opens_on=dates.opens_on if dates else None,
        closes_on=dates.closes_on if dates else None,
        is_open=programmes.is_open(programme, PHASE_OF[survey.kind], now),
    )


async def get(session: AsyncSession, survey_id: int) -> tuple[Survey, Programme]:
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise not_found("survey")
    return survey, await programmes.get(session, survey.programme_id)


def _check_questions(questions: Sequence[QuestionInput]) -> None:
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise invalid(f"A survey has 1 to {MAX_QUESTIONS} questions.", field="questions")
    for question in questions:
        _prompt(question)


def _prompt(question: QuestionInput) -> str:
    return free_text(
        question.prompt, field="questions", label="question", max_length=MAX_PROMPT, required=True
    )


async def define(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    kind: SurveyKind,
    *,
    title: str,
    questions: Sequence[QuestionInput],
    opens_on: date | None,
    closes_on: date | None,
    now: datetime,
) -> SurveyView:
    """Create or change a programme's survey of this kind; questions change only until the
    first answer arrives."""
    viewer = require_role(viewer, Role.COORDINATOR)
    title = one_line(title, field="title", max_length=200, required=True)
    _check_questions(questions)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    if (opens_on is None) != (closes_on is None):
        raise invalid("Give both the opening and the closing date, or neither.")
    if opens_on is not None and closes_on is not None:
        checked_date(opens_on, field="opens_on", label="opening date")
        checked_date(closes_on, field="closes_on", label="closing date")
    if opens_on is not None and closes_on is not None:
        # The dates are the programme's phase: one place for them, shown with the others.
        phase = PhaseDates(PHASE_OF[kind], opens_on, closes_on)
        programme = await programmes.update(session, viewer, programme.id, phases=[phase], now=now)
    survey = await session.scalar(
        select(Survey)
        .where(Survey.programme_id == programme.id, Survey.kind == kind)
        .with_for_update()
    )
    if survey is None:
        survey = Survey(
            programme_id=programme.id, kind=kind, title=title, created_at=now, updated_at=now
        )
        session.add(survey)
        await session.flush()
    else:
        answered = await session.scalar(
            select(exists().where(SurveyResponse.survey_id == survey.id))
        )
        if answered:
            raise DomainError(
                ErrorCode.CONFLICT, "Answers have arrived already; the questions cannot change."
            )
        survey.title, survey.updated_at = title, now
        await session.execute(delete(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id))
    session.add_all(
        SurveyQuestion(survey_id=survey.id, position=i, kind=q.kind, prompt=_prompt(q))
        for i, q in enumerate(questions, start=1)
    )
    await session.flush()
    events.record(
        session,
        programme.id,
        EventKind.SURVEY_CHANGED,
        {"surveyId": survey.id, "kind": kind.value},
        now=now,
    )
    return await view(session, programme, survey, now)


async def list_for(
    session: AsyncSession, viewer: Viewer | None, programme_id: int | None, *, now: datetime
) -> list[SurveyView]:
    require_role(viewer, Role.STUDENT, Role.MENTOR, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    rows = await session.scalars(select(Survey).where(Survey.programme_id == programme.id))
    # In the programme's order (the halfway check-in, then the final), not the alphabet's.
    in_order = sorted(rows, key=lambda survey: list(SurveyKind).index(survey.kind))
    return [await view(session, programme, s, now) for s in in_order]


async def _own_matches(
    session: AsyncSession, viewer: Viewer, programme_id: int
) -> list[tuple[int, MatchSide]]:
    side_of = MentorProfile if viewer.role is Role.MENTOR else StudentProfile
    column = Match.mentor_id if viewer.role is Role.MENTOR else Match.student_id
    side = MatchSide.MENTOR if viewer.role is Role.MENTOR else MatchSide.STUDENT
    ids = await session.scalars(
        select(Match.id)
        .join(side_of, side_of.id == column)
        .where(Match.programme_id == programme_id, side_of.user_id == viewer.user_id)
        .order_by(Match.id)
    )
    return [(match_id, side) for match_id in ids]


async def my_tasks(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    now: datetime,
    include_closed: bool = False,
) -> list[Task]:
    """The open surveys the viewer should answer, one per match, and whether they have; with
    `include_closed`, also those whose dates are over (a person's page still says they
    answered them)."""
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    own = await _own_matches(session, viewer, programme.id)
    today = programmes.local_date(programme, now)
    tasks: list[Task] = []
    for view in await list_for(session, viewer, programme.id, now=now):
        closed = view.closes_on is not None and view.closes_on < today
        if not (view.is_open or (include_closed and closed)):
            continue
        done = set(
            await session.execute(
                select(SurveyResponse.match_id, SurveyResponse.side).where(
                    SurveyResponse.survey_id == view.survey.id
                )
            )
        )
        tasks += [Task(view, m, side, (m, side) in done) for m, side in own]
    return tasks


def _check_answers(
    questions: list[SurveyQuestion], answers: Sequence[AnswerInput]
) -> list[SurveyAnswer]:
    by_id = {q.id: q for q in questions}
    given = {a.question_id: a for a in answers}
    if len(given) != len(answers) or not set(given) <= set(by_id):
        raise invalid("Answer each of this survey's questions once.", field="answers")
    rows = []
    for question in questions:
        answer = given.get(question.id)
        if question.kind is QuestionKind.SCALE_1_5:
            if answer is None or answer.scale is None or not 1 <= answer.scale <= 5:
                raise invalid(
                    f"Answer {question.prompt!r} on the scale 1 to 5.",
                    questionPosition=question.position,
                )
            rows.append(SurveyAnswer(question_id=question.id, scale_value=answer.scale))
        else:
            text = free_text(
                (answer.text or "") if answer else "",
                field="answers",
                label="written answer",
                max_length=MAX_TEXT_ANSWER,
            )
            if text:
                rows.append(SurveyAnswer(question_id=question.id, text_value=text))
    return rows


async def answer(
    session: AsyncSession,
    viewer: Viewer | None,
    survey_id: int,
    match_id: int,
    answers: Sequence[AnswerInput],
    *,
    now: datetime,
) -> SurveyResponse:
    viewer = require_role(viewer, Role.STUDENT, Role.MENTOR)
    survey, programme = await get(session, survey_id)
    programmes.require_open(programme, PHASE_OF[survey.kind], now)
    side = dict(await _own_matches(session, viewer, programme.id)).get(match_id)
    if side is None:
        raise DomainError(ErrorCode.NOT_MATCHED, "You can answer only about your own match.")
    questions = (await view(session, programme, survey, now)).questions
    rows = _check_answers(questions, answers)
    duplicate = DomainError(
        ErrorCode.ALREADY_ANSWERED, "You have already answered this survey for this match."
    )
    answered = await session.scalar(
        select(
            exists().where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.match_id == match_id,
                SurveyResponse.side == side,
            )
        )
    )
    if answered:
        raise duplicate
    response = SurveyResponse(
        survey_id=survey.id, match_id=match_id, side=side, user_id=viewer.user_id, submitted_at=now
    )
    session.add(response)
    try:
        await session.flush()
    except IntegrityError as error:  # the same answer sent twice at once: one wins
        raise duplicate from error
    for row in rows:
        row.response_id = response.id
    session.add_all(rows)
    await session.flush()
    responses = await session.scalar(
        select(func.count()).where(SurveyResponse.survey_id == survey.id)
    )
    events.record(
        session,
        programme.id,
        EventKind.SURVEY_ANSWERED,
        {"surveyId": survey.id, "side": side.value, "responses": responses},
        now=now,
    )
    return response


async def due_announcements(
    session: AsyncSession, programme_id: int, *, now: datetime
) -> list[int]:
    """The programme's surveys whose phase has opened and whose participants have not been
    told yet."""
    programme = await programmes.get(session, programme_id)
    if programme.purged_at is not None:
        return []
    waiting = await session.scalars(
        select(Survey)
        .where(Survey.programme_id == programme_id, Survey.announced_at.is_(None))
        .order_by(Survey.id)
    )
    return [s.id for s in waiting if programmes.is_open(programme, PHASE_OF[s.kind], now)]


async def announce(session: AsyncSession, survey_id: int, *, now: datetime) -> int:
    """Email both sides of every match that the survey is open, once; returns mails written."""
    claimed = await session.scalar(
        update(Survey)
        .where(Survey.id == survey_id, Survey.announced_at.is_(None))
        .values(announced_at=now)
        .returning(Survey.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return 0
    survey, programme = await get(session, survey_id)
    dates = programmes.phase_dates(programme, PHASE_OF[survey.kind])
    closes = f"{dates.closes_on:%-d %b %Y}" if dates else "further notice"
    pairs = await session.execute(
        select(Match.id, MentorProfile, StudentProfile)
        .join(Match, Match.mentor_id == MentorProfile.id)
        .join(StudentProfile, StudentProfile.id == Match.student_id)
        .where(Match.programme_id == programme.id)
        .order_by(Match.id)
    )
    written = 0
    for match_id, mentor, student in pairs:
        # The link lands on this pair's survey form (year-surveys.js gives it this id).
        anchor = f"#survey-{match_id}-{survey.id}"
        for to, name, user_id, partner, page in (
            (
                mentor.contact_email,
                mentor.display_name,
                mentor.user_id,
                student.display_name,
                mail.MENTOR_PAGE + anchor,
            ),
            (
                student.contact_email,
                student.display_name,
                student.user_id,
                mentor.display_name,
                mail.STUDENT_PAGE + anchor,
            ),
        ):
            await mail.survey_open(
                session,
                programme,
                title=survey.title,
                closes=closes,
                to=to,
                name=name,
                user_id=user_id,
                partner=partner,
                page=page,
                now=now,
            )
            written += 1 if to else 0
    events.record(
        session,
        programme.id,
        EventKind.SURVEY_CHANGED,
        {"surveyId": survey.id, "kind": survey.kind.value, "announced": True},
        now=now,
    )
    return written
