"""Sign-in on the pages: OpenID Connect's authorization code flow with PKCE, through Authlib's
Starlette client, one registered client per identity provider (settings.oidc_providers).

/auth/login/<key> sends the browser to the provider; the sign-in's state, nonce and PKCE
verifier wait in a signed cookie (mentori_signin: ten minutes, under /auth only, used for
nothing else). /auth/callback/<key> exchanges the code at the provider's token endpoint and
Authlib checks the ID token: its signature against the provider's keys, its issuer (the one
its discovery document names), audience (our client id), expiry and nonce. The person is then
signed in by services/users.py, sign_in_as, and holds a server-side session
(services/sign_in_sessions.py) whose id is an HttpOnly cookie (app/session_cookie.py).
POST /auth/logout ends the session in every process (live/hub.py, end_sessions)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.auth import InvalidToken, _claim
from app.clock import Clock
from app.headers import page_policy
from app.session_auth import CROSS_SITE, CSRF_REFUSED, cookie_of, from_own_pages
from app.session_cookie import clear_session_cookie, set_session_cookie
from app.settings import IdentityProvider, Settings
from db.engine import is_unavailable
from db.models import Role
from live.unit_of_work import UnitOfWork
from schema.errors import UNAVAILABLE
from services import roles, sign_in_sessions, users
from services.errors import DomainError
from services.text import MAX_EMAIL

with warnings.catch_warnings():
    # Authlib 1.9 announces a move from httpx to its fork httpx2, on import; httpx serves.
    # Its own filter (always show) is set on its first import: this one must come after.
    import authlib.deprecate  # type: ignore[import-untyped]

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import (  # type: ignore[import-untyped]
        OAuth,
        OAuthError,
    )

log = logging.getLogger("mentori.signin")

STATE_COOKIE = "mentori_signin"
STATE_SECONDS = 600
UNTRUSTED = "The sign-in service's answer could not be trusted, so you were not signed in."


class SignInFailed(Exception):
    """A sign-in that did not finish: a sentence for the person, the reason for the log."""

    def __init__(self, sentence: str, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.sentence, self.reason, self.status = sentence, reason, status


def signin_routes(
    settings: Settings, *, uow: UnitOfWork, clock: Clock, pages: Sequence[str]
) -> list[Route]:
    """/auth/login/<key>, /auth/callback/<key>, /auth/config and /auth/logout; `pages` are
    where a sign-in may end (the first is the default), so a crafted link cannot send a
    signed-in person elsewhere."""
    oauth = OAuth()
    providers = {provider.key: provider for provider in settings.oidc_providers}
    for provider in settings.oidc_providers:
        oauth.register(
            name=provider.key,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={"scope": provider.scope, "code_challenge_method": "S256"},
        )
    state = [
        Middleware(
            SessionMiddleware,
            secret_key=settings.session_secret,
            session_cookie=STATE_COOKIE,
            max_age=STATE_SECONDS,
            path="/auth",
            same_site="lax",  # sent on the provider's redirect back (a top-level navigation)
            https_only=settings.public_url.startswith("https://"),
        )
    ]

    async def login(request: Request) -> Response:
        key = request.path_params["key"]
        if key not in providers:
            return _failure(request, _unknown(key))
        next_page = request.query_params.get("next", "")
        request.session[f"next.{key}"] = next_page if next_page in pages else pages[0]
        try:
            response: Response = await oauth.create_client(key).authorize_redirect(
                request, f"{settings.public_url.rstrip('/')}/auth/callback/{key}"
            )
        except httpx.HTTPError as error:
            return _failure(request, _unreachable(key, error), retry=_login_url(key, next_page))
        response.headers["cache-control"] = "no-store"
        return response

    async def callback(request: Request) -> Response:
        key = request.path_params["key"]
        if key not in providers:
            return _failure(request, _unknown(key))
        next_page = request.session.pop(f"next.{key}", pages[0])
        next_page = next_page if next_page in pages else pages[0]
        try:
            identity, id_token = await _verified(
                oauth.create_client(key), providers[key], request, settings
            )
            raw = await _open(
                uow,
                identity,
                provider=key,
                id_token=id_token,
                user_agent=request.headers.get("user-agent", ""),
                now=clock(),
                lifetime=timedelta(hours=settings.session_hours),
            )
        except SignInFailed as failure:
            log.warning("sign-in through %s failed: %s", key, failure.reason)
            request.session.clear()
            return _failure(request, failure, retry=_login_url(key, next_page))
        request.session.clear()  # the sign-in's state is spent: its cookie goes
        response = RedirectResponse(next_page, 303)
        set_session_cookie(response, settings, raw)
        response.headers["cache-control"] = "no-store"
        return response

    async def config(request: Request) -> Response:
        return JSONResponse(
            {
                "providers": [
                    {"key": p.key, "label": p.label, "loginUrl": f"/auth/login/{p.key}"}
                    for p in settings.oidc_providers
                ],
                "emailSignIn": settings.email_sign_in,
                "development": not settings.production,
            }
        )

    async def logout(request: Request) -> Response:
        if not from_own_pages(request, settings):
            return JSONResponse(
                {"errors": [{"message": CROSS_SITE, "extensions": {"code": CSRF_REFUSED}}]},
                status_code=403,
            )
        raw = cookie_of(request)
        try:
            ended = await _end(uow, raw, now=clock()) if raw is not None else None
        except SignInFailed as failure:
            log.warning("signing out failed: %s", failure.reason)
            return JSONResponse(
                {"errors": [{"message": failure.sentence, "extensions": {"code": UNAVAILABLE}}]},
                status_code=failure.status,
            )
        end_session_url = None
        if ended is not None and ended.provider in providers:
            end_session_url = await _end_session_url(
                oauth.create_client(ended.provider), settings, ended.id_token
            )
        response = JSONResponse({"signedOut": True, "endSessionUrl": end_session_url})
        clear_session_cookie(response, settings)
        return response

    return [
        Route("/auth/login/{key}", login, middleware=state),
        Route("/auth/callback/{key}", callback, middleware=state),
        Route("/auth/config", config),
        Route("/auth/logout", logout, methods=["POST"]),
    ]


NO_SUCH_SIGN_IN = "This server offers no such way to sign in."
DATABASE_DOWN = "Mentori cannot sign you in just now; try again in a moment."
SIGN_OUT_DOWN = "Mentori cannot sign you out just now; try again in a moment."


def _unknown(key: str) -> SignInFailed:
    return SignInFailed(NO_SUCH_SIGN_IN, f"no provider {key!r}", status=404)


def _login_url(key: str, next_page: str) -> str:
    return f"/auth/login/{key}?{urlencode({'next': next_page})}"


def _unreachable(key: str, error: Exception) -> SignInFailed:
    log.warning("sign-in through %s: the provider is unreachable (%r)", key, error)
    return SignInFailed(
        "The sign-in service is not answering; try again in a moment.",
        f"the provider is unreachable: {error!r}",
        status=502,
    )


async def _verified(
    client: Any, provider: IdentityProvider, request: Request, settings: Settings
) -> tuple[users.Identity, str]:
    """The person the provider's answer names, once Authlib has checked it all; and the ID
    token, kept for the provider's own sign-out."""
    if request.query_params.get("error"):
        raise SignInFailed(
            "The sign-in service did not sign you in.",
            f"the provider answered {request.query_params.get('error')!r}: "
            f"{request.query_params.get('error_description')!r}",
        )
    try:
        metadata = await client.load_server_metadata()
        issuer = str(metadata["issuer"])
        token = await client.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
        )
    except httpx.HTTPError as error:
        raise _unreachable(provider.key, error) from error
    except OAuthError as error:
        if error.error == "mismatching_state":
            raise SignInFailed(
                "This answer from the sign-in service does not belong to a sign-in started in "
                "this browser, or it came too late. Start again.",
                "the state does not match one this browser holds",
            ) from error
        raise SignInFailed(
            "The sign-in service refused to finish this sign-in (a sign-in link works only "
            "once). Start again.",
            f"the token endpoint refused: {error.error}: {error.description}",
        ) from error
    except (JoseError, ValueError, KeyError) as error:
        raise SignInFailed(UNTRUSTED, f"the ID token was refused: {error!r}") from error
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        raise SignInFailed(UNTRUSTED, "the answer holds no ID token")
    try:
        same_people = issuer == settings.jwt_issuer
        return _identity(provider, dict(claims), same_people), str(token["id_token"])
    except InvalidToken as error:
        raise SignInFailed(
            f"Your account's details from the sign-in service cannot be used here: {error}.",
            f"unusable claims: {error}",
        ) from error


def _identity(
    provider: IdentityProvider, claims: dict[str, Any], same_people: bool
) -> users.Identity:
    """The person as the provider names them. A provider that issues the API's bearer tokens
    too (its issuer is JWT_ISSUER) names the same people; any other's subjects are its own."""
    prefix = "" if same_people else f"{provider.key}:"
    subject = _claim(claims, "sub", 255 - len(prefix))
    if not subject.strip():
        raise InvalidToken("its 'sub' claim is empty")
    granted = set(roles.from_claims(provider.roles, claims))
    if provider.alumni:
        granted.add(Role.MENTOR)
    issued_at = claims.get("iat")
    return users.Identity(
        subject=prefix + subject,
        name=_claim(claims, "name", 200) or subject[:200],
        email=_claim(claims, "email", MAX_EMAIL),
        email_verified=claims.get("email_verified") in (True, "true"),
        roles=frozenset(granted),
        source=roles.RoleSource.ALUMNI if provider.alumni else roles.RoleSource.CLAIMS,
        issued_at=(
            datetime.fromtimestamp(issued_at, tz=UTC) if isinstance(issued_at, int) else None
        ),
    )


async def _open(
    uow: UnitOfWork,
    identity: users.Identity,
    *,
    provider: str,
    id_token: str,
    user_agent: str,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """The person signed in, in a session of their own: its id, for the cookie."""

    async def opening(session: AsyncSession) -> str:
        viewer = await users.sign_in_as(session, identity, now=now)
        return await sign_in_sessions.open_session(
            session,
            user_id=viewer.user_id,
            provider=provider,
            now=now,
            lifetime=lifetime,
            id_token=id_token,
            user_agent=user_agent,
        )

    try:
        return await uow.run(opening)
    except DomainError as error:  # no role in Mentori, or erased
        raise SignInFailed(error.message, error.message, status=403) from error
    except Exception as error:
        if not is_unavailable(error):
            raise
        reason = f"the database is unavailable: {error!r}"
        raise SignInFailed(DATABASE_DOWN, reason, status=503) from error


async def _end(uow: UnitOfWork, raw: str, *, now: datetime) -> sign_in_sessions.Ended | None:
    """The session signed out, in every process at once."""
    try:
        ended = await uow.run(lambda session: sign_in_sessions.end(session, raw, now=now))
    except Exception as error:
        if not is_unavailable(error):
            raise
        reason = f"the database is unavailable: {error!r}"
        raise SignInFailed(SIGN_OUT_DOWN, reason, status=503) from error
    if ended is not None:
        await uow.hub.end_sessions({(ended.user_id, ended.digest)})
    return ended


async def _end_session_url(client: Any, settings: Settings, id_token: str | None) -> str | None:
    """Where the browser may go to sign out of the provider too (RP-initiated logout), if it
    offers that."""
    try:
        metadata = await client.load_server_metadata()
    except httpx.HTTPError as error:
        log.warning("signing out: the provider is unreachable (%r)", error)
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return None
    query = {"post_logout_redirect_uri": settings.public_url, "client_id": client.client_id}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _failure(request: Request, failure: SignInFailed, *, retry: str = "/") -> Response:
    """A page that says what went wrong in a sentence, and offers to start again."""
    page = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Sign-in did not finish – Mentori</title></head>"
        "<body><main><h1>Sign-in did not finish</h1>"
        f'<p role="alert">{escape(failure.sentence)}</p>'
        f'<p><a href="{escape(retry)}">Sign in again</a></p>'
        "</main></body></html>\n"
    )
    return HTMLResponse(
        page,
        status_code=failure.status,
        headers={
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",  # the address held the code
            "content-security-policy": page_policy(request.headers.get("host", "")),
        },
    )
