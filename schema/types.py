"""The GraphQL object types. Nested fields load through the context's DataLoaders, so a page of
results costs a constant number of statements."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime
from typing import NamedTuple

import strawberry
from strawberry import relay

from db import models
from live.sharing import PER_VIEWER
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
from schema.pagination import Connection, Edge
from schema.running import read
from services import (
    catalogue,
    expiry,
    fit,
    identity_checks,
    loader_reads,
    mentor_hiding,
    personal_data,
    programmes,
    students,
)
from services.availability import MentorState


@strawberry.type(description="A language someone mentors or studies in (ISO 639-1 code).")
class Language:
    code: str
    name: str
    retired: bool = strawberry.field(
        description="No longer offered for new choices; kept on the profiles that have it."
    )

    @classmethod
    def from_row(cls, row: models.Language | catalogue.LanguageChoice) -> Language:
        return cls(code=row.code, name=row.name, retired=row.retired)


@strawberry.type(description="A field of study, in a school of the university.")
class Field(relay.Node):
    id: relay.NodeID[int]
    name: str
    school: str
    retired: bool = strawberry.field(
        description="No longer offered for new choices; kept on the profiles that have it."
    )

    @classmethod
    def from_row(cls, row: models.Field | catalogue.FieldChoice) -> Field:
        return cls(id=row.id, name=row.name, school=row.school, retired=row.retired)


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
    today: date = strawberry.field(
        description=(
            "Today's date in the programme's time zone, by the server's clock (pages count "
            "days from it, not from the browser's clock)."
        )
    )

    @strawberry.field(
        description=(
            "The day the dates of birth mentors gave for the identity checks are cleared "
            "(they are never shown); null while mentor sign-up has no dates."
        )
    )
    def identity_dates_cleared_on(self, info: Info) -> date | None:
        days = info.context.settings.date_of_birth_retention_days
        signup = next((p for p in self.phases if p.phase is models.Phase.MENTOR_SIGNUP), None)
        return None if signup is None else personal_data.cleared_on(signup.closes_on, days)

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
            today=programmes.local_date(row, now),
        )


@strawberry.type(description="How well a mentor fits the student who asks, and why.")
class MentorFit:
    score: int = strawberry.field(
        description="Higher fits better: the order of `mentors(orderBy: FIT)`, nothing more."
    )
    reasons: list[str] = strawberry.field(
        description="A few words each, the strongest first (e.g. 'same field: Data Science')."
    )
    takes_your_degree_level: bool = strawberry.field(
        description="False: this mentor does not take students at your degree level (rule 4)."
    )


class OnHand(NamedTuple):
    """What a page of mentors read with each mentor (services/search.py)."""

    choices: loader_reads.MentorChoices
    pending_limit: int


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
    on_hand: strawberry.Private[OnHand | None] = None

    @classmethod
    def from_row(cls, row: models.MentorProfile, on_hand: OnHand | None = None) -> Mentor:
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
            on_hand=on_hand,
        )

    @strawberry.field(
        description="True once the mentor's data was erased: the profile stays as an anonymous "
        "record, with no name or contact details left."
    )
    async def erased(self, info: Info) -> bool:
        user = await info.context.loaders.user.load(self.row.user_id)
        return user is None or user.erased_at is not None

    @strawberry.field(description="How many more mentees this mentor can accept.")
    def remaining_capacity(self) -> int:
        return MentorState.of(self.row).remaining

    # Read with a page of mentors (`on_hand`), these are served as they are; otherwise, loaded.
    @strawberry.field(graphql_type=Availability)
    def availability(self, info: Info) -> Availability | Awaitable[Availability]:
        if self.on_hand is not None:
            return MentorState.of(self.row).availability(self.on_hand.pending_limit)
        return self._availability(info)

    async def _availability(self, info: Info) -> Availability:
        programme = await info.context.loaders.programme.load(self.row.programme_id)
        assert programme is not None
        return MentorState.of(self.row).availability(programme.mentor_pending_limit)

    @strawberry.field(
        description="Languages the mentor is willing to mentor in.", graphql_type=list[Language]
    )
    def languages(self, info: Info) -> list[Language] | Awaitable[list[Language]]:
        if self.on_hand is not None:
            return [Language.from_row(r) for r in self.on_hand.choices.languages]
        return self._languages(info)

    async def _languages(self, info: Info) -> list[Language]:
        rows = await info.context.loaders.mentor_languages.load(self.row.id)
        return [Language.from_row(r) for r in rows]

    @strawberry.field(description="Fields of study the mentor suits.", graphql_type=list[Field])
    def fields(self, info: Info) -> list[Field] | Awaitable[list[Field]]:
        if self.on_hand is not None:
            return [Field.from_row(r) for r in self.on_hand.choices.fields]
        return self._fields(info)

    async def _fields(self, info: Info) -> list[Field]:
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

    @strawberry.field(
        description=(
            "For the mentor themself: whether a date of birth is on file for the identity "
            "checks. Its value is never shown, not even to them; null for anyone else."
        ),
        metadata=PER_VIEWER,
    )
    def identity_date_held(self, info: Info) -> bool | None:
        return personal_data.date_of_birth_held(info.context.viewer, self.row)

    @strawberry.field(
        description=(
            "Whether the mentor's identity is checked: found in the alumni register by name "
            "and date of birth, or confirmed by a coordinator. Only the mentor and "
            "coordinators see it; null for anyone else."
        ),
        metadata=PER_VIEWER,
    )
    def identity_verified(self, info: Info) -> bool | None:
        return identity_checks.verified_for(info.context.viewer, self.row)

    @strawberry.field(
        description="For a student with a profile in the mentor's programme: how well the "
        "mentor fits them, and why; null for anyone else.",
        metadata=PER_VIEWER,
    )
    async def fit(self, info: Info) -> MentorFit | None:
        loaders = info.context.loaders
        if info.context.viewer is None:
            return None
        student = await loaders.student_fit.load(
            (info.context.viewer.user_id, self.row.programme_id)
        )
        if student is None:
            return None
        found = fit.fit(
            student,
            fit.MentorSide(
                fields=await loaders.mentor_fields.load(self.row.id),
                languages=await loaders.mentor_languages.load(self.row.id),
                degree_levels=await loaders.mentor_degree_levels.load(self.row.id),
                has_doctorate=self.row.has_doctorate,
                location=self.row.location,
                remote_ok=self.row.remote_ok,
            ),
        )
        return MentorFit(
            score=found.score,
            reasons=list(found.reasons),
            takes_your_degree_level=found.takes_degree_level,
        )

    @strawberry.field
    async def programme(self, info: Info) -> Programme:
        row = await info.context.loaders.programme.load(self.row.programme_id)
        assert row is not None
        return Programme.from_row(row, info.context.now())

    @strawberry.field(
        description=(
            "Set while a coordinator keeps the mentor off the students' list (hideMentor): "
            "the mentor cannot publish until a coordinator lets them (unhideMentor). Only the "
            "mentor and coordinators see it; null for anyone else."
        ),
        metadata=PER_VIEWER,
    )
    def hidden_by_coordinator(self, info: Info) -> HiddenByCoordinator | None:
        row = self.row
        if row.hidden_by_coordinator_at is None:
            return None
        if not mentor_hiding.sees_hiding(info.context.viewer, row):
            return None
        return HiddenByCoordinator(
            hidden_at=row.hidden_by_coordinator_at, reason=row.hidden_reason or ""
        )


@strawberry.type(description="A coordinator took the mentor off the students' list.")
class HiddenByCoordinator:
    hidden_at: datetime
    reason: str = strawberry.field(description="Why, as the mentor was told it by email.")


@strawberry.type(description="Something a mentor profile needs before it is published.")
class ProfileGap:
    field: str = strawberry.field(
        description="The input that gives it, named as an INVALID_INPUT error names it."
    )
    message: str


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

    @strawberry.field(
        description="True once the student's data was erased: the profile stays as an anonymous "
        "record, with no name or contact details left."
    )
    async def erased(self, info: Info) -> bool:
        user = await info.context.loaders.user.load(self.row.user_id)
        return user is None or user.erased_at is not None

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
        description="Why the degree level cannot change now (a request waits, or matched); "
        "null when it can."
    )
    def degree_level_fixed(self) -> str | None:
        return students.degree_level_fixed(self.row)

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
    role: Role = strawberry.field(
        description=(
            "The role this request acts in: the X-Mentori-Role header's (or connection_init's "
            "`role`), else your default one."
        )
    )
    roles: list[Role] = strawberry.field(
        description="Every role you hold in Mentori (a person may hold several)."
    )

    @strawberry.field(
        description=(
            "The programme your queries, mutations and subscriptions use when they name none; "
            "null while no programme is set up."
        ),
        metadata=PER_VIEWER,
    )
    async def programme(self, info: Info) -> Programme | None:
        now = info.context.now()
        row = await read(info, programmes.own, now=now)
        return Programme.from_row(row, now) if row else None

    @strawberry.field(
        description=(
            "The programmes you have a mentor's or a student's profile in, the earliest first "
            "(pass one's id as `programmeId` to act in it)."
        ),
        metadata=PER_VIEWER,
    )
    async def programmes(self, info: Info) -> list[Programme]:
        now = info.context.now()
        rows = await read(info, programmes.of_viewer)
        return [Programme.from_row(row, now) for row in rows]


@strawberry.type(description="A page of mentors (Relay cursor connection).")
class MentorConnection(Connection[Mentor]):
    seq: int = strawberry.field(
        description=(
            "The page reflects every event of the programme up to this one: a live update "
            "(`mentorAvailabilityChanged`) with a higher `seq` is newer than the page, one "
            "with this `seq` or lower is not."
        )
    )


@strawberry.type
class RequestEdge(Edge[MentorRequestType]):
    pass  # named for the list, not MentorRequestEdge


@strawberry.type(description="A page of requests (Relay cursor connection).")
class RequestConnection(Connection[MentorRequestType]):
    edges: Sequence[RequestEdge]


@strawberry.type(description="A page of matches (Relay cursor connection).")
class MatchConnection(Connection[Match]):
    pass


@strawberry.type(description="A page of students (Relay cursor connection).")
class StudentConnection(Connection[Student]):
    pass
