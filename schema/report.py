"""The end-of-programme report's own figures (the rest comes from programmeStats and
surveyResults)."""

from __future__ import annotations

import strawberry

from schema import ids
from services import report


@strawberry.type(description="What the pairs did after they were matched, for the report.")
class ProgrammeReport:
    programme_id: strawberry.ID
    matches: int
    meetings_held: int = strawberry.field(description="Meetings recorded by the pairs.")
    pairs_met: int = strawberry.field(description="Matches with at least one meeting recorded.")
    pairs_nudged: int = strawberry.field(description="Matches a coordinator reminded to meet.")
    mentors_briefed: int = strawberry.field(description="Mentors signed up for a briefing.")
    students_briefed: int = strawberry.field(description="Students signed up for a briefing.")

    @classmethod
    def of(cls, value: report.Report) -> ProgrammeReport:
        return cls(
            programme_id=ids.encode("Programme", value.programme_id),
            matches=value.matches,
            meetings_held=value.meetings_held,
            pairs_met=value.pairs_met,
            pairs_nudged=value.pairs_nudged,
            mentors_briefed=value.mentors_briefed,
            students_briefed=value.students_briefed,
        )
