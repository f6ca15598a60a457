"""What each subscription listens to: a topic per kind of update, whose database reads are done
once per batch of events and shared by every listener of the topic (live/fanout.py), and each
listener's own choice among the items (its search filter, judged in memory)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TypeVar

from db.models import MentorRequest
from live import updates
from live.fanout import FELL_BEHIND, FellBehind, Listener, Topic
from live.loaders import Loaders
from live.unit_of_work import UnitOfWork
from live.updates import AvailabilityUpdate, RequestEventKind
from services import search, stats
from services.errors import DomainError, ErrorCode
from services.events import EventKind, RecordedEvent
from services.search import MentorFacts, MentorFilter
from services.viewer import Viewer

T = TypeVar("T")
AVAILABILITY_CAPACITY = 20_000  # mentors whose latest change a listener may hold unread


@dataclass(frozen=True, slots=True)
class AvailabilityItem:
    seq: int
    at: datetime
    update: AvailabilityUpdate
    facts: MentorFacts | None  # None: the mentor is gone (or not in this programme)
    loaders: Loaders
    shown: bool = False  # set for each listener by its filter (see availability_pick)


@dataclass(frozen=True, slots=True)
class RequestItem:
    seq: int
    kind: RequestEventKind
    at: datetime
    request: MentorRequest
    loaders: Loaders


@dataclass(frozen=True, slots=True)
class FeedItem:
    event: RecordedEvent
    summary: str


def availability(uow: UnitOfWork, programme_id: int) -> Topic[AvailabilityItem]:
    """One topic for every filter: each batch's mentors are read once, and each listener's
    filter is judged in memory against what was read (`availability_pick`)."""

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
        loaders = Loaders.build(uow, None, shared=True)  # this batch's, for all its listeners
        return [
            AvailabilityItem(event.seq, event.created_at, update, found, loaders)
            for event, update in changes
            if (found := facts.get(update.mentor_id)) is None or found.programme_id == programme_id
        ]

    return Topic(
        key=("availability", programme_id),
        prepare=prepare,
        routes=updates.AVAILABILITY_ROUTES,
        # A listener that falls behind (its execution slowed by a burst of requests) gets each
        # mentor's latest change only, and is not ended for it: it holds one per mentor at most.
        coalesce=lambda item: item.update.mentor_id,
        merge=lambda queued, newer: replace(newer, update=newer.update.since(queued.update)),
        capacity=AVAILABILITY_CAPACITY,
    )


def availability_pick(
    flt: MentorFilter, *, coordinator: bool
) -> Callable[[AvailabilityItem], AvailabilityItem | None]:
    def pick(item: AvailabilityItem) -> AvailabilityItem | None:
        matches = item.facts is not None and search.picks(flt, item.facts)
        shown = updates.shown_to(item.update, coordinator=coordinator, flt=flt, matches=matches)
        return None if shown is None else replace(item, shown=shown)

    return pick


def requests(uow: UnitOfWork, programme_id: int, viewer: Viewer) -> Topic[RequestItem]:
    async def prepare(batch: list[RecordedEvent]) -> list[RequestItem]:
        wanted = [(e, k) for e in batch if (k := updates.request_event_kind(e, viewer.user_id))]
        if not wanted:
            return []
        request_ids = [int(e.payload["requestId"]) for e, _ in wanted]
        rows = await uow.read(lambda s: updates.requests_seen_by(s, viewer, request_ids))
        loaders = Loaders.build(uow, viewer, shared=True)  # this batch's, for the viewer's
        return [
            RequestItem(e.seq, kind, e.created_at, row, loaders)
            for e, kind in wanted
            if (row := rows.get(int(e.payload["requestId"]))) is not None
        ]

    return Topic(
        key=("requests", programme_id, viewer.user_id, viewer.role),
        prepare=prepare,
        routes=updates.request_routes(viewer.user_id),
    )


def programme_stats(
    uow: UnitOfWork, clock: Callable[[], datetime], programme_id: int, *, min_interval: float
) -> Topic[stats.ProgrammeStats]:
    async def prepare(batch: list[RecordedEvent]) -> list[stats.ProgrammeStats]:
        return [await compute_stats(uow, clock, programme_id)]

    return Topic(
        key=("stats", programme_id),
        prepare=prepare,
        coalesce=lambda _: "stats",
        min_interval=min_interval,
    )


async def compute_stats(
    uow: UnitOfWork, clock: Callable[[], datetime], programme_id: int
) -> stats.ProgrammeStats:
    now = clock()
    return await uow.read(lambda s: stats.compute(s, programme_id, now=now))


def feed(uow: UnitOfWork, programme_id: int) -> Topic[FeedItem]:
    async def prepare(batch: list[RecordedEvent]) -> list[FeedItem]:
        sentences = await uow.read(lambda s: updates.describe(s, batch))
        return [FeedItem(e, text) for e, text in zip(batch, sentences, strict=True)]

    return Topic(key=("feed", programme_id), prepare=prepare)


async def feed_since(
    uow: UnitOfWork, listener: Listener[FeedItem], programme_id: int, after: int | None
) -> AsyncGenerator[FeedItem, None]:
    """The programme's events after `after` (from the log) then the live ones, in order: no gap,
    no repeat. A listener that falls behind reads what it dropped from the log."""
    last = listener.start if after is None else after
    while True:
        # What the log holds up to where the live items begin, then those items.
        while last < listener.start:
            page = await uow.read(
                partial(updates.feed_since, programme_id=programme_id, after=last)
            )
            page = [(e, text) for e, text in page if e.seq <= listener.start]
            if not page:
                break
            for event, text in page:
                yield FeedItem(event, text)
                last = event.seq
        try:
            async for item in listener:
                if item.event.seq > last:
                    yield item
                    last = item.event.seq
            return
        except FellBehind:
            listener.resume()  # and read what was dropped from the log


async def live(listener: Listener[T]) -> AsyncIterator[T]:
    """The listener's items; falling behind ends the subscription with an error."""
    try:
        async for item in listener:
            yield item
    except FellBehind:
        raise DomainError(ErrorCode.CONFLICT, FELL_BEHIND, reason="FELL_BEHIND") from None
