"""The GraphQL object types. Nested fields load through the context's DataLoaders, so a page of
results costs a constant number of statements."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from db import models
from schema.context import Info
from schema.enums import (
    Availability,
    DegreeLevel,
    Location,
    Phase,
    ProfileStatus,
    RequestStatus,
    Role,
)
from schema.sharing import PER_VIEWER
from services import expiry, programmes
from services.availability import MentorState


@strawberry.type(description="A language someone mentors or studies in (ISO 639-1 code).")
class Language:
    code: str
    name: str

    @classmethod
    def from_row(cls, row: models.Language) -> Language:
        return cls(code=row.code, name=row.name)


@strawberry.type(description="A field of study, in a school of the university.")
class Field(relay.Node):
    id: relay.NodeID[int]
    name: str
    school: str

    @classmethod
    def from_row(cls, row: models.Field) -> Field:
        return cls(id=row.id, name=row.name, school=row.school)


@strawberry.type(description="A phase's dates, in the programme's own time zone.")
class ProgrammePhase:
    phase: Phase
    opens_on: date
    closes_on: date
    is_open: bool


@strawberry.type(description="One year's mentoring programme, with its phases and limits.")
class Programme(relay.Node):
    id: relay.NodeID[int]
    name: str
    timezone: str
    student_pending_limit: int
    mentor_pending_limit: int
    request_expiry_hours: int | None
    reminder_hours_before_expiry: int | None
    phases: list[ProgrammePhase]
    current_phases: list[Phase]

    @classmethod
    def from_row(cls, row: models.Programme, now: datetime) -> Programme:
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            student_pending_limit=row.student_pending_limit,
            mentor_pending_limit=row.mentor_pending_limit,
            request_expiry_hours=row.request_expiry_hours,
            reminder_hours_before_expiry=row.reminder_hours_before_expiry,
            phases=[
                ProgrammePhase(
                    phase=p.phase,
                    opens_on=p.opens_on,
                    closes_on=p.closes_on,
                    is_open=programmes.is_open(row, p.phase, now),
                )
                for p in row.phases
            ],
            current_phases=programmes.current_phases(row, now),
        )


@strawberry.type(description="A mentor's profile. Date of birth is never part of it.")
class Mentor(relay.Node):
    id: relay.NodeID[int]
    display_name: str
    headline: str
    educational_background: str
    professional_background: str
    career_experience: str
    working_life_years: int
    has_doctorate: bool
    location: Location
    city: str
    remote_ok: bool
    capacity: int
    accepted_count: int
    status: ProfileStatus
    row: strawberry.Private[models.MentorProfile]

    @classmethod
    def from_row(cls, row: models.MentorProfile) -> Mentor:
        return cls(
            id=row.id,
            display_name=row.display_name,
            headline=row.headline,
            educational_background=row.educational_background,
            professional_background=row.professional_background,
            career_experience=row.career_experience,
            working_life_years=row.working_life_years,
            has_doctorate=row.has_doctorate,
            location=row.location,
            city=row.city,
            remote_ok=row.remote_ok,
            capacity=row.capacity,
            accepted_count=row.accepted_count,
            status=row.status,
            row=row,
        )

    @strawberry.field(description="How many more mentees this mentor can accept.")
    def remaining_capacity(self) -> int:
        return MentorState.of(self.row).remaining

    @strawberry.field
    async def availability(self, info: Info) -> Availability:
        programme = await info.context.loaders.programme.load(self.row.programme_id)
        assert programme is not None
        return MentorState.of(self.row).availability(programme.mentor_pending_limit)

    @strawberry.field(description="Languages the mentor is willing to mentor in.")
    async def languages(self, info: Info) -> list[Language]:
        rows = await info.context.loaders.mentor_languages.load(self.row.id)
        return [Language.from_row(r) for r in rows]

    @strawberry.field(description="Fields of study the mentor suits.")
    async def fields(self, info: Info) -> list[Field]:
        rows = await info.context.loaders.mentor_fields.load(self.row.id)
        return [Field.from_row(r) for r in rows]

    @strawberry.field(description="Degree levels the mentor takes.")
    async def degree_levels(self, info: Info) -> list[DegreeLevel]:
        return await info.context.loaders.mentor_degree_levels.load(self.row.id)

    @strawberry.field(
        description="Visible only to the mentor and to a student whose request they accepted.",
        metadata=PER_VIEWER,
    )
    async def contact_email(self, info: Info) -> str | None:
        if info.context.viewer is None:
            return None
        seen = await info.context.loaders.counterparts.load(info.context.viewer.user_id)
        return self.row.contact_email if seen.sees_mentor_contact(self.row.id) else None

    @strawberry.field
    async def programme(self, info: Info) -> Programme:
        row = await info.context.loaders.programme.load(self.row.programme_id)
        assert row is not None
        return Programme.from_row(row, info.context.now())


@strawberry.type(description="A student's profile in a programme.")
class Student(relay.Node):
    id: relay.NodeID[int]
    display_name: str
    degree_level: DegreeLevel
    international: bool
    on_exchange: bool
    matched: bool
    row: strawberry.Private[models.StudentProfile]

    @classmethod
    def from_row(cls, row: models.StudentProfile) -> Student:
        return cls(
            id=row.id,
            display_name=row.display_name,
            degree_level=row.degree_level,
            international=row.international,
            on_exchange=row.on_exchange,
            matched=row.matched,
            row=row,
        )

    @strawberry.field
    async def field(self, info: Info) -> Field | None:
        if self.row.field_id is None:
            return None
        row = await info.context.loaders.field.load(self.row.field_id)
        return Field.from_row(row) if row else None

    @strawberry.field
    async def languages(self, info: Info) -> list[Language]:
        rows = await info.context.loaders.student_languages.load(self.row.id)
        return [Language.from_row(r) for r in rows]

    @strawberry.field(
        description="Visible only to the student and to the mentor who accepted their request.",
        metadata=PER_VIEWER,
    )
    async def contact_email(self, info: Info) -> str | None:
        if info.context.viewer is None:
            return None
        seen = await info.context.loaders.counterparts.load(info.context.viewer.user_id)
        return self.row.contact_email if seen.sees_student_contact(self.row.id) else None


async def _mentor(info: Info, mentor_id: int) -> Mentor:
    row = await info.context.loaders.mentor.load(mentor_id)
    assert row is not None  # a request or match keeps its mentor (erasure anonymises in place)
    return Mentor.from_row(row)


async def _student(info: Info, student_id: int) -> Student:
    row = await info.context.loaders.student.load(student_id)
    assert row is not None
    return Student.from_row(row)


@strawberry.type(name="MentorRequest", description="A student's request for a mentor.")
class MentorRequestType(relay.Node):
    id: relay.NodeID[int]
    status: RequestStatus
    message: str
    reason: str | None = strawberry.field(
        description="Why it ended: the mentor's reason, 'mentor is full', expiry."
    )
    created_at: datetime
    decided_at: datetime | None
    row: strawberry.Private[models.MentorRequest]

    @classmethod
    def from_row(cls, row: models.MentorRequest) -> MentorRequestType:
        return cls(
            id=row.id,
            status=row.status,
            message=row.message,
            reason=row.reason,
            created_at=row.created_at,
            decided_at=row.decided_at,
            row=row,
        )

    @strawberry.field(description="When a pending request lapses unless answered.")
    async def expires_at(self, info: Info) -> datetime | None:
        if self.row.status is not models.RequestStatus.PENDING:
            return None
        programme = await info.context.loaders.programme.load(self.row.programme_id)
        return None if programme is None else expiry.expires_at(programme, self.row)

    @strawberry.field
    async def mentor(self, info: Info) -> Mentor:
        return await _mentor(info, self.row.mentor_id)

    @strawberry.field
    async def student(self, info: Info) -> Student:
        return await _student(info, self.row.student_id)


@strawberry.type(description="An accepted request: a mentor and a mentee.")
class Match(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime
    row: strawberry.Private[models.Match]

    @classmethod
    def from_row(cls, row: models.Match) -> Match:
        return cls(id=row.id, created_at=row.created_at, row=row)

    @strawberry.field
    async def mentor(self, info: Info) -> Mentor:
        return await _mentor(info, self.row.mentor_id)

    @strawberry.field
    async def student(self, info: Info) -> Student:
        return await _student(info, self.row.student_id)


@strawberry.type(description="The signed-in person.")
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    role: Role


@strawberry.type
class MentorEdge:
    cursor: str
    node: Mentor


@strawberry.type
class RequestEdge:
    cursor: str
    node: MentorRequestType


@strawberry.type
class MatchEdge:
    cursor: str
    node: Match


@strawberry.type(description="A page of mentors (Relay cursor connection).")
class MentorConnection:
    edges: list[MentorEdge]
    page_info: relay.PageInfo
    total_count: int


@strawberry.type(description="A page of requests (Relay cursor connection).")
class RequestConnection:
    edges: list[RequestEdge]
    page_info: relay.PageInfo
    total_count: int


@strawberry.type(description="A page of matches (Relay cursor connection).")
class MatchConnection:
    edges: list[MatchEdge]
    page_info: relay.PageInfo
    total_count: int
