from __future__ import annotations

from typing import Annotated

import strawberry

from schema import ids
from schema.context import Info
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from schema.surveys import (
    DefineSurveyInput,
    Survey,
    SurveyAnswerInput,
    SurveyResponse,
    SurveyResults,
    SurveyTask,
)
from services import survey_results, surveys
from services.surveys import AnswerInput, QuestionInput


@strawberry.type
class SurveyQuery:
    @strawberry.field(
        description="A programme's surveys and their questions.",
        permission_classes=[IsAuthenticated],
    )
    async def surveys(self, info: Info, programme_id: strawberry.ID | None = None) -> list[Survey]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        views = await read(info, surveys.list_for, key, now=now)
        return [Survey.from_view(v) for v in views]

    @strawberry.field(
        description="Mentors and students: the open surveys to answer, one per match.",
        permission_classes=[IsAuthenticated],
    )
    async def my_survey_tasks(
        self,
        info: Info,
        programme_id: strawberry.ID | None = None,
        include_closed: Annotated[
            bool,
            strawberry.argument(
                description="Also the surveys whose dates are over, answered or not."
            ),
        ] = False,
    ) -> list[SurveyTask]:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        tasks = await read(info, surveys.my_tasks, key, now=now, include_closed=include_closed)
        return [SurveyTask.from_task(t) for t in tasks]

    @strawberry.field(
        description="Coordinators: response rates, and averages of the scale questions.",
        permission_classes=[IsCoordinator],
    )
    async def survey_results(self, info: Info, survey_id: strawberry.ID) -> SurveyResults:
        key = ids.decode(survey_id, "Survey")
        now = info.context.now()
        results = await read(info, survey_results.results, key, now=now)
        return SurveyResults.from_results(results)

    @strawberry.field(
        description=(
            "Coordinators: every response as CSV text (RFC 4180; one anonymous row per "
            "response, one column per question), ready to save as a .csv file."
        ),
        permission_classes=[IsCoordinator],
    )
    async def survey_results_csv(
        self,
        info: Info,
        survey_id: strawberry.ID,
        semicolons: Annotated[
            bool,
            strawberry.argument(
                description="Separate with semicolons, for spreadsheets set up for Finnish."
            ),
        ] = False,
    ) -> str:
        key = ids.decode(survey_id, "Survey")
        now = info.context.now()
        separator = ";" if semicolons else ","
        return await read(info, survey_results.export_csv, key, separator=separator, now=now)


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Coordinators: create or change the halfway or final survey (questions change "
            "only until the first answer)."
        ),
    )
    async def define_survey(
        self, info: Info, input: DefineSurveyInput, programme_id: strawberry.ID | None = None
    ) -> Survey:
        key = ids.decode_optional(programme_id, "Programme")
        questions = [QuestionInput(q.kind, q.prompt) for q in input.questions]
        now = info.context.now()
        view = await run(
            info,
            surveys.define,
            key,
            input.kind,
            title=input.title,
            questions=questions,
            opens_on=input.opens_on,
            closes_on=input.closes_on,
            now=now,
        )
        return Survey.from_view(view)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors and students: answer an open survey about one of your matches, once.",
    )
    async def answer_survey(
        self,
        info: Info,
        survey_id: strawberry.ID,
        match_id: strawberry.ID,
        answers: list[SurveyAnswerInput],
    ) -> SurveyResponse:
        survey_key = ids.decode(survey_id, "Survey")
        match_key = ids.decode(match_id, "Match")
        given = [
            AnswerInput(ids.decode(a.question_id, "SurveyQuestion"), a.scale, a.text)
            for a in answers
        ]
        now = info.context.now()
        row = await run(info, surveys.answer, survey_key, match_key, given, now=now)
        return SurveyResponse(id=row.id, side=row.side, submitted_at=row.submitted_at)
