"""Live updates (graphql-transport-ws), and the programme's counters for a first paint.

Each subscription checks who may ask, then listens to its programme's events under a topic
(live/topics.py) and maps each item to its schema type. How an event gets here, and which
loaders resolve it, is in live/__init__.py and live/loaders.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial

import strawberry
from strawberry.scalars import JSON

from db.models import Role
from live import topics, updates
from live.loaders import for_event
from live.sharing import SHARED_BY_ROLE
from resolvers.mentors import mentor_filter
from schema import ids
from schema.context import Context, Info
from schema.inputs import MentorFilter
from schema.live import MentorAvailabilityEvent, ProgrammeEvent, ProgrammeStats, RequestEvent
from schema.permissions import IsCoordinator
from schema.types import MentorRequestType
from services import programmes, search, stats
from services.viewer import require_role


async def _programme_id(context: Context, programme_id: strawberry.ID | None) -> int:
    key = ids.decode_optional(programme_id, "Programme")
    now = context.now()
    viewer = context.viewer
    programme = await context.uow.read(lambda s: programmes.resolve(s, viewer, key, now=now))
    return programme.id


def _event(item: topics.FeedItem) -> ProgrammeEvent:
    event = item.event
    return ProgrammeEvent(
        seq=event.seq,
        kind=event.kind,
        at=event.created_at,
        summary=item.summary,
        payload=JSON(event.payload),
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Students and coordinators: each change of availability of the mentors the filter "
            "picks (the same filter as the search), with the remaining capacity."
        ),
        metadata=SHARED_BY_ROLE,
    )
    async def mentor_availability_changed(
        self,
        info: Info,
        filter: MentorFilter | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[MentorAvailabilityEvent, None]:
        context = info.context
        viewer = search.can_search(context.viewer)
        flt = updates.normalized(mentor_filter(filter))
        await context.uow.read(lambda s: search.check_filter(s, flt))
        key = await _programme_id(context, programme_id)
        topic = topics.availability(context.uow, key)
        pick = topics.availability_pick(flt, coordinator=viewer.is_coordinator)
        async with context.listen(key, topic, pick) as listener:
            async for item in topics.live(listener):
                for_event(item.loaders, context.uow, viewer)
                yield MentorAvailabilityEvent.of(
                    item.seq,
                    item.at,
                    item.update,
                    shown=item.shown,
                    coordinator=viewer.is_coordinator,
                )

    @strawberry.subscription(
        description=(
            "Mentors: each request sent to you, withdrawn or expired. Students: the answer to "
            "your request (accepted, with the mentor's contact; rejected; closed as the mentor "
            "filled up). Both: everything that happens to your requests."
        )
    )
    async def my_request_events(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> AsyncGenerator[RequestEvent, None]:
        context = info.context
        viewer = require_role(context.viewer, Role.STUDENT, Role.MENTOR)
        key = await _programme_id(context, programme_id)
        topic = topics.requests(context.uow, key, viewer)
        async with context.listen(key, topic) as listener:
            async for item in topics.live(listener):
                for_event(item.loaders, context.uow, viewer)
                request = MentorRequestType.from_row(item.request)
                yield RequestEvent(seq=item.seq, kind=item.kind, at=item.at, request=request)

    @strawberry.subscription(
        description=(
            "Coordinators: the programme's counters, at once and again after changes "
            "(a burst of changes is sent as one update)."
        )
    )
    async def programme_stats(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> AsyncGenerator[ProgrammeStats, None]:
        context = info.context
        require_role(context.viewer, Role.COORDINATOR)
        key = await _programme_id(context, programme_id)
        interval = context.settings.stats_interval_seconds
        topic = topics.programme_stats(context.uow, context.clock, key, min_interval=interval)
        async with context.listen(key, topic) as listener:
            shared = listener.latest
            last = (
                shared
                if shared is not None and shared.seq >= listener.start
                else await topics.compute_stats(context.uow, context.clock, key)
            )
            yield ProgrammeStats.of(last)
            async for current in topics.live(listener):
                if current.seq > last.seq and not stats.same_counts(last, current):
                    last = current
                    yield ProgrammeStats.of(current)

    @strawberry.subscription(
        description=(
            "Coordinators: the programme's events in order. With `after` (the last `seq` you "
            "saw) the events since are sent first, then the live ones: no gap, no repeat."
        )
    )
    async def programme_events(
        self, info: Info, programme_id: strawberry.ID | None = None, after: int | None = None
    ) -> AsyncGenerator[ProgrammeEvent, None]:
        context = info.context
        require_role(context.viewer, Role.COORDINATOR)
        key = await _programme_id(context, programme_id)
        if after is not None:
            await context.uow.read(
                partial(updates.check_feed_position, programme_id=key, after=after)
            )
        async with (
            context.listen(key, topics.feed(context.uow, key)) as listener,
            aclosing(topics.feed_since(context.uow, listener, key, after)) as items,
        ):
            async for item in items:
                yield _event(item)


@strawberry.type
class LiveQuery:
    @strawberry.field(
        description="Coordinators: the programme's counters now (as `programmeStats` sends).",
        permission_classes=[IsCoordinator],
    )
    async def programme_stats(
        self, info: Info, programme_id: strawberry.ID | None = None
    ) -> ProgrammeStats:
        key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        value = await info.context.uow.read(
            lambda s: stats.for_coordinator(s, info.context.viewer, key, now=now)
        )
        return ProgrammeStats.of(value)
