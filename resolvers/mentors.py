from __future__ import annotations

import strawberry

from db import models
from schema import ids, pagination
from schema.context import Info
from schema.enums import MentorOrder
from schema.inputs import MentorFilter, MentorProfileInput
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from schema.types import Mentor, MentorConnection, OnHand, ProfileGap
from services import mentor_hiding, mentors, search


def mentor_filter(value: MentorFilter | None) -> search.MentorFilter:
    if value is None:
        return search.MentorFilter()
    return search.MentorFilter(
        languages=value.languages or (),
        degree_level=value.degree_level,
        field_ids=[ids.decode(f, "Field") for f in value.fields or ()],
        has_doctorate=value.has_doctorate,
        location=value.location,
        remote_ok=value.remote_ok,
        availability=value.availability or (),
        text=value.text,
    )


@strawberry.type
class MentorQuery:
    @strawberry.field(
        description=(
            "Search mentors. Students see only listed mentors (AVAILABLE or BUSY); "
            "coordinators see everyone. `orderBy: FIT` puts the mentors who fit the student "
            "best first (each mentor's `fit` says why)."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def mentors(
        self,
        info: Info,
        filter: MentorFilter | None = None,
        first: int = 20,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
        order_by: MentorOrder = MentorOrder.JOINED,
    ) -> MentorConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        flt = mentor_filter(filter)
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        page = await read(
            info,
            search.search,
            programme_key,
            flt,
            first=size,
            after_id=after_id,
            now=now,
            order=order_by,
        )
        loaders = info.context.loaders
        for mentor_id, choices in page.choices.items():
            # Read with the page: no second read of what each card shows.
            loaders.mentor_languages.prime(mentor_id, choices.languages)
            loaders.mentor_fields.prime(mentor_id, choices.fields)
            loaders.mentor_degree_levels.prime(mentor_id, choices.degree_levels)
        # Each card's `programme` reads it: no second load of the same row.
        loaders.programme.prime(page.programme.id, page.programme)
        if page.student is not None and info.context.viewer is not None:
            # Nor a second read of the student the order was for, by each card's fit.
            key = (info.context.viewer.user_id, page.programme.id)
            loaders.student_fit.prime(key, page.student)
        limit = page.programme.mentor_pending_limit

        def card(row: models.MentorProfile) -> Mentor:
            return Mentor.from_row(row, OnHand(page.choices[row.id], limit))

        return MentorConnection.of(
            page.items,
            card,
            total_count=page.total_count,
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            seq=page.seq,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def mentor(self, info: Info, id: strawberry.ID) -> Mentor:
        mentor_id = ids.decode(id, "Mentor")
        row = await read(info, mentors.get_visible, mentor_id)
        return Mentor.from_row(row)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description=(
            "Mentors: check your profile's input without saving it. Input that saving would "
            "refuse is refused the same way; otherwise, what publishing would still need."
        ),
    )
    async def check_mentor_profile(
        self, info: Info, input: MentorProfileInput, programme_id: strawberry.ID | None = None
    ) -> list[ProfileGap]:
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        gaps = await read(info, mentors.check_profile, programme_key, input.to_service(), now=now)
        return [ProfileGap(field=gap.field, message=gap.sentence) for gap in gaps]


@strawberry.type
class MentorMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors: create your profile during mentor sign-up.",
    )
    async def create_mentor_profile(
        self, info: Info, input: MentorProfileInput, programme_id: strawberry.ID | None = None
    ) -> Mentor:
        return await _save(info, input, programme_id, create=True)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Mentors: change your profile."
    )
    async def update_mentor_profile(
        self, info: Info, input: MentorProfileInput, programme_id: strawberry.ID | None = None
    ) -> Mentor:
        return await _save(info, input, programme_id, create=False)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Mentors: list your profile for students. Where the programme has coordinators "
            "check mentors first, an unchecked profile is refused (IDENTITY_NOT_VERIFIED)."
        ),
    )
    async def publish_mentor_profile(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> Mentor:
        return await _publish(info, programme_id, published=True)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mentors: take your profile off the list; waiting requests are answered.",
    )
    async def withdraw_mentor_profile(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> Mentor:
        return await _publish(info, programme_id, published=False)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: take a mentor off the students' list, with the reason the mentor is "
            "told by email. Waiting requests are declined as when a mentor withdraws (each "
            "student reads 'The mentor is no longer available in the programme.' and may ask "
            "someone else); accepted mentees stay. The mentor cannot publish again "
            "(MENTOR_HIDDEN_BY_COORDINATOR) until unhideMentor; MENTOR_ALREADY_HIDDEN if "
            "hidden already."
        ),
    )
    async def hide_mentor(self, info: Info, mentor_id: strawberry.ID, reason: str) -> Mentor:
        key = ids.decode(mentor_id, "Mentor")
        now = info.context.now()
        row = await run(info, mentor_hiding.hide, key, reason, now=now)
        return Mentor.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: let a mentor you hid publish again (they are told by email). It "
            "does not publish the profile: the mentor does, while mentor sign-up is open."
        ),
    )
    async def unhide_mentor(self, info: Info, mentor_id: strawberry.ID) -> Mentor:
        key = ids.decode(mentor_id, "Mentor")
        now = info.context.now()
        row = await run(info, mentor_hiding.unhide, key, now=now)
        return Mentor.from_row(row)


async def _save(
    info: Info, value: MentorProfileInput, programme_id: strawberry.ID | None, *, create: bool
) -> Mentor:
    data = value.to_service()
    programme_key = ids.decode_optional(programme_id, "Programme")
    now = info.context.now()
    row = await run(info, mentors.save_profile, programme_key, data, create=create, now=now)
    return Mentor.from_row(row)


async def _publish(info: Info, programme_id: strawberry.ID | None, *, published: bool) -> Mentor:
    programme_key = ids.decode_optional(programme_id, "Programme")
    now = info.context.now()
    row = await run(
        info,
        mentors.set_published,
        programme_key,
        published=published,
        now=now,
        unverified_may_publish=info.context.settings.unverified_mentors_may_publish,
    )
    return Mentor.from_row(row)
