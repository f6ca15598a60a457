"""GraphQL types and inputs for the programme year: briefings, surveys, meetings and erasure."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from db import models
from db.models import BriefingAudience, MatchSide, QuestionKind, SurveyKind
from schema import ids
from schema.enums import Role
from schema.types import Match
from services import briefings, meetings, survey_results, surveys

strawberry.enum(BriefingAudience, description="Who a briefing session is for.")
strawberry.enum(SurveyKind, description="HALFWAY: the check-in. FINAL: the end feedback.")
strawberry.enum(QuestionKind, description="SCALE_1_5: a number from 1 to 5. TEXT: free text.")
strawberry.enum(MatchSide, description="The mentor's or the mentee's side of a match.")


@strawberry.type(description="A briefing session: mentors online, students on campus, or as set.")
class BriefingSession(relay.Node):
    id: relay.NodeID[int]
    audience: BriefingAudience
    starts_at: datetime
    duration_minutes: int
    place: str
    online_url: str
    capacity: int
    signed_up_count: int
    places_left: int
    signed_up: bool = strawberry.field(description="Whether you are signed up for this session.")

    @classmethod
    def from_row(cls, row: models.BriefingSession, *, mine: int | None) -> BriefingSession:
        return cls(
            id=row.id,
            audience=row.audience,
            starts_at=row.starts_at,
            duration_minutes=row.duration_minutes,
            place=row.place,
            online_url=row.online_url,
            capacity=row.capacity,
            signed_up_count=row.signed_up_count,
            places_left=max(row.capacity - row.signed_up_count, 0),
            signed_up=mine == row.id,
        )


@strawberry.type(description="Someone signed up for a briefing (null name: since erased).")
class BriefingSignUp:
    briefing_id: strawberry.ID
    name: str | None
    role: Role | None
    signed_up_at: datetime

    @classmethod
    def from_view(cls, view: briefings.SignUp) -> BriefingSignUp:
        return cls(
            briefing_id=ids.encode("BriefingSession", view.briefing_id),
            name=view.name,
            role=view.role,
            signed_up_at=view.signed_up_at,
        )


@strawberry.input
class BriefingSessionInput:
    audience: BriefingAudience | None = None
    starts_at: datetime | None = strawberry.field(
        default=None, description="With its UTC offset, e.g. 2026-02-03T16:00:00+02:00."
    )
    duration_minutes: int | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None

    def to_service(self) -> briefings.BriefingInput:
        return briefings.BriefingInput(
            audience=self.audience,
            starts_at=self.starts_at,
            duration_minutes=self.duration_minutes,
            place=self.place,
            online_url=self.online_url,
            capacity=self.capacity,
        )


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
                )
                for r in results.questions
            ],
        )


@strawberry.type(description="A meeting of a matched pair; the note is for the pair only.")
class Meeting(relay.Node):
    id: relay.NodeID[int]
    met_on: date
    note: str
    recorded_by: MatchSide
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Meeting) -> Meeting:
        return cls(
            id=row.id,
            met_on=row.met_on,
            note=row.note,
            recorded_by=row.recorded_by,
            created_at=row.created_at,
        )


@strawberry.type(description="A match that has not met for a while.")
class QuietMatch:
    match: Match
    last_met_on: date | None = strawberry.field(description="Null: no meeting recorded yet.")
    days_since: int = strawberry.field(
        description="Days since the last meeting, or since the match began."
    )

    @classmethod
    def from_view(cls, view: meetings.QuietMatch) -> QuietMatch:
        return cls(
            match=Match.from_row(view.match),
            last_met_on=view.last_met_on,
            days_since=view.days_since,
        )


@strawberry.type(description="A person's data was erased; anonymous counts remain.")
class Erasure:
    person_id: strawberry.ID
    erased_at: datetime
