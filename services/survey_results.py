"""Survey results for coordinators: response rates, the averages of the scale questions, and
every response as CSV (anonymous: no names, no match ids)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Match,
    MatchSide,
    QuestionKind,
    Role,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from services import surveys
from services.surveys import SurveyView
from services.viewer import Viewer, require_role


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: SurveyQuestion
    answers: int
    average: float | None
    distribution: list[int]  # how many answered 1, 2, 3, 4, 5
    texts: list[str]  # a text question's answers, earliest first, without who wrote them


@dataclass(frozen=True, slots=True)
class Results:
    survey: SurveyView
    expected: int
    mentor_responses: int
    student_responses: int
    questions: list[QuestionResult]

    @property
    def responses(self) -> int:
        return self.mentor_responses + self.student_responses

    @property
    def response_rate(self) -> float:
        return self.responses / self.expected if self.expected else 0.0


async def results(
    session: AsyncSession, viewer: Viewer | None, survey_id: int, *, now: datetime
) -> Results:
    require_role(viewer, Role.COORDINATOR)
    survey, programme = await surveys.get(session, survey_id)
    view = await surveys.view(session, programme, survey, now)
    matches = await session.scalar(
        select(func.count()).select_from(Match).where(Match.programme_id == programme.id)
    )
    by_side: dict[MatchSide, int] = {}
    for side, n in await session.execute(
        select(SurveyResponse.side, func.count())
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.side)
    ):
        by_side[side] = n
    counts: dict[tuple[int, int | None], int] = {}
    texts: dict[int, int] = {}
    for question_id, scale, text, n in await session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.scale_value,
            SurveyAnswer.text_value.is_not(None),
            func.count(),
        )
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyQuestion.survey_id == survey.id)
        .group_by(
            SurveyAnswer.question_id, SurveyAnswer.scale_value, SurveyAnswer.text_value.is_not(None)
        )
    ):
        if scale is not None:
            counts[(question_id, scale)] = n
        elif text:
            texts[question_id] = texts.get(question_id, 0) + n
    written: dict[int, list[str]] = {}
    for question_id, text_value in await session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.text_value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.text_value.is_not(None))
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ):
        written.setdefault(question_id, []).append(text_value or "")
    outcome = []
    for q in view.questions:
        distribution = [counts.get((q.id, value), 0) for value in range(1, 6)]
        total = sum(distribution)
        if q.kind is QuestionKind.SCALE_1_5:
            average = (
                sum(v * c for v, c in zip(range(1, 6), distribution, strict=True)) / total
                if total
                else None
            )
            outcome.append(QuestionResult(q, total, average, distribution, []))
        else:
            answers = texts.get(q.id, 0)
            outcome.append(QuestionResult(q, answers, None, [0] * 5, written.get(q.id, [])))
    return Results(
        survey=view,
        expected=2 * (matches or 0),
        mentor_responses=by_side.get(MatchSide.MENTOR, 0),
        student_responses=by_side.get(MatchSide.STUDENT, 0),
        questions=outcome,
    )


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; the quote keeps it text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def export_csv(
    session: AsyncSession,
    viewer: Viewer | None,
    survey_id: int,
    *,
    separator: str = ",",
    now: datetime,
) -> str:
    """One row per response, anonymous (no names, no match ids), one column per question.
    `separator` ";" suits spreadsheets set up for Finnish (where "," is the decimal mark)."""
    require_role(viewer, Role.COORDINATOR)
    survey, programme = await surveys.get(session, survey_id)
    questions = (await surveys.view(session, programme, survey, now)).questions
    responses = list(
        await session.execute(
            select(SurveyResponse.id, SurveyResponse.side, SurveyResponse.submitted_at)
            .where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        )
    )
    values: dict[tuple[int, int], str] = {}
    for response_id, question_id, scale, text in await session.execute(
        select(
            SurveyAnswer.response_id,
            SurveyAnswer.question_id,
            SurveyAnswer.scale_value,
            SurveyAnswer.text_value,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
    ):
        values[(response_id, question_id)] = str(scale) if scale is not None else text or ""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(
        ["response", "side", "submitted_at", *(f"Q{q.position}: {q.prompt}" for q in questions)]
    )
    for number, (response_id, side, submitted_at) in enumerate(responses, start=1):
        writer.writerow(
            [
                number,
                side.value,
                submitted_at.isoformat(),
                *(_cell(values.get((response_id, q.id), "")) for q in questions),
            ]
        )
    return out.getvalue()
