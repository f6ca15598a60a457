"""The pages' sign-in session on the API (services/sign_in_sessions.py): its cookie signs in a
request or a WebSocket that carries no bearer token (a bearer token wins when both come).

A browser sends the cookie with whatever any site makes it ask, so the cookie counts only for
what the server's own pages send: a POST as JSON from the server's own origin, and a WebSocket
whose handshake comes from that origin (cross-site WebSocket hijacking). A GET runs queries
only (mutations by GET are refused), so it needs no check.

Viewers are cached as for bearer tokens (app/auth.py, ViewerCache): a minute at most, only
under the broker connection that would tell of a sign-out, and forgotten when the session
ends or its person is erased, in every process (live/hub.py)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from app.auth import ViewerCache
from app.clock import Clock
from app.session_cookie import COOKIE
from app.settings import Settings
from live.unit_of_work import UnitOfWork
from services import sign_in_sessions, users
from services.errors import DomainError
from services.viewer import Viewer

CSRF_REFUSED = "CSRF_REFUSED"
CROSS_SITE = (
    "This request carries your sign-in cookie but does not come from Mentori's own pages, so "
    "it was refused: send it from the pages, or with a bearer token."
)
ENDED = "your sign-in has ended: you signed out, or it expired"
LOOKS = 3  # a session looked up while sessions end is looked up again, at most this often


def origin_of(url: str) -> str | None:
    """scheme://host:port, as a browser's Origin header names the site of a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if port is None:
        port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}:{port}"


def from_own_pages(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether a request or handshake comes from a page of this server's public URL."""
    origin = connection.headers.get("origin")
    return origin is not None and origin_of(origin) == origin_of(settings.public_url)


def cookie_of(connection: HTTPConnection) -> str | None:
    return connection.cookies.get(COOKIE) or None


def may_post_by_cookie(connection: HTTPConnection, settings: Settings) -> bool:
    """A POST signed in by the cookie: JSON (a form cannot send that cross-site without
    asking first) from the server's own origin."""
    media_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" and from_own_pages(connection, settings)


class SessionSignIns:
    """Who each session cookie signs in, and the WebSockets each session opened."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock
        self.viewers = ViewerCache()
        self._connections: dict[str, list[WebSocket]] = {}  # by the session's digest
        self._session_of: dict[int, str] = {}  # id(websocket) -> the session's digest

    async def viewer(self, raw: str) -> tuple[Viewer, datetime, str] | None:
        """The viewer a cookie signs in, until when, and the session's digest; None if the
        session has ended."""
        now = self.clock()
        heard = (self.uow.hub.broker_connection, self.viewers.sign_outs)
        cached = self.viewers.get(raw, now, broker_connection=heard[0])
        if cached is not None:
            return (*cached, sign_in_sessions.digest(raw))
        found = None
        for _ in range(LOOKS):
            found = await self.uow.read(partial(_signed_in, raw=raw, now=now))
            # A sign-out heard meanwhile may be this session's (told only after its commit):
            # then it is looked up again, and nothing is cached.
            now_heard = (self.uow.hub.broker_connection, self.viewers.sign_outs)
            if now_heard == heard:
                if found is not None:
                    self.viewers.put(raw, *found, now, broker_connection=heard[0])
                break
            heard = now_heard
        return (*found, sign_in_sessions.digest(raw)) if found is not None else None

    def watch(self, websocket: WebSocket, digest: str) -> None:
        """Remember a WebSocket the session signed in (closed when the session ends)."""
        self._connections.setdefault(digest, []).append(websocket)
        self._session_of[id(websocket)] = digest

    def leave(self, websocket: WebSocket) -> None:
        digest = self._session_of.pop(id(websocket), None)
        if digest is None:
            return
        live = self._connections.get(digest, [])
        if websocket in live:
            live.remove(websocket)
        if not live:
            self._connections.pop(digest, None)

    def ended(self, user_id: int, digest: str) -> list[WebSocket]:
        """The session ended: its viewer is forgotten; its WebSockets, returned, are to close."""
        self.viewers.forget(user_id)
        closing = self._connections.pop(digest, [])
        for websocket in closing:
            self._session_of.pop(id(websocket), None)
        return closing

    def signed_out(self, user_id: int) -> None:
        """The person was erased: no session of theirs is remembered."""
        self.viewers.forget(user_id)


async def _signed_in(
    session: AsyncSession, *, raw: str, now: datetime
) -> tuple[Viewer, datetime] | None:
    live = await sign_in_sessions.lookup(session, raw, now=now)
    if live is None:
        return None
    try:
        viewer = await users.viewer_of(session, live.user_id)
    except DomainError:  # erased meanwhile, or holding no role any more
        return None
    return viewer, live.expires_at
