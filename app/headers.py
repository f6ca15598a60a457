"""Security headers. The pages load and connect only to their own server and are never framed;
every answer (the API's too) forbids framing and type sniffing and sends no address to another
site. GraphiQL, served in development only, loads from a CDN: it gets no page policy."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A Host header that is a plain host name or address (and port): only such a one is named in
# the page's policy, so a forged Host cannot add a directive.
PLAIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


def page_policy(host: str) -> str:
    """The pages' Content-Security-Policy. 'self' covers the live WebSocket in CSP 3; the
    same host's ws:// and wss:// are named too, for browsers that read 'self' more narrowly."""
    connect = "'self'"
    if PLAIN_HOST.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        [
            "default-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": "frame-ancestors 'none'",
}


class SecurityHeaders:
    """Adds EVERY_ANSWER's headers to each HTTP answer that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
