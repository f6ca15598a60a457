"""Live updates (graphql-transport-ws), and the programme's counters for a first paint.

Each subscription checks who may ask, then listens to its programme's events through the event
hub (app/events.py) under a topic: the database reads per batch of events are done once per
topic and shared by its listeners (availability: one topic per programme, each listener's
filter judged in memory). Subscribers alike also share one execution of their selection set
(app/shared_subscriptions.py). Each event is resolved with fresh loaders and short sessions,
never with the connection's."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TypeVar

import strawberry
from strawberry.scalars import JSON

from app.clock import Clock
from app.fanout import FELL_BEHIND, FellBehind, Listener, Topic
from app.unit_of_work import UnitOfWork
from db.models import Role
from resolvers.mentors import mentor_filter
from schema import ids
from schema.context import Context, Info, Loaders
from schema.inputs import MentorFilter
from schema.live import MentorAvailabilityEvent, ProgrammeEvent, ProgrammeStats, RequestEvent
from schema.permissions import IsCoordinator
from schema.sharing import SHARED_BY_ROLE
from schema.types import MentorRequestType
from services import live, programmes, search, stats
from services.errors import DomainError, ErrorCode
from services.events import EventKind, RecordedEvent
from services.live import AvailabilityUpdate, RequestEventKind
from services.search import MentorFacts
from services.search import MentorFilter as SearchFilter
from services.viewer import Viewer, require_role

T = TypeVar("T")
AVAILABILITY_CAPACITY = 20_000  # mentors whose latest change a listener may hold unread


@dataclass(frozen=True, slots=True)
class AvailabilityItem:
    seq: int
    at: datetime
    update: AvailabilityUpdate
    facts: MentorFacts | None  # None: the mentor is gone (or not in this programme)
    loaders: Loaders
    shown: bool = False  # set for each listener by its filter (see _availability_pick)


@dataclass(frozen=True, slots=True)
class RequestItem:
    seq: int
    kind: RequestEventKind
    at: datetime
    request: MentorRequestType
    loaders: Loaders


@dataclass(frozen=True, slots=True)
class FeedItem:
    event: RecordedEvent
    summary: str


def _availability_topic(context: Context, programme_id: int) -> Topic[AvailabilityItem]:
    """One topic for every filter: each batch's mentors are read once, and each listener's
    filter is judged in memory against what was read (`_availability_pick`)."""
    uow = context.uow

    async def prepare(batch: list[RecordedEvent]) -> list[AvailabilityItem]:
        changes = [
            (e, AvailabilityUpdate.of(e))
            for e in batch
            if e.kind == EventKind.MENTOR_AVAILABILITY_CHANGED
        ]
        if not changes:
            return []
        mentor_ids = [update.mentor_id for _, update in changes]
        facts = await uow.read(lambda s: search.mentor_facts(s, mentor_ids))
        loaders = Loaders.build(uow, None)  # fresh for this batch, shared by its subscribers
        return [
            AvailabilityItem(event.seq, event.created_at, update, found, loaders)
            for event, update in changes
            if (found := facts.get(update.mentor_id)) is None or found.programme_id == programme_id
        ]

    return Topic(
        key=("availability", programme_id),
        prepare=prepare,
        routes=live.AVAILABILITY_ROUTES,
        # A listener that falls behind (its execution slowed by a burst of requests) gets each
        # mentor's latest change only, and is not ended for it: it holds one per mentor at most.
        coalesce=lambda item: item.update.mentor_id,
        merge=lambda queued, newer: replace(newer, update=newer.update.since(queued.update)),
        capacity=AVAILABILITY_CAPACITY,
    )


def _availability_pick(
    flt: SearchFilter, *, coordinator: bool
) -> Callable[[AvailabilityItem], AvailabilityItem | None]:
    def pick(item: AvailabilityItem) -> AvailabilityItem | None:
        matches = item.facts is not None and search.picks(flt, item.facts)
        shown = live.shown_to(item.update, coordinator=coordinator, flt=flt, matches=matches)
        return None if shown is None else replace(item, shown=shown)

    return pick


def _requests_topic(context: Context, programme_id: int, viewer: Viewer) -> Topic[RequestItem]:
    uow = context.uow

    async def prepare(batch: list[RecordedEvent]) -> list[RequestItem]:
        wanted = [(e, k) for e in batch if (k := live.request_event_kind(e, viewer.user_id))]
        if not wanted:
            return []
        request_ids = [int(e.payload["requestId"]) for e, _ in wanted]
        rows = await uow.read(lambda s: live.requests_seen_by(s, viewer, request_ids))
        loaders = Loaders.build(uow, viewer)  # fresh for this batch
        return [
            RequestItem(e.seq, kind, e.created_at, MentorRequestType.from_row(row), loaders)
            for e, kind in wanted
            if (row := rows.get(int(e.payload["requestId"]))) is not None
        ]

    return Topic(
        key=("requests", programme_id, viewer.user_id, viewer.role),
        prepare=prepare,
        routes=live.request_routes(viewer.user_id),
    )


def _stats_topic(context: Context, programme_id: int) -> Topic[stats.ProgrammeStats]:
    uow, clock = context.uow, context.clock

    async def prepare(batch: list[RecordedEvent]) -> list[stats.ProgrammeStats]:
        return [await _compute_stats(uow, clock, programme_id)]

    return Topic(
        key=("stats", programme_id),
        prepare=prepare,
        coalesce=lambda _: "stats",
        min_interval=context.settings.stats_interval_seconds,
    )


def _feed_topic(context: Context, programme_id: int) -> Topic[FeedItem]:
    uow = context.uow

    async def prepare(batch: list[RecordedEvent]) -> list[FeedItem]:
        sentences = await uow.read(lambda s: live.describe(s, batch))
        return [FeedItem(e, text) for e, text in zip(batch, sentences, strict=True)]

    return Topic(key=("feed", programme_id), prepare=prepare)


async def _compute_stats(uow: UnitOfWork, clock: Clock, programme_id: int) -> stats.ProgrammeStats:
    now = clock()
    return await uow.read(lambda s: stats.compute(s, programme_id, now=now))


async def _programme_id(context: Context, programme_id: strawberry.ID | None) -> int:
    key = ids.decode_optional(programme_id, "Programme")
    now = context.now()
    programme = await context.uow.read(lambda s: programmes.resolve(s, key, now=now))
    return programme.id


async def _live(listener: Listener[T]) -> AsyncIterator[T]:
    try:
        async for item in listener:
            yield item
    except FellBehind:
        raise DomainError(ErrorCode.CONFLICT, FELL_BEHIND, reason="FELL_BEHIND") from None


def _event(item: FeedItem) -> ProgrammeEvent:
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
        flt = live.normalized(mentor_filter(filter))
        await context.uow.read(lambda s: search.check_filter(s, flt))
        key = await _programme_id(context, programme_id)
        topic = _availability_topic(context, key)
        pick = _availability_pick(flt, coordinator=viewer.is_coordinator)
        async with context.listen(key, topic, pick) as listener:
            async for item in _live(listener):
                context.use_event_loaders(item.loaders.for_viewer(context.uow, viewer))
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
        async with context.listen(key, _requests_topic(context, key, viewer)) as listener:
            async for item in _live(listener):
                context.use_event_loaders(item.loaders)
                yield RequestEvent(seq=item.seq, kind=item.kind, at=item.at, request=item.request)

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
        async with context.listen(key, _stats_topic(context, key)) as listener:
            shared = listener.latest
            last = (
                shared
                if shared is not None and shared.seq >= listener.start
                else await _compute_stats(context.uow, context.clock, key)
            )
            yield ProgrammeStats.of(last)
            async for current in _live(listener):
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
        async with context.listen(key, _feed_topic(context, key)) as listener:
            last = listener.start if after is None else after
            while True:
                # What the log holds up to where the live items begin, then those items.
                while last < listener.start:
                    page = await context.uow.read(
                        partial(live.feed_since, programme_id=key, after=last)
                    )
                    page = [(e, text) for e, text in page if e.seq <= listener.start]
                    if not page:
                        break
                    for event, text in page:
                        yield _event(FeedItem(event, text))
                        last = event.seq
                try:
                    async for item in listener:
                        if item.event.seq > last:
                            yield _event(item)
                            last = item.event.seq
                    return
                except FellBehind:
                    listener.resume()  # and read what was dropped from the log


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
