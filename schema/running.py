"""One service call for a resolver: the session and the viewer are passed first, the rest as
given. `run` commits it in the unit of work (which publishes its events after commit); `read`
uses a short read-only session. Read the clock before, `now=info.context.now()`, so that a
retried unit of work sees the same moment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from schema.context import Info
from services.viewer import Viewer

P = ParamSpec("P")
T = TypeVar("T")

Service = Callable[Concatenate[AsyncSession, Viewer | None, P], Awaitable[T]]


async def run(info: Info, service: Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    viewer = info.context.viewer
    return await info.context.uow.run(lambda session: service(session, viewer, *args, **kwargs))


async def read(info: Info, service: Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    viewer = info.context.viewer
    return await info.context.uow.read(lambda session: service(session, viewer, *args, **kwargs))
