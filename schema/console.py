"""Types of the coordinator's console: people found by name, what a change or an erasure would
do before it is made, and what a catalogue file did."""

from __future__ import annotations

import strawberry

from schema import ids
from schema.context import Info
from schema.enums import Role
from schema.pagination import Connection
from schema.types import Mentor, Programme, Student
from services import catalogue_files, erasure_preview, people, programme_changes

strawberry.enum(
    catalogue_files.CatalogueList,
    name="CatalogueList",
    description="LANGUAGES: columns code,name. FIELDS: columns school,field and optionally id.",
)


@strawberry.type(
    description=(
        "A mentor or a student of a programme, as coordinators look them up. Contact details "
        "stay where the API keeps them (rule 3); a date of birth is never part of it."
    )
)
class Person:
    id: strawberry.ID = strawberry.field(description="The person's User id (erasePerson takes it).")
    display_name: str
    role: Role
    erased: bool
    mentor: Mentor | None = strawberry.field(description="Their mentor profile, if a mentor.")
    student: Student | None = strawberry.field(description="Their student profile, if a student.")

    @classmethod
    def from_row(cls, row: people.Person) -> Person:
        return cls(
            id=ids.encode("User", row.user_id),
            display_name=row.display_name,
            role=row.role,
            erased=row.erased,
            mentor=Mentor.from_row(row.mentor) if row.mentor is not None else None,
            student=Student.from_row(row.student) if row.student is not None else None,
        )


@strawberry.type(description="A page of people (Relay cursor connection).")
class PersonConnection(Connection[Person]):
    pass


@strawberry.type(
    description=(
        "What erasing a person would do, counted now: their profiles and everything that "
        "names them become anonymous records."
    )
)
class ErasurePreview:
    person_id: strawberry.ID
    already_erased: bool
    pending_requests_to_them: int = strawberry.field(
        description=(
            "Requests waiting on them as a mentor: declined as 'The mentor left the "
            "programme.', each student released at once and told by email."
        )
    )
    pending_requests_from_them: int = strawberry.field(
        description="Requests they sent as a student, still waiting: withdrawn."
    )
    requests: int = strawberry.field(
        description="Their requests, answered or not: kept for the counts, messages emptied."
    )
    matches: int = strawberry.field(
        description=(
            "Their matches: kept as anonymous records (the other side keeps the match); the "
            "pair's meeting notes are emptied."
        )
    )
    meetings_with_notes: int
    programme_ids: strawberry.Private[list[int]]

    @classmethod
    def from_row(cls, row: erasure_preview.ErasurePreview) -> ErasurePreview:
        return cls(
            person_id=ids.encode("User", row.user_id),
            already_erased=row.already_erased,
            pending_requests_to_them=row.pending_to_them,
            pending_requests_from_them=row.pending_from_them,
            requests=row.requests,
            matches=row.matches,
            meetings_with_notes=row.meetings_with_notes,
            programme_ids=row.programme_ids,
        )

    @strawberry.field(description="The programmes they have a profile in.")
    async def programmes(self, info: Info) -> list[Programme]:
        rows = await info.context.loaders.programme.load_many(self.programme_ids)
        now = info.context.now()
        return [Programme.from_row(row, now) for row in rows if row is not None]


@strawberry.type(description="What a change of dates or limits would do to people waiting.")
class ProgrammeChangeImpact:
    pending_requests: int = strawberry.field(description="Requests waiting for an answer now.")
    request_window_closes: bool = strawberry.field(
        description="Student requests are open now and would be closed."
    )
    students_over_limit: int
    mentors_over_limit: int
    mentors_made_busy: int = strawberry.field(
        description="Available mentors who would become BUSY at once."
    )
    requests_lapsing: int = strawberry.field(
        description="Pending requests older than the new expiry time: they lapse at once."
    )
    warnings: list[str] = strawberry.field(
        description="Each effect on people waiting, in a sentence; empty when there is none."
    )

    @classmethod
    def from_row(cls, row: programme_changes.Impact) -> ProgrammeChangeImpact:
        return cls(
            pending_requests=row.pending_requests,
            request_window_closes=row.request_window_closes,
            students_over_limit=row.students_over_limit,
            mentors_over_limit=row.mentors_over_limit,
            mentors_made_busy=row.mentors_made_busy,
            requests_lapsing=row.requests_lapsing,
            warnings=row.warnings,
        )


@strawberry.type(description="What a catalogue file changed, a sentence a change.")
class CatalogueImport:
    added: list[str]
    changed: list[str]
    unchanged: int
    summary: str

    @classmethod
    def from_row(cls, row: catalogue_files.Loaded) -> CatalogueImport:
        return cls(
            added=row.added, changed=row.changed, unchanged=row.unchanged, summary=row.summary()
        )
