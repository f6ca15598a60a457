"""Which DataLoaders a field reads through: one rule, decided here and nowhere else.

Every field loads through `context.loaders` (schema/context.py), which is `current()`: the
loaders of what this task is resolving now.

- An operation (an HTTP request; a query, mutation or subscription sent over a WebSocket) starts
  with fresh loaders for its viewer (`FreshLoaders`, a schema extension): nothing read for one
  operation, or kept for a WebSocket connection, is served to the next.
- Each subscription event is resolved with its own loaders (`for_event`, called by the
  subscription just before it yields the event): its topic read them once for every listener of
  the batch (`Loaders.build(..., shared=True)`), except the loaders whose value depends on who is
  looking (`counterparts`: whose contact details the viewer may see, rule 3), which are always
  the viewer's own. This is what keeps one viewer's contact details from another.

The loaders are kept in a ContextVar, so two executions (two tasks) never see each other's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

from db.models import (
    DegreeLevel,
    Field,
    Match,
    MentorProfile,
    Programme,
    StudentProfile,
    User,
)
from live.unit_of_work import UnitOfWork
from services import contact_details, fit, loader_reads
from services.catalogue import FieldChoice, LanguageChoice
from services.contact_details import Counterparts
from services.viewer import Viewer

K = TypeVar("K")
V = TypeVar("V")


class SharedDataLoader(DataLoader[K, V]):
    """A loader whose reads serve several executions at once (a subscription event's
    subscribers, of every filter). Each caller waits on its own shield of the shared read: a
    caller cancelled (its client left) must cancel neither the read nor the others' wait, which
    would end their subscriptions with the CancelledError."""

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


def _loader(
    uow: UnitOfWork,
    load: Callable[[AsyncSession, Sequence[K]], Awaitable[list[V]]],
    *,
    shared: bool = False,
) -> DataLoader[K, V]:
    async def load_many(keys: list[K]) -> list[V]:
        return await uow.read(lambda session: load(session, keys))

    return (SharedDataLoader if shared else DataLoader)(load_fn=load_many)


@dataclass
class Loaders:
    """Built fresh for each operation and for each batch of subscription events, never kept
    longer. `viewer`: whose `counterparts` these are (None: nobody's)."""

    viewer: Viewer | None
    mentor: DataLoader[int, MentorProfile | None]
    student: DataLoader[int, StudentProfile | None]
    user: DataLoader[int, User | None]
    programme: DataLoader[int, Programme | None]
    field: DataLoader[int, Field | None]
    mentor_languages: DataLoader[int, list[LanguageChoice]]
    mentor_fields: DataLoader[int, list[FieldChoice]]
    mentor_degree_levels: DataLoader[int, list[DegreeLevel]]
    student_languages: DataLoader[int, list[LanguageChoice]]
    match_of_request: DataLoader[int, Match | None]
    # Keyed by (user id, programme id): one read serves every viewer of an event's batch, and
    # each viewer asks for their own key only (the `fit` field carries PER_VIEWER).
    student_fit: DataLoader[tuple[int, int], fit.StudentSide | None]
    counterparts: DataLoader[int, Counterparts]

    @classmethod
    def build(cls, uow: UnitOfWork, viewer: Viewer | None, *, shared: bool = False) -> Loaders:
        """`shared`: for a batch of subscription events, read once for all its executions."""
        return cls(
            viewer=viewer,
            mentor=_loader(uow, loader_reads.mentors, shared=shared),
            student=_loader(uow, loader_reads.students, shared=shared),
            user=_loader(uow, loader_reads.users, shared=shared),
            programme=_loader(uow, loader_reads.programmes, shared=shared),
            field=_loader(uow, loader_reads.fields, shared=shared),
            mentor_languages=_loader(uow, loader_reads.mentor_languages, shared=shared),
            mentor_fields=_loader(uow, loader_reads.mentor_fields, shared=shared),
            mentor_degree_levels=_loader(uow, loader_reads.mentor_degree_levels, shared=shared),
            student_languages=_loader(uow, loader_reads.student_languages, shared=shared),
            match_of_request=_loader(uow, loader_reads.matches_of_requests, shared=shared),
            student_fit=_loader(uow, fit.students, shared=shared),
            counterparts=_counterparts_loader(uow, viewer, shared=shared),
        )


def _counterparts_loader(
    uow: UnitOfWork, viewer: Viewer | None, *, shared: bool = False
) -> DataLoader[int, Counterparts]:
    async def load_counterparts(keys: list[int]) -> list[Counterparts]:
        found = await uow.read(lambda session: contact_details.counterparts(session, viewer))
        return [found for _ in keys]

    return (SharedDataLoader if shared else DataLoader)(load_fn=load_counterparts)


def _same_person(a: Viewer | None, b: Viewer | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.user_id, a.role) == (b.user_id, b.role)


@dataclass(slots=True)
class _Scope:
    """The loaders of one operation, built on first use (many operations read none)."""

    uow: UnitOfWork
    viewer: Viewer | None
    loaders: Loaders | None = None

    def get(self) -> Loaders:
        if self.loaders is None:
            self.loaders = Loaders.build(self.uow, self.viewer)
        return self.loaders


_current: ContextVar[_Scope | None] = ContextVar("mentori_loaders", default=None)


def current() -> Loaders:
    scope = _current.get()
    if scope is None:
        raise RuntimeError("DataLoaders are read only while an operation is resolved")
    return scope.get()


def for_event(batch_loaders: Loaders, uow: UnitOfWork, viewer: Viewer | None) -> None:
    """Resolve the subscription event about to be yielded (by this task) with its batch's
    loaders, and the viewer's own per-viewer loaders."""
    loaders = batch_loaders
    if not _same_person(batch_loaders.viewer, viewer):
        loaders = replace(
            batch_loaders, viewer=viewer, counterparts=_counterparts_loader(uow, viewer)
        )
    _current.set(_Scope(uow, viewer, loaders))


class FreshLoaders(SchemaExtension):
    """Each operation gets loaders of its own, for its viewer. A WebSocket connection keeps one
    context for its whole life: its operations must not read what an earlier one cached."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        uow: UnitOfWork | None = getattr(context, "uow", None)
        if uow is None:  # not Mentori's context (a test's tiny schema)
            yield
            return
        token = _current.set(_Scope(uow, getattr(context, "viewer", None)))
        try:
            yield
        finally:
            _current.reset(token)
