"""Subscriptions alike share one execution.

Strawberry executes a subscription's selection set for each subscriber and each event. Where
subscribers send the same document with the same variables, and what they are sent depends on
who they are through their role alone (the root field is marked SHARED_BY_ROLE, and no field
the document selects is marked PER_VIEWER: see live/sharing.py), one execution serves them
all: each result is encoded once and sent, under each subscriber's own operation id, to every
socket. Each subscriber has a bounded queue of its own, so a slow client delays nobody; one that
falls too far behind is told so and ended, as an unshared subscription would be."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol, Self

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from strawberry.schema import BaseSchema
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from live import tasks
from live.fanout import FELL_BEHIND
from live.sharing import PER_VIEWER_KEY, SHARED_BY_ROLE_KEY
from services.errors import DomainError, ErrorCode
from services.viewer import Viewer

log = logging.getLogger("mentori.subscriptions")

DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL field's own definition
SHAPES_KEPT = 256  # documents whose shape is remembered

Message = dict[str, Any]
SendText = Callable[[str], Awaitable[None]]
SendMessage = Callable[[Any], Awaitable[None]]  # a protocol message, as Strawberry sends it


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a document says about sharing its execution."""

    shareable: bool
    per_viewer: bool = False


NOT_SHAREABLE = _Shape(shareable=False)


def _marked(field: GraphQLField | None, key: str) -> bool:
    definition = field.extensions.get(DEFINITION) if field is not None else None
    return bool(definition is not None and definition.metadata.get(key))


def shape_of(
    schema: GraphQLSchema, query: str, operation_name: str | None, *, max_tokens: int | None = None
) -> _Shape:
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return NOT_SHAREABLE  # Strawberry's own path answers it
    operation = get_operation_ast(document, operation_name)
    if (
        operation is None
        or operation.operation is not OperationType.SUBSCRIPTION
        or schema.subscription_type is None
    ):
        return NOT_SHAREABLE
    roots = operation.selection_set.selections
    if len(roots) != 1 or not isinstance(roots[0], FieldNode):
        return NOT_SHAREABLE
    if not _marked(schema.subscription_type.fields.get(roots[0].name.value), SHARED_BY_ROLE_KEY):
        return NOT_SHAREABLE
    type_info = TypeInfo(schema)
    found: list[str] = []

    class FindPerViewer(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            if _marked(type_info.get_field_def(), PER_VIEWER_KEY):
                found.append(node.name.value)

    visit(document, TypeInfoVisitor(type_info, FindPerViewer()))
    return _Shape(shareable=True, per_viewer=bool(found))


@dataclass(frozen=True, slots=True)
class _End:
    """How a subscriber's stream ends: completed, refused (an `error` message), or fell behind
    (a last result with the error, then completed)."""

    errors: list[Any] | None = None
    fell_behind: bool = False


COMPLETED = _End()


class SubscriberContext(Protocol):
    """What sharing needs of a subscriber's GraphQL context (schema/context.py, Context)."""

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def auth_error(self) -> str | None: ...

    def serving(self, subscribers: Callable[[], int]) -> Self:
        """A copy whose live listener stands for this many subscribers."""
        ...


# How an error is presented to clients (schema/errors.py, present): with its stable code.
Present = Callable[[GraphQLError], GraphQLError]


def _failed(present: Present) -> _End:
    return _End(errors=[present(GraphQLError("shared subscription failed")).formatted])


def _fell_behind_payload(present: Present) -> Message:
    error = GraphQLError(
        FELL_BEHIND,
        original_error=DomainError(ErrorCode.CONFLICT, FELL_BEHIND, reason="FELL_BEHIND"),
    )
    return {"data": None, "errors": [present(error).formatted]}


class _Member:
    """One subscriber of a shared stream: its queue of encoded results. Kept small (thousands
    are idle at once): slots, a plain list, and a future only while it waits for a result."""

    __slots__ = ("_end", "_fell_behind", "_size", "_texts", "_waiter")

    def __init__(self, size: int, fell_behind: Message) -> None:
        self._size = size
        self._fell_behind = fell_behind
        self._texts: list[str] = []
        self._waiter: asyncio.Future[None] | None = None
        self._end: _End | None = None

    def offer(self, payload: str) -> None:
        if self._end is not None:
            return
        if len(self._texts) >= self._size:
            self._texts = []  # dropped, not kept: a client that does not read holds no memory
            self.end(_End(fell_behind=True))
            return
        self._texts.append(payload)
        self._wake()

    def end(self, how: _End) -> None:
        if self._end is None:
            self._end = how
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def run(self, operation_id: str, send_text: SendText, send: SendMessage) -> None:
        prefix = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'
        while True:
            while self._texts:
                texts, self._texts = self._texts, []
                for text in texts:
                    await send_text(prefix + text + "}")
                if self._end is not None and self._end.fell_behind:
                    break
            if self._end is not None:
                break
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._end.errors is not None:
            await send({"id": operation_id, "type": "error", "payload": self._end.errors})
            return
        if self._end.fell_behind:
            await send({"id": operation_id, "type": "next", "payload": self._fell_behind})
        await send({"id": operation_id, "type": "complete"})


class _Stream:
    """One execution of a subscription, and the subscribers it serves."""

    def __init__(
        self,
        registry: SharedSubscriptions,
        key: Hashable,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: SubscriberContext,
    ) -> None:
        self.registry = registry
        self.key = key
        self.query = query
        self.members: set[_Member] = set()
        # Its own context: it outlives the subscriber that started it, and its live listener
        # stands for every member.
        self.context = context.serving(lambda: len(self.members))
        self.task = asyncio.create_task(
            self._run(query, variables, operation_name), name="mentori-shared-subscription"
        )

    def leave(self, member: _Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.registry.forget(self)
            self.task.cancel()

    async def _run(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> None:
        end = COMPLETED
        try:
            source = await self.registry.schema.stream(
                query,
                variable_values=variables,
                context_value=self.context,
                operation_name=operation_name,
            )
            async with aclosing(source):
                first = True
                async for result in source:
                    if first and isinstance(result, PreExecutionError):
                        end = _End(errors=[error.formatted for error in result.errors or ()])
                        return
                    first = False
                    assert isinstance(result, ExecutionResult)  # no @defer or @stream here
                    payload = self.registry.encode(_payload(result))
                    for member in list(self.members):
                        member.offer(payload)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # its last member left
            # Raised inside the execution, not sent to this task: its members must not take
            # it for a stream that ended (they would stop listening and miss what follows).
            log.exception("a shared subscription was cancelled from within")
            end = _failed(self.registry.present)
        except Exception:
            log.exception("a shared subscription failed")
            end = _failed(self.registry.present)
        finally:
            self.registry.forget(self)
            for member in self.members:
                member.end(end)


def _payload(result: ExecutionResult) -> Message:
    payload: Message = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


class SharedSubscriptions:
    """The shared executions of one process, by what makes subscribers alike."""

    def __init__(
        self,
        schema: BaseSchema,
        encode: Callable[[object], str],
        *,
        queue_size: int,
        max_tokens: int,
        present: Present,
    ) -> None:
        self.schema = schema
        self.present = present
        self._fell_behind = _fell_behind_payload(present)
        self.encode = encode
        self.queue_size = queue_size
        self.max_tokens = max_tokens  # as the schema's own parsing: a huge document is refused
        self._graphql_schema: GraphQLSchema = schema._schema  # type: ignore[attr-defined]
        self._shapes: OrderedDict[tuple[str, str | None], _Shape] = OrderedDict()
        self._streams: dict[Hashable, _Stream] = {}

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def key(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: SubscriberContext,
    ) -> Hashable | None:
        """What subscribers alike have in common, or None when this one must run alone."""
        viewer = context.viewer
        if viewer is None or context.auth_error is not None:
            return None
        shape = self._shape(query, operation_name)
        if not shape.shareable:
            return None
        try:
            values = json.dumps(variables or {}, sort_keys=True)
        except (TypeError, ValueError):
            return None
        return (query, operation_name, values, viewer.role, shape.per_viewer and viewer.user_id)

    def _shape(self, query: str, operation_name: str | None) -> _Shape:
        cache_key = (query, operation_name)
        shape = self._shapes.get(cache_key)
        if shape is None:
            shape = self._shapes[cache_key] = shape_of(
                self._graphql_schema, query, operation_name, max_tokens=self.max_tokens
            )
            if len(self._shapes) > SHAPES_KEPT:
                self._shapes.popitem(last=False)
        else:
            self._shapes.move_to_end(cache_key)
        return shape

    def join(
        self,
        key: Hashable,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: SubscriberContext,
    ) -> tuple[_Stream, _Member]:
        """A new subscriber of the shared execution for `key` (started if there is none): the
        caller runs `member.run` until it returns or is cancelled, then `stream.leave(member)`."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(
                self, key, query, variables, operation_name, context
            )
        member = _Member(self.queue_size, self._fell_behind)
        stream.members.add(member)
        return stream, member

    def forget(self, stream: _Stream) -> None:
        if self._streams.get(stream.key) is stream:
            del self._streams[stream.key]

    async def stop(self) -> None:
        streams = list(self._streams.values())
        for stream in streams:
            stream.task.cancel()
        for stream in streams:
            await tasks.stop(stream.task)
