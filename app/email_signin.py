"""Sign-in by a one-time link in an email (services/email_links.py), for alumni mentors without
any account.

POST /auth/email-link asks for a link: JSON {email, next}, answered 202 with the same words
whether or not the address is known. The link, /auth/email/<token>, opens a small page whose one
button signs the person in: a GET only shows it, so a mail scanner that fetches every link does
not use the link up; the page's own form POST uses it, opens a sign-in session and sets its
cookie. Both POSTs must come from this server's own pages (their Origin is its public URL)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from html import escape
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.clock import Clock
from app.headers import page_policy
from app.session_auth import from_own_pages
from app.session_cookie import set_session_cookie
from app.settings import Settings
from app.wire import decode_json
from db.engine import is_unavailable
from live.unit_of_work import UnitOfWork
from schema.errors import UNAVAILABLE, UNAVAILABLE_MESSAGE
from services import email_links, sign_in_sessions
from services.errors import DomainError, ErrorCode

log = logging.getLogger("mentori.signin")
T = TypeVar("T")

ASK = "/auth/email-link"
DEFAULT_PAGE = "/mentor"  # a link is for mentors: their inbox, unless they asked for a page
NEW_LINK = "/mentor"  # where a person asks for a new link (the pages' sign-in form)
SENT = (
    "If that address can receive email, a link to sign in is on its way to it: open it within "
    "{minutes} minutes; it works once. If nothing arrives in a few minutes, look in your spam "
    "folder, or check the address and ask again."
)
OFF = (
    "Signing in by a link in an email is not offered on this server: sign in with your "
    "university or alumni account."
)
CROSS_SITE = (
    "This request did not come from the programme's own pages, so it was refused. Open the "
    "sign-in page and try again there."
)
NOT_JSON = 'Send a JSON object: {"email": "you@example.com", "next": "/mentor"}.'


def email_sign_in_routes(
    settings: Settings, *, uow: UnitOfWork, clock: Clock, pages: Sequence[str]
) -> list[Route]:
    """`pages` are where a sign-in may end, so a crafted request cannot send a signed-in
    person elsewhere."""
    limits = email_links.Limits(
        minutes=settings.sign_in_link_minutes,
        per_address=settings.sign_in_links_per_address,
        per_requester=settings.sign_in_links_per_ip,
    )

    async def ask(request: Request) -> Response:
        if not settings.email_sign_in:
            return _refusal(404, ErrorCode.NOT_FOUND, OFF)
        if not from_own_pages(request, settings):
            return _refusal(403, ErrorCode.CSRF_REFUSED, CROSS_SITE)
        try:
            body = decode_json(await request.body())
        except json.JSONDecodeError:
            return _refusal(400, ErrorCode.INVALID_INPUT, NOT_JSON)
        if not isinstance(body, dict) or not isinstance(body.get("email"), str):
            return _refusal(400, ErrorCode.INVALID_INPUT, NOT_JSON)
        next_page = body.get("next")
        if next_page not in pages:
            next_page = DEFAULT_PAGE
        requested_from = email_links.requester_digest(
            request.client.host if request.client else "", key=settings.session_secret
        )

        async def operation(session: AsyncSession) -> str:
            return await email_links.ask(
                session,
                email=body["email"],
                next_page=str(next_page),
                requested_from=requested_from,
                limits=limits,
                now=clock(),
            )

        try:
            await _unavailable_told(uow.run(operation))
        except DomainError as error:
            if error.code is ErrorCode.RATE_LIMITED:
                retry = str(error.details["retry_after"])
                return _refusal(429, error.code, error.message, {"retry-after": retry})
            return _refusal(400, error.code, error.message)
        except _Unavailable:
            return _refusal(503, UNAVAILABLE, UNAVAILABLE_MESSAGE)
        message = SENT.format(minutes=limits.minutes)
        return JSONResponse({"sent": True, "message": message}, status_code=202)

    async def link(request: Request) -> Response:
        token = request.path_params["token"]
        host = request.headers.get("host", "")
        if not settings.email_sign_in:
            return _page(host, 404, "Signing in by email is off", OFF)
        if request.method == "GET":
            return await show(token, host)
        if not from_own_pages(request, settings):
            return _page(host, 403, "This sign-in was refused", CROSS_SITE, ask_again=True)

        async def operation(session: AsyncSession) -> tuple[str, str]:
            now = clock()
            viewer, next_page = await email_links.sign_in(session, token, now=now)
            raw = await sign_in_sessions.open_session(
                session,
                user_id=viewer.user_id,
                provider="email",
                now=now,
                lifetime=timedelta(hours=settings.session_hours),
                user_agent=request.headers.get("user-agent", ""),
            )
            return raw, next_page

        try:
            raw, next_page = await _unavailable_told(uow.run(operation))
        except DomainError as error:
            return _refused(host, error)
        except _Unavailable:
            return _page(host, 503, "Please try again shortly", UNAVAILABLE_MESSAGE)
        response = RedirectResponse(next_page if next_page in pages else DEFAULT_PAGE, 303)
        response.headers["cache-control"] = "no-store"
        set_session_cookie(response, settings, raw)
        return response

    async def show(token: str, host: str) -> Response:
        async def look(session: AsyncSession) -> email_links.Link:
            return await email_links.pending(session, token, now=clock())

        try:
            found = await _unavailable_told(uow.read(look))
        except DomainError as error:
            return _refused(host, error)
        except _Unavailable:
            return _page(host, 503, "Please try again shortly", UNAVAILABLE_MESSAGE)
        who = escape(email_links.masked(found.email))
        action = escape(email_links.PATH + token)
        form = (
            f'<form method="post" action="{action}" class="actions">'
            f'<button class="btn btn-primary" type="submit">Sign in as {who}</button></form>'
        )
        return _page(
            host,
            200,
            "Sign in to the mentoring programme",
            "This link signs you in once. Press the button to sign in.",
            extra=form,
        )

    return [
        Route(ASK, ask, methods=["POST"]),
        Route(email_links.PATH + "{token}", link, methods=["GET", "POST"]),
    ]


class _Unavailable(Exception):
    pass


async def _unavailable_told(work: Awaitable[T]) -> T:
    """The database did not answer: a sentence and 503, not a traceback and 500."""
    try:
        return await work
    except Exception as error:
        if is_unavailable(error):
            log.warning("email sign-in: %s", str(error) or type(error).__name__)
            raise _Unavailable from error
        raise


def _refusal(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": str(code)}}]}
    return JSONResponse(body, status_code=status, headers=headers)


REFUSED_TITLES: dict[str, str] = {
    ErrorCode.SIGN_IN_LINK_USED: "This link was already used",
    ErrorCode.SIGN_IN_LINK_EXPIRED: "This link expired",
    ErrorCode.NOT_FOUND: "This link is not valid",
}


def _refused(host: str, error: DomainError) -> Response:
    title = REFUSED_TITLES.get(error.code)
    if title is not None:
        return _page(host, 400, title, error.message, ask_again=True)
    return _page(host, 403, "You cannot sign in with this link", error.message, ask_again=True)


def _page(
    host: str,
    status: int,
    title: str,
    message: str,
    *,
    extra: str = "",
    ask_again: bool = False,
) -> HTMLResponse:
    again = (
        f'<p><a class="btn" href="{NEW_LINK}">Ask for a new sign-in link</a></p>'
        if ask_again
        else ""
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8" />'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />'
        f"<title>{escape(title)} · Mentori</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />'
        '<link rel="stylesheet" href="/static/mentori.css" /></head><body>'
        '<header class="topbar"><div class="topbar-inner"><a class="brand" href="/mentor">'
        '<span class="brand-mark" aria-hidden="true">M</span><span>Mentori</span></a></div>'
        '</header><main id="main"><section class="card notice" aria-labelledby="title">'
        f'<h1 id="title">{escape(title)}</h1><p>{escape(message)}</p>{extra}{again}'
        "</section></main></body></html>"
    )
    return HTMLResponse(
        page,
        status_code=status,
        headers={
            "cache-control": "no-store",
            # The link's token is in this page's address: never sent to another site. Not
            # no-referrer: a browser then sends "Origin: null" with the page's own form POST
            # (Fetch standard), which the same-site check would have to refuse.
            "referrer-policy": "same-origin",
            "content-security-policy": page_policy(host),
        },
    )
