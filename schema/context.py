"""The typed GraphQL context: who is asking, the unit of work, and per-request DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from app.clock import Clock
from app.events import EventHub
from app.fanout import Listener, Topic
from app.settings import Settings
from app.unit_of_work import UnitOfWork
from db.models import DegreeLevel, Field, Language, Match, MentorProfile, Programme, StudentProfile
from services import batch, privacy
from services.privacy import Counterparts
from services.viewer import Viewer

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _loader(
    uow: UnitOfWork, load: Callable[[AsyncSession, Sequence[K]], Awaitable[list[V]]]
) -> DataLoader[K, V]:
    async def load_many(keys: list[K]) -> list[V]:
        return await uow.read(lambda session: load(session, keys))

    return DataLoader(load_fn=load_many)


@dataclass
class Loaders:
    """Built fresh for each HTTP request and for each subscription event, never kept longer."""

    mentor: DataLoader[int, MentorProfile | None]
    student: DataLoader[int, StudentProfile | None]
    programme: DataLoader[int, Programme | None]
    field: DataLoader[int, Field | None]
    mentor_languages: DataLoader[int, list[Language]]
    mentor_fields: DataLoader[int, list[Field]]
    mentor_degree_levels: DataLoader[int, list[DegreeLevel]]
    student_languages: DataLoader[int, list[Language]]
    match_of_request: DataLoader[int, Match | None]
    counterparts: DataLoader[int, Counterparts]

    @classmethod
    def build(cls, uow: UnitOfWork, viewer: Viewer | None) -> Loaders:
        return cls(
            mentor=_loader(uow, batch.mentors),
            student=_loader(uow, batch.students),
            programme=_loader(uow, batch.programmes),
            field=_loader(uow, batch.fields),
            mentor_languages=_loader(uow, batch.mentor_languages),
            mentor_fields=_loader(uow, batch.mentor_fields),
            mentor_degree_levels=_loader(uow, batch.mentor_degree_levels),
            student_languages=_loader(uow, batch.student_languages),
            match_of_request=_loader(uow, batch.matches_of_requests),
            counterparts=_counterparts_loader(uow, viewer),
        )

    def for_viewer(self, uow: UnitOfWork, viewer: Viewer | None) -> Loaders:
        """These loaders' reads (shared by a subscription event's alike subscribers), with the
        viewer's own view of contact details."""
        return replace(self, counterparts=_counterparts_loader(uow, viewer))


def _counterparts_loader(uow: UnitOfWork, viewer: Viewer | None) -> DataLoader[int, Counterparts]:
    async def load_counterparts(keys: list[int]) -> list[Counterparts]:
        found = await uow.read(lambda session: privacy.counterparts(session, viewer))
        return [found for _ in keys]

    return DataLoader(load_fn=load_counterparts)


# The loaders of the subscription event this task is resolving: set for each event, so nothing
# read for one event (or for the connection) is served to the next.
_event_loaders: ContextVar[Loaders | None] = ContextVar("mentori_event_loaders", default=None)


@dataclass(slots=True)  # one per WebSocket connection, thousands at once: no __dict__
class Context:
    settings: Settings
    uow: UnitOfWork
    hub: EventHub
    clock: Clock
    viewer: Viewer | None
    viewer_expires_at: datetime | None = None
    auth_error: str | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    # How many subscribers this context's subscription serves (more when shared, see
    # app/shared_subscriptions.py); counted while it listens.
    subscribers: Callable[[], int] | None = None
    # Built on first use: a WebSocket connection that only subscribes never needs its own.
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def loaders(self) -> Loaders:
        """This request's loaders; while a subscription event is resolved, that event's own."""
        event_loaders = _event_loaders.get()
        if event_loaders is not None:
            return event_loaders
        if self._loaders is None:
            self._loaders = Loaders.build(self.uow, self.viewer)
        return self._loaders

    def listen(
        self, programme_id: int, topic: Topic[T], pick: Callable[[T], T | None] | None = None
    ) -> AbstractAsyncContextManager[Listener[T]]:
        """Listen to a programme's events for this context's subscribers."""
        return self.hub.listen(programme_id, topic, pick, subscribers=self.subscribers)

    def use_event_loaders(self, loaders: Loaders) -> None:
        """Resolve the subscription event about to be yielded (by this task) with these."""
        _event_loaders.set(loaders)

    def fresh_loaders(self) -> Loaders:
        return Loaders.build(self.uow, self.viewer)

    def now(self) -> datetime:
        return self.clock()


Info: TypeAlias = StrawberryInfo[Context, None]


class FreshLoaders(SchemaExtension):
    """A WebSocket connection keeps one context for its whole life; each query or mutation sent
    over it gets loaders of its own, so it never reads what an earlier operation cached."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context) or not isinstance(context.request, WebSocket):
            yield
            return
        token = _event_loaders.set(context.fresh_loaders())
        try:
            yield
        finally:
            _event_loaders.reset(token)
