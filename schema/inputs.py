from __future__ import annotations

from datetime import date

import strawberry

from schema.enums import Availability, DegreeLevel, Location, Phase, RequestStatus


@strawberry.input(description="Search for mentors; every given criterion must hold.")
class MentorFilter:
    languages: list[str] | None = strawberry.field(
        default=None, description="Language codes (e.g. fi, en, sv): mentors in any of them."
    )
    degree_level: DegreeLevel | None = None
    fields: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Field ids: mentors suiting any of them."
    )
    has_doctorate: bool | None = None
    location: Location | None = None
    remote_ok: bool | None = None
    availability: list[Availability] | None = strawberry.field(
        default=None,
        description="Students see only AVAILABLE and BUSY mentors whatever they ask for.",
    )
    text: str | None = strawberry.field(
        default=None, description="Words to find anywhere in the profile's text."
    )


@strawberry.input
class MentorProfileInput:
    display_name: str | None = None
    headline: str | None = None
    educational_background: str | None = None
    professional_background: str | None = None
    career_experience: str | None = None
    working_life_years: int | None = None
    has_doctorate: bool | None = None
    location: Location | None = None
    city: str | None = None
    remote_ok: bool | None = None
    capacity: int | None = strawberry.field(default=None, description="1 or 2 mentees.")
    contact_email: str | None = strawberry.field(
        default=None, description="Private: shown only to a mentee you accept."
    )
    # No date of birth here: it is for identity checks outside the API, never in the schema.
    languages: list[str] | None = None
    degree_levels: list[DegreeLevel] | None = None
    fields: list[strawberry.ID] | None = None


@strawberry.input
class StudentProfileInput:
    display_name: str | None = None
    degree_level: DegreeLevel | None = None
    field: strawberry.ID | None = None
    languages: list[str] | None = None
    international: bool | None = None
    on_exchange: bool | None = None
    contact_email: str | None = None


@strawberry.input
class PhaseDatesInput:
    phase: Phase
    opens_on: date
    closes_on: date


@strawberry.input
class ProgrammeLimitsInput:
    student_pending_limit: int | None = None
    mentor_pending_limit: int | None = None
    request_expiry_hours: int | None = strawberry.field(
        default=None, description="Hours before an unanswered request expires."
    )
    request_expiry_off: bool = strawberry.field(
        default=False, description="True turns request expiry off."
    )
    reminder_hours_before_expiry: int | None = None


@strawberry.input
class CreateProgrammeInput:
    name: str
    timezone: str = "Europe/Helsinki"
    phases: list[PhaseDatesInput] = strawberry.field(default_factory=list)
    limits: ProgrammeLimitsInput | None = None


@strawberry.input
class UpdateProgrammeInput:
    name: str | None = None
    phases: list[PhaseDatesInput] = strawberry.field(default_factory=list)
    limits: ProgrammeLimitsInput | None = None


@strawberry.input
class RequestFilter:
    statuses: list[RequestStatus] | None = None
    mentor: strawberry.ID | None = None
    student: strawberry.ID | None = None
