from __future__ import annotations

import strawberry

from schema import ids, pagination
from schema.context import Info
from schema.identity_checks import RegisterCheck, UnverifiedMentor, UnverifiedMentorConnection
from schema.permissions import IsCoordinator
from schema.running import read, run
from schema.types import Mentor
from services import identity_checks


@strawberry.type
class IdentityCheckQuery:
    @strawberry.field(
        description=(
            "Coordinators: the programme's mentors whose identity is not yet checked, in the "
            "order they signed up."
        ),
        permission_classes=[IsCoordinator],
    )
    async def unverified_mentors(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> UnverifiedMentorConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await read(
            info,
            identity_checks.unverified,
            programme_key,
            first=size,
            after_id=after_id,
            now=now,
        )
        return UnverifiedMentorConnection.of(
            rows,
            UnverifiedMentor.from_row,
            total_count=total,
            has_next_page=has_next,
            has_previous_page=after_id is not None,
        )


@strawberry.type
class IdentityCheckMutation:
    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: check the programme's mentors against the alumni register's CSV "
            "export (columns name, date of birth (2026-01-31 or 31.1.2026), and optionally "
            "degree; commas or semicolons). A mentor whose name and date of birth are on a "
            "line is verified and their date of birth cleared; near misses are reported, "
            "never a date. A file that is not the register's is refused with its line number "
            "and changes nothing. The register is not kept."
        ),
    )
    async def import_alumni_register(
        self, info: Info, csv: str, programme_id: strawberry.ID | None = None
    ) -> RegisterCheck:
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        row = await run(info, identity_checks.import_register, programme_key, text=csv, now=now)
        return RegisterCheck.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: confirm a mentor's identity by hand (checked some other way); "
            "their date of birth is cleared. A mentor verified already stays as they are."
        ),
    )
    async def confirm_mentor_identity(self, info: Info, mentor_id: strawberry.ID) -> Mentor:
        key = ids.decode(mentor_id, "Mentor")
        now = info.context.now()
        row = await run(info, identity_checks.confirm, key, now=now)
        return Mentor.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: take back a mentor's verification (a mistake). A published profile "
            "stays listed: hideMentor takes it off the list."
        ),
    )
    async def unconfirm_mentor_identity(self, info: Info, mentor_id: strawberry.ID) -> Mentor:
        key = ids.decode(mentor_id, "Mentor")
        now = info.context.now()
        row = await run(info, identity_checks.unconfirm, key, now=now)
        return Mentor.from_row(row)
