"""Types of the identity checks (services/identity_checks.py): what loading the alumni register
did, and the mentors still waiting for the check. No date is part of any of them (rule 2)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from schema import ids
from schema.pagination import Connection
from schema.types import Mentor
from services import alumni_register, identity_checks


@strawberry.type(description="A mentor the alumni register verified.")
class RegisterVerified:
    mentor: Mentor
    register_name: str = strawberry.field(description="The name as the register writes it.")
    degree: str | None = strawberry.field(
        description="The degree the register gives, if its file has a degree column."
    )
    line: int = strawberry.field(description="The register's line, counted from 1.")

    @classmethod
    def from_row(cls, row: identity_checks.Verified) -> RegisterVerified:
        return cls(
            mentor=Mentor.from_row(row.mentor),
            register_name=row.entry.name,
            degree=row.entry.degree,
            line=row.entry.line,
        )


@strawberry.type(
    description=(
        "A mentor the register nearly verified: the date of birth matches and the name is "
        "alike, or the name matches and the date of birth does not. Which dates, it never says."
    )
)
class RegisterNearMiss:
    mentor: Mentor
    reason: str
    lines: list[int] = strawberry.field(description="The register's lines it compared.")

    @classmethod
    def from_row(cls, row: identity_checks.NearMiss) -> RegisterNearMiss:
        return cls(mentor=Mentor.from_row(row.mentor), reason=row.reason, lines=row.lines)


@strawberry.type(description="A line of a file that could not be read, and why.")
class UnreadableLine:
    line: int
    message: str

    @classmethod
    def from_row(cls, row: alumni_register.Unreadable) -> UnreadableLine:
        return cls(line=row.line, message=row.message)


@strawberry.type(
    description=(
        "What loading the alumni register did. Mentors found by name and date of birth are "
        "verified and their date of birth cleared; the register itself is not kept."
    )
)
class RegisterCheck:
    rows_read: int = strawberry.field(description="The people the file lists, read or not.")
    verified_count: int
    near_miss_count: int
    unmatched_rows: int = strawberry.field(
        description="Lines read that name no mentor waiting for the check."
    )
    unreadable_count: int
    verified: list[RegisterVerified]
    near_misses: list[RegisterNearMiss] = strawberry.field(
        description="For a coordinator to look at, and to confirm by hand if right."
    )
    unreadable: list[UnreadableLine] = strawberry.field(
        description=f"The first {identity_checks.LISTED_UNREADABLE} lines that could not be read."
    )
    summary: str

    @classmethod
    def from_row(cls, row: identity_checks.RegisterCheck) -> RegisterCheck:
        return cls(
            rows_read=row.rows_read,
            verified_count=len(row.verified),
            near_miss_count=len(row.near_misses),
            unmatched_rows=row.unmatched_rows,
            unreadable_count=row.unreadable_count,
            verified=[RegisterVerified.from_row(v) for v in row.verified],
            near_misses=[RegisterNearMiss.from_row(n) for n in row.near_misses],
            unreadable=[UnreadableLine.from_row(u) for u in row.unreadable],
            summary=row.summary(),
        )


@strawberry.type(description="A mentor whose identity is not yet checked.")
class UnverifiedMentor:
    id: strawberry.ID = strawberry.field(description="The mentor's id.")
    person_id: strawberry.ID = strawberry.field(description="The mentor's User id.")
    signed_up_at: datetime = strawberry.field(description="When they created their profile.")
    mentor: Mentor

    @classmethod
    def from_row(cls, row: models.MentorProfile) -> UnverifiedMentor:
        return cls(
            id=ids.encode("Mentor", row.id),
            person_id=ids.encode("User", row.user_id),
            signed_up_at=row.created_at,
            mentor=Mentor.from_row(row),
        )


@strawberry.type(description="A page of mentors not yet verified (Relay cursor connection).")
class UnverifiedMentorConnection(Connection[UnverifiedMentor]):
    pass
