"""The floor to measure Mentori against: a bare Starlette app with no GraphQL, no ORM and no auth.

- POST /search runs the same SQL as Mentori's mentor search (current programme and its phases,
  the filter's languages and fields checked, count, page of 20, the page's languages and
  fields) through raw asyncpg, and JSON-encodes the same response shape.
- /graphql (WebSocket) speaks just enough graphql-transport-ws to hold subscribers; POST
  /publish broadcasts one event's bytes to the sockets whose filter matches.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.filters import MentorFacts, matches

PROGRAMME = """SELECT id, name, timezone, student_pending_limit, mentor_pending_limit,
 request_expiry_hours, reminder_hours_before_expiry, event_seq, created_at
 FROM programmes ORDER BY created_at DESC, id DESC"""
PHASES = """SELECT programme_id, id, phase, opens_on, closes_on FROM programme_phases
 WHERE programme_id = ANY($1::integer[]) ORDER BY opens_on"""
MATCHING = """FROM mentor_profiles WHERE programme_id = $1
 AND (status = 'PUBLISHED' AND accepted_count < capacity AND pending_count < $5
      OR status = 'PUBLISHED' AND accepted_count < capacity AND pending_count >= $5)
 AND EXISTS (SELECT * FROM mentor_languages WHERE mentor_languages.mentor_id = mentor_profiles.id
             AND mentor_languages.language_code = ANY($2::varchar[]))
 AND EXISTS (SELECT * FROM mentor_fields WHERE mentor_fields.mentor_id = mentor_profiles.id
             AND mentor_fields.field_id = ANY($3::integer[]))
 AND EXISTS (SELECT * FROM mentor_degree_levels
             WHERE mentor_degree_levels.mentor_id = mentor_profiles.id
             AND mentor_degree_levels.degree_level = $4)"""
CHECK_LANGUAGES = "SELECT code FROM languages WHERE code = ANY($1::varchar[])"
CHECK_FIELDS = "SELECT id FROM fields WHERE id = ANY($1::integer[])"
COUNT = f"SELECT count(*) FROM (SELECT mentor_profiles.* {MATCHING}) AS matching"
PAGE = f"SELECT * {MATCHING} ORDER BY id LIMIT $6"
LANGUAGES = """SELECT mentor_languages.mentor_id, languages.code, languages.name
 FROM mentor_languages JOIN languages ON languages.code = mentor_languages.language_code
 WHERE mentor_languages.mentor_id = ANY($1::integer[]) ORDER BY languages.name"""
FIELDS = """SELECT mentor_fields.mentor_id, fields.id, fields.name, fields.school
 FROM mentor_fields JOIN fields ON fields.id = mentor_fields.field_id
 WHERE mentor_fields.mentor_id = ANY($1::integer[]) ORDER BY fields.name"""


def global_id(type_name: str, node_id: int) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def node_id(value: str) -> int:
    return int(base64.b64decode(value).decode().partition(":")[2])


def cursor(node: int) -> str:
    return base64.b64encode(f"after:{node}".encode()).decode()


def availability(row: asyncpg.Record, pending_limit: int) -> str:
    if row["status"] != "PUBLISHED":
        return "HIDDEN"
    if row["accepted_count"] >= row["capacity"]:
        return "FULL"
    return "BUSY" if row["pending_count"] >= pending_limit else "AVAILABLE"


async def search(pool: asyncpg.Pool, flt: dict[str, Any], first: int) -> dict[str, Any]:
    languages = [c.lower() for c in flt.get("languages") or ()]
    fields = [node_id(f) for f in flt.get("fields") or ()]
    level = flt.get("degreeLevel")
    async with pool.acquire() as connection:
        programme = (await connection.fetch(PROGRAMME))[0]
        await connection.fetch(PHASES, [programme["id"]])
        if languages:
            await connection.fetch(CHECK_LANGUAGES, languages)
        if fields:
            await connection.fetch(CHECK_FIELDS, fields)
        limit = programme["mentor_pending_limit"]
        args = (programme["id"], languages, fields, level, limit)
        total = await connection.fetchval(COUNT, *args)
        rows = await connection.fetch(PAGE, *args, first + 1)
        page = rows[:first]
        ids = [row["id"] for row in page]
        by_mentor_languages: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
        for row in await connection.fetch(LANGUAGES, ids):
            by_mentor_languages[row["mentor_id"]].append({"code": row["code"], "name": row["name"]})
        by_mentor_fields: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
        for row in await connection.fetch(FIELDS, ids):
            by_mentor_fields[row["mentor_id"]].append(
                {"id": global_id("Field", row["id"]), "name": row["name"]}
            )
    return {
        "data": {
            "mentors": {
                "totalCount": total,
                "edges": [
                    {
                        "node": {
                            "id": global_id("Mentor", row["id"]),
                            "displayName": row["display_name"],
                            "headline": row["headline"],
                            "availability": availability(row, limit),
                            "languages": by_mentor_languages[row["id"]],
                            "fields": by_mentor_fields[row["id"]],
                        }
                    }
                    for row in page
                ],
                "pageInfo": {
                    "hasNextPage": len(rows) > first,
                    "endCursor": cursor(page[-1]["id"]) if page else None,
                },
            }
        }
    }


class Subscribers:
    """Sockets with their subscription id and filter; a broadcast writes to each in turn."""

    def __init__(self) -> None:
        self.live: dict[WebSocket, tuple[str, dict[str, Any] | None]] = {}

    async def broadcast(self, mentor: MentorFacts, data: dict[str, Any]) -> None:
        encoded: dict[str, str] = {}
        for socket, (sid, flt) in list(self.live.items()):
            if not matches(flt, mentor):
                continue
            text = encoded.get(sid)
            if text is None:
                payload = {"data": {"mentorAvailabilityChanged": data}}
                text = encoded[sid] = json.dumps({"id": sid, "type": "next", "payload": payload})
            try:
                await socket.send_text(text)
            except (RuntimeError, WebSocketDisconnect, OSError):
                self.live.pop(socket, None)


def create_app() -> Starlette:
    dsn = os.environ["BENCH_DSN"]
    state: dict[str, Any] = {}
    subscribers = Subscribers()
    tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        try:
            yield
        finally:
            await state["pool"].close()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def search_endpoint(request: Request) -> Response:
        body = await request.json()
        variables = body.get("variables") or {}
        return JSONResponse(await search(state["pool"], variables.get("filter") or {}, 20))

    async def publish(request: Request) -> Response:
        body = await request.json()
        task = asyncio.create_task(
            subscribers.broadcast(MentorFacts.from_json(body["mentor"]), body["data"])
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return JSONResponse({"ok": True})

    async def websocket(socket: WebSocket) -> None:
        await socket.accept(subprotocol="graphql-transport-ws")
        try:
            while True:
                message = json.loads(await socket.receive_text())
                kind = message.get("type")
                if kind == "connection_init":
                    await socket.send_text('{"type":"connection_ack"}')
                elif kind == "ping":
                    await socket.send_text('{"type":"pong"}')
                elif kind == "subscribe":
                    variables = message.get("payload", {}).get("variables") or {}
                    subscribers.live[socket] = (str(message["id"]), variables.get("filter"))
                elif kind == "complete":
                    subscribers.live.pop(socket, None)
        except WebSocketDisconnect:
            pass
        finally:
            subscribers.live.pop(socket, None)

    return Starlette(
        routes=[
            Route("/healthz", health),
            Route("/search", search_endpoint, methods=["POST"]),
            Route("/publish", publish, methods=["POST"]),
            WebSocketRoute("/graphql", websocket),
        ],
        lifespan=lifespan,
    )
