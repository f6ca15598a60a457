from __future__ import annotations

import strawberry
from strawberry import relay

from schema import ids, pagination
from schema.context import Info
from schema.inputs import MentorFilter, MentorProfileInput
from schema.permissions import IsAuthenticated
from schema.types import Mentor, MentorConnection, MentorEdge
from services import mentors, search
from services.mentors import ProfileInput


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


def _profile(value: MentorProfileInput) -> ProfileInput:
    return ProfileInput(
        display_name=value.display_name,
        headline=value.headline,
        educational_background=value.educational_background,
        professional_background=value.professional_background,
        career_experience=value.career_experience,
        working_life_years=value.working_life_years,
        has_doctorate=value.has_doctorate,
        location=value.location,
        city=value.city,
        remote_ok=value.remote_ok,
        capacity=value.capacity,
        contact_email=value.contact_email,
        languages=value.languages,
        degree_levels=value.degree_levels,
        field_ids=None if value.fields is None else [ids.decode(f, "Field") for f in value.fields],
    )


@strawberry.type
class MentorQuery:
    @strawberry.field(
        description=(
            "Search mentors. Students see only listed mentors (AVAILABLE or BUSY); "
            "coordinators see everyone."
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
    ) -> MentorConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        flt = mentor_filter(filter)
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        page = await info.context.uow.read(
            lambda s: search.search(
                s, info.context.viewer, programme_key, flt, first=size, after_id=after_id, now=now
            )
        )
        if page.programme is not None:
            # Each mentor's availability needs it: no second load of the same row.
            info.context.loaders.programme.prime(page.programme.id, page.programme)
        return MentorConnection(
            edges=[
                MentorEdge(cursor=pagination.cursor(m.id), node=Mentor.from_row(m))
                for m in page.items
            ],
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=pagination.cursor(page.items[0].id) if page.items else None,
                end_cursor=pagination.cursor(page.items[-1].id) if page.items else None,
            ),
            total_count=page.total_count,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def mentor(self, info: Info, id: strawberry.ID) -> Mentor:
        mentor_id = ids.decode(id, "Mentor")
        row = await info.context.uow.read(
            lambda s: mentors.get_visible(s, info.context.viewer, mentor_id)
        )
        return Mentor.from_row(row)


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
        permission_classes=[IsAuthenticated], description="Mentors: list your profile for students."
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


async def _save(
    info: Info, value: MentorProfileInput, programme_id: strawberry.ID | None, *, create: bool
) -> Mentor:
    data = _profile(value)
    programme_key = ids.decode_optional(programme_id, "Programme")
    now = info.context.now()
    row = await info.context.uow.run(
        lambda s: mentors.save_profile(
            s, info.context.viewer, programme_key, data, create=create, now=now
        )
    )
    return Mentor.from_row(row)


async def _publish(info: Info, programme_id: strawberry.ID | None, *, published: bool) -> Mentor:
    programme_key = ids.decode_optional(programme_id, "Programme")
    now = info.context.now()
    row = await info.context.uow.run(
        lambda s: mentors.set_published(
            s, info.context.viewer, programme_key, published=published, now=now
        )
    )
    return Mentor.from_row(row)
