"""GraphQL types and inputs for surveys: their questions, answers, tasks and results."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from db.models import QuestionKind, SurveyKind
from schema import ids
from schema.enums import MatchSide
from services import survey_results, surveys

strawberry.enum(SurveyKind, description="HALFWAY: the check-in. FINAL: the end feedback.")
strawberry.enum(QuestionKind, description="SCALE_1_5: a number from 1 to 5. TEXT: free text.")


@strawberry.type
class SurveyQuestion(relay.Node):
    id: relay.NodeID[int]
    position: int
    kind: QuestionKind
    prompt: str


@strawberry.type(description="A survey; open while its programme phase is open.")
class Survey(relay.Node):
    id: relay.NodeID[int]
    kind: SurveyKind
    title: str
    opens_on: date | None
    closes_on: date | None
    is_open: bool
    questions: list[SurveyQuestion]

    @classmethod
    def from_view(cls, view: surveys.SurveyView) -> Survey:
        return cls(
            id=view.survey.id,
            kind=view.survey.kind,
            title=view.survey.title,
            opens_on=view.opens_on,
            closes_on=view.closes_on,
            is_open=view.is_open,
            questions=[
                SurveyQuestion(id=q.id, position=q.position, kind=q.kind, prompt=q.prompt)
                for q in view.questions
            ],
        )


@strawberry.input
class SurveyQuestionInput:
    kind: QuestionKind
    prompt: str


@strawberry.input
class DefineSurveyInput:
    kind: SurveyKind
    title: str
    questions: list[SurveyQuestionInput]
    opens_on: date | None = strawberry.field(
        default=None, description="Sets the programme's phase dates for this survey."
    )
    closes_on: date | None = None


@strawberry.input(description="One answer: scale for SCALE_1_5 questions, text for TEXT ones.")
class SurveyAnswerInput:
    question_id: strawberry.ID
    scale: int | None = None
    text: str | None = None


@strawberry.type
class SurveyResponse(relay.Node):
    id: relay.NodeID[int]
    side: MatchSide
    submitted_at: datetime


@strawberry.type(description="A survey you should answer about one of your matches.")
class SurveyTask:
    survey: Survey
    match_id: strawberry.ID
    side: MatchSide
    answered: bool

    @classmethod
    def from_task(cls, task: surveys.Task) -> SurveyTask:
        return cls(
            survey=Survey.from_view(task.survey),
            match_id=ids.encode("Match", task.match_id),
            side=task.side,
            answered=task.answered,
        )


@strawberry.type
class SurveyQuestionResult:
    question: SurveyQuestion
    answers: int
    average: float | None = strawberry.field(description="Scale questions only.")
    distribution: list[int] = strawberry.field(
        description="Scale questions: how many answered 1, 2, 3, 4 and 5."
    )
    text_answers: list[str] = strawberry.field(
        description="Text questions: the answers given, earliest first, without who wrote them."
    )


@strawberry.type(
    description="Response rates and averages; SURVEY_ANSWERED events tell of new ones."
)
class SurveyResults:
    survey: Survey
    expected_responses: int = strawberry.field(description="Two per match: mentor and mentee.")
    responses: int
    mentor_responses: int
    student_responses: int
    response_rate: float
    questions: list[SurveyQuestionResult]

    @classmethod
    def from_results(cls, results: survey_results.Results) -> SurveyResults:
        return cls(
            survey=Survey.from_view(results.survey),
            expected_responses=results.expected,
            responses=results.responses,
            mentor_responses=results.mentor_responses,
            student_responses=results.student_responses,
            response_rate=results.response_rate,
            questions=[
                SurveyQuestionResult(
                    question=SurveyQuestion(
                        id=r.question.id,
                        position=r.question.position,
                        kind=r.question.kind,
                        prompt=r.question.prompt,
                    ),
                    answers=r.answers,
                    average=r.average,
                    distribution=r.distribution,
                    text_answers=r.texts,
                )
                for r in results.questions
            ],
        )
