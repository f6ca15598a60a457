"""The typed GraphQL context: who is asking, the unit of work, the event hub, and the DataLoaders
of what is being resolved (chosen in live/loaders.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeAlias, TypeVar

from strawberry.types import Info as StrawberryInfo

from live.fanout import Listener, Topic
from live.hub import EventHub
from live.loaders import Loaders, current
from live.unit_of_work import UnitOfWork
from services.viewer import Viewer

T = TypeVar("T")


class ContextSettings(Protocol):
    """The settings resolvers read (app/settings.py, Settings, has them)."""

    @property
    def max_page_size(self) -> int: ...
    @property
    def date_of_birth_retention_days(self) -> int: ...
    @property
    def stats_interval_seconds(self) -> float: ...
    @property
    def unverified_mentors_may_publish(self) -> bool: ...


@dataclass(slots=True)  # one per WebSocket connection, thousands at once: no __dict__
class Context:
    settings: ContextSettings
    uow: UnitOfWork
    hub: EventHub
    clock: Callable[[], datetime]
    viewer: Viewer | None
    viewer_expires_at: datetime | None = None
    auth_error: str | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    # How many subscribers this context's subscription serves (more when shared, see
    # live/shared.py); counted while it listens.
    subscribers: Callable[[], int] | None = None

    @property
    def loaders(self) -> Loaders:
        """The loaders of the operation, or the subscription event, being resolved."""
        return current()

    def listen(
        self, programme_id: int, topic: Topic[T], pick: Callable[[T], T | None] | None = None
    ) -> AbstractAsyncContextManager[Listener[T]]:
        """Listen to a programme's events for this context's subscribers."""
        return self.hub.listen(programme_id, topic, pick, subscribers=self.subscribers)

    def serving(self, subscribers: Callable[[], int]) -> Context:
        """A copy for a shared subscription (live/shared.py), whose listener stands for all
        its subscribers."""
        return replace(self, subscribers=subscribers)

    def now(self) -> datetime:
        return self.clock()


Info: TypeAlias = StrawberryInfo[Context, None]
