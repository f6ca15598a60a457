from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from schema import ids
from schema.enums import Availability, DegreeLevel, Location, Phase, RequestStatus
from services import mentors, students

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def by_name(value: object, into: type[T], **converted: Any) -> T:
    """A service's input built from an input type's fields of the same name, and the
    `converted` ones (ids decoded): each side declares its fields once, nothing lists them again.
    tests/schema/test_inputs.py checks that no input field is left behind."""
    names = {f.name for f in dataclasses.fields(into)}
    same = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]
    return into(**{k: v for k, v in same.items() if k in names}, **converted)


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
    # Write-only (rule 2): no output type has it, and no refusal quotes it (schema/withheld.py).
    date_of_birth: date | None = strawberry.field(
        default=None,
        description=(
            "Write-only: for the identity checks against the alumni register during mentor "
            "sign-up, never shown to anyone, not even to you; cleared after the checks. "
            "Left out, the one on file is kept."
        ),
    )
    languages: list[str] | None = None
    degree_levels: list[DegreeLevel] | None = None
    fields: list[strawberry.ID] | None = None

    def to_service(self) -> mentors.ProfileInput:
        field_ids = None if self.fields is None else [ids.decode(f, "Field") for f in self.fields]
        return by_name(self, mentors.ProfileInput, field_ids=field_ids)


@strawberry.input
class StudentProfileInput:
    display_name: str | None = None
    degree_level: DegreeLevel | None = None
    field: strawberry.ID | None = None
    languages: list[str] | None = None
    international: bool | None = None
    on_exchange: bool | None = None
    contact_email: str | None = None

    def to_service(self) -> students.StudentInput:
        field_id = ids.decode_optional(self.field, "Field")
        return by_name(self, students.StudentInput, field_id=field_id)


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
    older_than_hours: int | None = strawberry.field(
        default=None, description="Sent more than so many hours ago."
    )
    field: strawberry.ID | None = strawberry.field(
        default=None, description="The student's field of study."
    )
    language: str | None = strawberry.field(
        default=None, description="A language the student studies in (its code)."
    )
