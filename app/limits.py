"""Request bodies over MAX_REQUEST_BYTES are refused (413) before they are read whole: at once
when Content-Length says so, and as soon as a chunked body grows past the limit. The server
(uvicorn) then discards the rest as it arrives, keeping nothing, so the client, still sending,
reads the refusal instead of a reset connection. (WebSocket messages are capped by the server
itself: uvicorn's `ws_max_size`, set where it is started.)"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.graphql_view import GRAPHQL_RESPONSE

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(headers, scope, receive, send)
            return
        received = 0
        responded = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if responded:  # an endpoint that answers before it reads: nothing left to say
                return
            await self._refuse(headers, scope, receive, send)

    async def _refuse(self, headers: Headers, scope: Scope, receive: Receive, send: Send) -> None:
        sentence = (
            f"The request is larger than {self.max_bytes} bytes, the most this server accepts."
        )
        accept = headers.get("accept", "")
        response = JSONResponse(
            {"errors": [{"message": sentence, "extensions": {"code": REQUEST_TOO_LARGE}}]},
            status_code=413,
            media_type=GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json",
        )
        await response(scope, receive, send)
